/**
 * Publish/subscribe within one process, for the embedded store (one process is the whole
 * deployment). Messages are copied through JSON and delivered asynchronously, as they would be
 * from another node, so code written against it behaves the same on Redis.
 */
import type { PubSub } from './store.ts';

export class LocalPubSub implements PubSub {
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();

  async publish(channel: string, message: unknown): Promise<void> {
    const set = this.handlers.get(channel);
    if (!set?.size) return;
    const text = JSON.stringify(message ?? null);
    for (const handler of [...set]) {
      setImmediate(() => {
        try {
          handler(JSON.parse(text));
        } catch {
          /* a subscriber's failure is its own */
        }
      });
    }
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>> {
    const set = this.handlers.get(channel) ?? new Set<(message: unknown) => void>();
    this.handlers.set(channel, set);
    // Wrapped, so the same function subscribed twice is two subscriptions, each removed by its own call.
    const entry = (message: unknown) => handler(message);
    set.add(entry);
    return async () => {
      set.delete(entry);
      if (set.size === 0 && this.handlers.get(channel) === set) this.handlers.delete(channel);
    };
  }

  /** Drops every subscription (the store is closing). */
  clear(): void {
    this.handlers.clear();
  }
}
