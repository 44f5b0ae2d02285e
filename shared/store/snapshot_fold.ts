/**
 * Folds a retired journal into the snapshot it followed: the new snapshot is the old one with
 * every entry of the journal replayed over it, written durably (durable-json-file.ts). This is
 * exactly the state that was on disk when the journal was retired, so the result does not
 * depend on what the store has in memory, and it can be built away from the event loop
 * (snapshot_worker.mjs): the main thread spends nothing on a compaction but the journal's rename.
 */
import { DurableJsonFile } from './durable-json-file.ts';
import { readEntries, replayEntries } from './journal.ts';
import type { Row } from './lowdb-collection.ts';

/** The snapshot file: each collection's rows by id. */
export type SnapshotShape = Record<string, Record<string, Row>>;

/** Folds `retired` into `file`; resolves with the new snapshot's size in bytes. */
export async function foldJournal(file: string, retired: string): Promise<number> {
  const snapshot = new DurableJsonFile<SnapshotShape>(file);
  const state = (await snapshot.read()) ?? {};
  const { entries } = await readEntries<Row>(retired);
  replayEntries(state, entries);
  const text = JSON.stringify(state);
  await snapshot.writeText(text);
  return Buffer.byteLength(text);
}
