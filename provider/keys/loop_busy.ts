/**
 * Whether this process's event loop is busy: the share of the last window it spent running
 * callbacks rather than waiting for I/O (Node's event loop utilization), read again at most once
 * per window, so asking costs next to nothing. The key store asks it before each ES256 signature
 * (keystore.ts sign()): inline on an idle loop, on the thread pool on a busy one.
 * @see https://nodejs.org/api/perf_hooks.html#performanceeventlooputilizationutilization1-utilization2
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export class LoopBusy {
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private lastAt = performance.now();
  private reading = false;

  constructor(
    /** Utilization (0-1) from which the loop counts as busy. */
    private readonly threshold: number,
    /** How long one reading covers, ms. */
    private readonly windowMs: number,
  ) {}

  /** Busy over the last window (the reading of the window before while the current one is young). */
  get busy(): boolean {
    const at = performance.now();
    if (at - this.lastAt >= this.windowMs) {
      const current = performance.eventLoopUtilization();
      this.reading = performance.eventLoopUtilization(current, this.last).utilization >= this.threshold;
      this.last = current;
      this.lastAt = at;
    }
    return this.reading;
  }
}
