/**
 * What else the machine was doing: its load average; the CPU that processes other than the
 * benchmark's used during an interval (machine-wide busy time from os.cpus() minus the CPU time
 * of the benchmark's own processes), in cores; and on a virtual machine, the share of its CPU
 * time the hypervisor gave to other guests (steal). On a shared machine the last two tell a noisy
 * round from a real change: the load average counts the benchmark itself, and it does not see
 * steal at all (measured here: the floor's p50 doubled while steal went from 1 % to 25 %).
 */
import { readFileSync } from 'node:fs';
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

/** The machine's CPU time so far, in clock ticks: all of it, and what the hypervisor stole. */
export interface StealSample {
  readonly total: number;
  readonly steal: number;
}

/**
 * Parses the aggregate `cpu` line of /proc/stat (user nice system idle iowait irq softirq steal
 * ...); undefined when there is none or it has no steal column (not Linux, or too old a kernel).
 */
export function parseProcStat(text: string): StealSample | undefined {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  const fields = line?.trim().split(/\s+/).slice(1, 9).map(Number);
  if (!fields || fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7]! };
}

/** The machine's steal counters now (undefined where /proc/stat is not there). */
export function stealSample(): StealSample | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** The steal of several intervals (blocks that take turns with other work), as one share. */
export class StealTally {
  private stolen = 0;
  private total = 0;

  add(before: StealSample | undefined, after: StealSample | undefined): void {
    if (!before || !after) return;
    this.stolen += after.steal - before.steal;
    this.total += after.total - before.total;
  }

  /** Share (0-1) of the CPU time stolen over the intervals added; undefined when none was measured. */
  share(): number | undefined {
    return this.total > 0 ? this.stolen / this.total : undefined;
  }
}

/** The share (0-1) of the machine's CPU time stolen between two samples; undefined when unknown. */
export function stealShare(before: StealSample | undefined, after: StealSample | undefined): number | undefined {
  const tally = new StealTally();
  tally.add(before, after);
  return tally.share();
}

/** A share (0-1) as "3.1 %", or "?" when unknown. */
export const fmtShare = (share: number | undefined): string => (share === undefined ? '?' : `${(share * 100).toFixed(1)} %`);

/** "steal 3.1 %", or "steal unknown" where the machine does not count it. */
export const fmtSteal = (share: number | undefined): string => (share === undefined ? 'steal unknown' : `steal ${fmtShare(share)}`);
