/** Clean shutdown on Ctrl-C and SIGTERM: parts close in reverse start order, flushing writes. */

export interface Stoppable {
  close(): Promise<void>;
}

export interface SignalOptions {
  readonly out?: NodeJS.WritableStream;
  /** The signals that stop (default SIGINT and SIGTERM). */
  readonly signals?: readonly NodeJS.Signals[];
  /**
   * Whether a second signal while stopping exits at once (default true: a person pressing Ctrl-C
   * again). A cluster worker says false: a service manager signals every process of the group and
   * the primary signals its workers too, so a worker may get the same SIGTERM twice.
   */
  readonly repeatExits?: boolean;
}

/** Installs the handlers once. */
export function stopOnSignals(parts: readonly Stoppable[], options: SignalOptions = {}): void {
  const { out = process.stderr, signals = ['SIGINT', 'SIGTERM'], repeatExits = true } = options;
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      if (!repeatExits) return;
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
  for (const signal of signals) process.on(signal, () => void stop(signal));
}
