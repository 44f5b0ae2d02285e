/**
 * What a test's setup started, stopped in reverse order by one call, so a setup that fails
 * halfway leaves nothing running: register each server, browser or process the moment it
 * exists, and call `run()` from `after` (or from the setup's own catch).
 */
export class Teardown {
  private readonly stops: Array<() => unknown> = [];

  /** Registers how to stop `thing`; returns `thing`. */
  add<T>(thing: T, stop: (thing: T) => unknown): T {
    this.stops.push(() => stop(thing));
    return thing;
  }

  /** Stops everything registered, last first; every stop runs even when one fails, and the first failure is rethrown. */
  async run(): Promise<void> {
    const errors: unknown[] = [];
    while (this.stops.length) {
      try {
        await this.stops.pop()!();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw errors[0];
  }
}
