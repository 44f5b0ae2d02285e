/**
 * An exclusive lock on a data directory, so two processes never write the same store.
 *
 * The lock file holds the owner's pid and, on Linux, its start time (field 22 of
 * /proc/<pid>/stat), so a lock is only honoured while the very process that took it runs: a
 * zombie (killed, not yet reaped by its parent: state Z or X), a pid that no longer exists, and a
 * pid reused by another process (different start time) are all dead owners, and their lock is
 * taken over. A restart right after `kill -9` is never refused because of a dead process.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when another live process holds the data directory. */
export class DataDirLockedError extends Error {
  readonly pid: number;
  constructor(path: string, pid: number) {
    super(`${path} is in use by a running process (pid ${pid}); stop it first or use its HTTP interface`);
    this.name = 'DataDirLockedError';
    this.pid = pid;
  }
}

/** What /proc says about a pid (state letter, start time); undefined where it says nothing (no /proc, no entry, not readable). */
function procStat(pid: number): { state: string; start: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ... starttime ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', start: fields[19] ?? '' };
}

/** This process's start time as the lock file records it ('' where /proc is absent). */
function ownStart(): string {
  return procStat(process.pid)?.start ?? '';
}

/** The owner a lock file names: pid and (newer files) start time. */
interface Owner {
  readonly pid: number;
  readonly start: string | undefined;
}

function parseOwner(text: string): Owner | undefined {
  const [pid, start] = text.trim().split(/\s+/);
  const n = Number.parseInt(pid ?? '', 10);
  return Number.isInteger(n) && n > 0 ? { pid: n, start: start || undefined } : undefined;
}

/** Whether the process that wrote the lock still runs (and is not a zombie or a stranger with its reused pid). */
function ownerAlive(owner: Owner): boolean {
  const stat = procStat(owner.pid);
  if (stat) return stat.state !== 'Z' && stat.state !== 'X' && stat.state !== 'x' && (owner.start === undefined || owner.start === stat.start);
  // Nothing from /proc (not Linux, or hidden): signal 0 says whether the pid exists (EPERM: it does, another user's).
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes `<dir>/<name>.lock`; a stale lock (dead owner) is taken over. Returns the release function. */
export function lockDataDir(dir: string, name: string): () => void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, `${name}.lock`);
  const mine = `${process.pid} ${ownStart()}`.trim();
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, mine);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch {
        continue; // removed meanwhile: try again
      }
      const owner = parseOwner(text);
      // This very process holds it already (a second open is refused too); another pid holds it while it runs.
      // Our pid with another start time (a container restarted with the same pid) is a dead owner.
      if (owner && (text.trim() === mine || (owner.pid !== process.pid && ownerAlive(owner)))) throw new DataDirLockedError(dir, owner.pid);
      // Stale (or unreadable garbage): remove it, unless another starter replaced it meanwhile.
      try {
        if (readFileSync(path, 'utf8') === text) unlinkSync(path);
      } catch {
        /* gone already */
      }
    }
  }
  throw new Error(`could not lock ${path}`);
}

/** The pid of a live process other than this one that holds the lock, if any. */
export function isDataDirLocked(dir: string, name: string): number | undefined {
  try {
    const owner = parseOwner(readFileSync(join(dir, `${name}.lock`), 'utf8'));
    return owner && ownerAlive(owner) ? owner.pid : undefined;
  } catch {
    return undefined;
  }
}
