/**
 * Publish/subscribe over Redis: messages are published on the command connection and received
 * on a second, subscribed connection, which resubscribes by itself after a reconnect. Redis
 * delivers at most once and keeps no history: a node that was disconnected misses what was sent
 * meanwhile, so subscribers must be able to catch up from the store (they read state, not events).
 */
import type { Redis } from 'ioredis';
import type { PubSub } from '../store.ts';
import type { RedisConnection } from './connection.ts';

export class RedisPubSub implements PubSub {
  private subscriber: Redis | undefined;
  private readonly handlers = new Map<string, Set<(message: unknown) => void>>();

  constructor(
    private readonly conn: RedisConnection,
    private readonly channel: (name: string) => string,
  ) {}

  private connection(): Redis {
    if (!this.subscriber) {
      this.subscriber = this.conn.duplicate();
      this.subscriber.on('error', () => undefined);
      this.subscriber.on('message', (channel: string, text: string) => {
        const set = this.handlers.get(channel);
        if (!set) return;
        for (const handler of [...set]) {
          try {
            handler(JSON.parse(text));
          } catch {
            /* a subscriber's failure is its own; a malformed message is dropped */
          }
        }
      });
    }
    return this.subscriber;
  }

  async publish(channel: string, message: unknown): Promise<void> {
    await this.conn.run((c) => c.publish(this.channel(channel), JSON.stringify(message ?? null)));
  }

  async subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>> {
    const name = this.channel(channel);
    let set = this.handlers.get(name);
    if (!set) {
      set = new Set();
      this.handlers.set(name, set);
      await this.conn.run(() => this.connection().subscribe(name));
    }
    const entry = (message: unknown) => handler(message);
    set.add(entry);
    return async () => {
      set.delete(entry);
      if (set.size === 0 && this.handlers.get(name) === set) {
        this.handlers.delete(name);
        await this.conn.run(() => this.connection().unsubscribe(name)).catch(() => undefined);
      }
    };
  }

  async close(): Promise<void> {
    this.handlers.clear();
    const s = this.subscriber;
    this.subscriber = undefined;
    if (!s) return;
    try {
      await s.quit();
    } catch {
      s.disconnect();
    }
  }
}
