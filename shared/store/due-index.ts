/**
 * The items of one queue of the embedded store's scheduler ordered by due time, so a claim takes
 * the earliest due items and `next` reads the earliest time without walking the whole queue
 * (with a thousand items queued, a walk and a sort per claim made a burst quadratic).
 *
 * A binary min-heap of entries (due time, then the order they were set in). Moving or removing
 * an item does not search the heap: its entry is left behind, stale (no longer the item's live
 * entry), and dropped when it reaches the top; when stale entries outnumber live ones the heap is
 * rebuilt from the live ones, so it stays within twice the queue's size.
 */

interface Entry {
  readonly id: string;
  readonly at: number;
  readonly seq: number;
}

const before = (a: Entry, b: Entry) => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class DueIndex {
  private heap: Entry[] = [];
  /** Each item's live entry. */
  private readonly live = new Map<string, Entry>();
  private seq = 0;

  /** Sets item `id` due at `at` (epoch ms), replacing where it was. */
  set(id: string, at: number): void {
    const entry = { id, at, seq: ++this.seq };
    this.live.set(id, entry);
    this.heap.push(entry);
    this.up(this.heap.length - 1);
    this.compactIfStale();
  }

  /** Removes item `id`. */
  delete(id: string): void {
    if (this.live.delete(id)) this.compactIfStale();
  }

  /** The earliest item, if any: its id and due time. */
  first(): { readonly id: string; readonly at: number } | undefined {
    while (this.heap.length > 0 && this.live.get(this.heap[0]!.id) !== this.heap[0]) this.pop();
    return this.heap[0];
  }

  /** Items held. */
  get size(): number {
    return this.live.size;
  }

  private compactIfStale(): void {
    if (this.heap.length <= 2 * this.live.size + 64) return;
    this.heap = [...this.live.values()];
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private up(i: number): void {
    const { heap } = this;
    const entry = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  private down(i: number): void {
    const { heap } = this;
    const entry = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && before(heap[child + 1]!, heap[child]!)) child++;
      if (!before(heap[child]!, entry)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = entry;
  }
}
