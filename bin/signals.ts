/** Clean shutdown on Ctrl-C and SIGTERM: parts close in reverse start order, flushing writes. */

export interface Stoppable {
  close(): Promise<void>;
}

/** Installs the handlers once; a second signal while stopping exits at once. */
export function stopOnSignals(parts: readonly Stoppable[], out: NodeJS.WritableStream = process.stderr): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      out.write(`${signal} again: exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    out.write(`\n${signal}: stopping, flushing pending writes...\n`);
    let failed = false;
    for (const part of [...parts].reverse()) {
      await part.close().catch((e: unknown) => {
        failed = true;
        out.write(`error while stopping: ${(e as Error).message ?? String(e)}\n`);
      });
    }
    out.write('stopped\n');
    process.exit(failed ? 1 : 0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
