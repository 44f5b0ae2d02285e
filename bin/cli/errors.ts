/**
 * Failures of the command-line clients: each ends the command with a one-line reason on stderr
 * and a non-zero exit code (2 for bad usage, 1 for everything else).
 */
import { ResponseBodyError, WWWAuthenticateChallengeError } from 'openid-client';

/** A failure whose message is already the one line to print. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
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

/** Ctrl-C ended the command (exit code 1, at once: nothing it was waiting for matters any more). */
export class Interrupted extends CliError {}

/** What went wrong, in one line, for any error the clients can meet. */
export async function describeError(e: unknown): Promise<string> {
  if (e instanceof CliError) return e.message;
  if (e instanceof ResponseBodyError) return `${e.error}${e.error_description ? `: ${e.error_description}` : ''}`;
  // A 401 with WWW-Authenticate (a bad client secret, for one) carries the error in the challenge.
  if (e instanceof WWWAuthenticateChallengeError) {
    const p = e.cause[0]?.parameters;
    if (p?.error) return `${p.error}${p.error_description ? `: ${p.error_description}` : ''}`;
    const body = (await e.response.json().catch(() => undefined)) as { error?: unknown; error_description?: unknown } | undefined;
    if (typeof body?.error === 'string') return `${body.error}${typeof body.error_description === 'string' ? `: ${body.error_description}` : ''}`;
    return `the provider refused the request (${e.status}, ${e.cause[0]?.scheme ?? 'no'} challenge)`;
  }
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
    process.stderr.write(`error: ${await describeError(e)}\n`);
    process.exitCode = e instanceof CliError ? e.exitCode : 1;
    if (e instanceof Interrupted) process.exit();
  }
}
