/**
 * The Store contract against Redis: one redis-server for the file, a fresh key prefix per test,
 * and a second connection (as a second node would have) for the races. Skipped, with the
 * install command, where redis-server is not installed.
 */
import { after, before, describe } from 'node:test';
import { randomBytes } from 'node:crypto';
import { RedisStore } from '../../shared/store/redis/redis-store.ts';
import { redisMissing, startRedis, type TestRedis } from '../helpers/redis-server.ts';
import { storeContract } from './contract.ts';

describe('redis store contract', { skip: redisMissing ?? false }, () => {
  let redis: TestRedis | undefined;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });
  const prefixes = new WeakMap<object, string>();
  storeContract({
    async open() {
      const prefix = `t${randomBytes(6).toString('hex')}:`;
      const store = await RedisStore.open({ url: redis!.url, prefix, name: 'contract' });
      prefixes.set(store, prefix);
      return store;
    },
    async openSecond(first) {
      return RedisStore.open({ url: redis!.url, prefix: prefixes.get(first)!, name: 'contract' });
    },
  });
});
