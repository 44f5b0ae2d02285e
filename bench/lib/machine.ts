/**
 * What else the machine was doing: its load average, and the CPU that processes other than the
 * benchmark's used during an interval (machine-wide busy time from os.cpus() minus the CPU time
 * of the benchmark's own processes), in cores. On a shared machine the second tells a noisy
 * round from a real change: the load average counts the benchmark itself.
 */
import { cpus, loadavg } from 'node:os';

/** 1, 5 and 15 minute load averages, rounded to two decimals. */
export function loadAverage(): [number, number, number] {
  const [a, b, c] = loadavg().map((x) => Math.round(x * 100) / 100);
  return [a!, b!, c!];
}

export const fmtLoad = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ');

/** Busy (non-idle) CPU time of the whole machine, in microseconds, and when it was read. */
export interface MachineSample {
  readonly busyMicros: number;
  readonly at: number;
}

export function machineSample(): MachineSample {
  let busy = 0;
  for (const c of cpus()) busy += c.times.user + c.times.nice + c.times.sys + c.times.irq;
  return { busyMicros: busy * 1000, at: performance.now() };
}

/**
 * Average number of cores used by other processes between two samples, given the CPU time the
 * benchmark's own processes used meanwhile (µs). Never below 0 (the kernel counts in 10 ms ticks).
 */
export function othersCores(before: MachineSample, after: MachineSample, ownMicros: number): number {
  const seconds = (after.at - before.at) / 1000;
  if (seconds <= 0) return 0;
  return Math.max(0, (after.busyMicros - before.busyMicros - ownMicros) / 1e6 / seconds);
}
