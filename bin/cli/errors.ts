/**
 * Failures of the command-line clients: each ends the command with a one-line reason on stderr
 * and a non-zero exit code (2 for bad usage, 1 for everything else).
 */
import { ResponseBodyError } from 'openid-client';

/** A failure whose message is already the one line to print. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Bad options or arguments (exit code 2). */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** The protocol error code of an error from the provider, when it is one (`access_denied`, ...). */
export function oauthErrorCode(e: unknown): string | undefined {
  return e instanceof ResponseBodyError ? e.error : undefined;
}

/** What went wrong, in one line, for any error the clients can meet. */
export function describeError(e: unknown): string {
  if (e instanceof CliError) return e.message;
  if (e instanceof ResponseBodyError) return `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`;
  const err = e as { name?: string; message?: string; code?: string; cause?: { code?: string; message?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return 'timed out waiting for the provider';
  const cause = err?.cause?.code ?? err?.cause?.message;
  const text = `${err?.message ?? String(e)}${cause ? ` (${cause})` : ''}`;
  return text.split('\n')[0]!;
}

/** Runs a command's main function: prints the reason and sets the exit code on failure. */
export async function runCommand(main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    process.stderr.write(`error: ${describeError(e)}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
  }
}
