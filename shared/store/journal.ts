/**
 * The store's append-only journal: each group commit appends one line holding every record it
 * changed (`{"c": collection, "i": id, "r": row | null}`, or a JSON array of them when the commit
 * changed several), written with O_DSYNC, so a commit costs what it changed, not the size of the
 * whole store. On open the journal is replayed over the lowdb snapshot; a torn last line (a crash
 * mid-append) is dropped, and with it the whole commit: a commit is on disk entirely or not at
 * all, never half (a SIGKILL can cut a write of more than a page at a page boundary). Compaction
 * retires the journal (`rotate`: renamed aside, a new one started) and writes a new snapshot, after
 * which the store deletes the retired file.
 */
import { constants } from 'node:fs';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './durable-json-file.ts';

// O_DSYNC: each append returns once its data is on the device (what a write then fdatasync did,
// in one thread-pool round trip instead of two).
const APPEND_FLAGS = constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC;

/**
 * The complete entries of a journal file (none when it does not exist), the text read and the
 * bytes of it that held them. Only the last line may be torn (a crash mid-append): it is left
 * out; a bad line before the end is corruption and throws.
 */
export async function readEntries<R>(file: string): Promise<{ text: string; entries: Array<JournalEntry<R>>; good: number }> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const entries: Array<JournalEntry<R>> = [];
  const lines = text.split('\n');
  let good = 0;
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (line === '') continue;
    try {
      const parsed = JSON.parse(line) as JournalEntry<R> | Array<JournalEntry<R>>;
      if (Array.isArray(parsed)) entries.push(...parsed);
      else entries.push(parsed);
      good += Buffer.byteLength(line) + 1;
    } catch (e) {
      if (n < lines.length - 1 && lines.slice(n + 1).some((l) => l !== '')) throw new Error(`${file}: corrupt entry on line ${n + 1}: ${(e as Error).message}`);
    }
  }
  return { text, entries, good };
}

/** One journal entry: the full new state of a record, or null when it was deleted. */
export interface JournalEntry<R> {
  readonly c: string;
  readonly i: string;
  readonly r: R | null;
}

/**
 * Replays entries, in order, over a state shaped as the snapshot (`{collection: {id: row}}`):
 * each entry is a record's whole state, so replaying one that the state already holds changes
 * nothing.
 */
export function replayEntries<R>(state: Record<string, Record<string, R>>, entries: Iterable<JournalEntry<R>>): void {
  for (const { c, i, r } of entries) {
    state[c] ??= {};
    const rows = state[c];
    if (r === null) delete rows[i];
    else rows[i] = r;
  }
}

export class Journal<R> {
  private handle: FileHandle | undefined;
  private bytes = 0;
  /** Bytes of a torn last line that open() dropped (0: the journal ended cleanly). */
  droppedBytes = 0;

  constructor(private readonly file: string) {}

  /** Reads every complete entry; opens the file for appending (created 0600). */
  async open(): Promise<Array<JournalEntry<R>>> {
    const { text, entries, good } = await readEntries<R>(this.file);
    this.handle = await open(this.file, APPEND_FLAGS, 0o600);
    this.droppedBytes = Buffer.byteLength(text) - good;
    if (this.droppedBytes > 0) {
      await this.handle.truncate(good);
      await this.handle.datasync();
    }
    this.bytes = good;
    return entries;
  }

  /**
   * Moves everything appended so far to `retired` (renamed, so no byte is copied) and goes on in
   * a new, empty file of the same name; both names are made durable in the directory before it
   * returns. The caller serialises it with appends (the store's commit chain).
   */
  async rotate(retired: string): Promise<void> {
    if (!this.handle) throw new Error('journal is not open');
    await rename(this.file, retired);
    let next: FileHandle;
    try {
      next = await open(this.file, APPEND_FLAGS, 0o600);
    } catch (e) {
      // No new file: the journal goes on where it was, under its own name again. If even that
      // fails, appends stop (commits fail loudly) rather than go to a file a compaction would delete;
      // a restart replays the retired file.
      await rename(retired, this.file).catch(async () => {
        const stuck = this.handle;
        this.handle = undefined;
        await stuck?.close();
      });
      throw e;
    }
    const previous = this.handle;
    this.handle = next;
    this.bytes = 0;
    await previous.close();
    await syncDirectory(dirname(this.file));
  }

  /** Appends the entries of one commit, as one line, and makes them durable. */
  async append(entries: ReadonlyArray<JournalEntry<R>>): Promise<void> {
    if (!this.handle) throw new Error('journal is not open');
    if (entries.length === 0) return;
    // One line per commit: a torn append loses the whole commit on replay, not part of it.
    const text = `${JSON.stringify(entries.length === 1 ? entries[0] : entries)}\n`;
    await this.handle.write(text);
    this.bytes += Buffer.byteLength(text);
  }

  /** Current size in bytes. */
  size(): number {
    return this.bytes;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
