/**
 * `npx tsx bench/store_write.ts [records]`: time of one group-commit write of the lowdb store
 * holding N pending CIBA requests (the shape the provider stores), compact vs indented JSON.
 * The minimum of several writes is reported, so other load on the machine matters less.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataFile } from 'lowdb/node';
import { LowdbStore } from '../shared/store/lowdb-store.ts';
import { randomId } from '../shared/random.ts';
import { nowSeconds } from '../shared/time.ts';

const n = Number(process.argv[2] ?? 10_000);
const dir = mkdtempSync(join(tmpdir(), 'nod-store-bench-'));
try {
  const store = await LowdbStore.open({ dir, name: 'provider', sweepIntervalMs: 0 });
  const requests = store.collection<Record<string, unknown>>('CibaRequest', { indexes: ['sub'] });
  const delegations = store.collection<Record<string, unknown>>('CibaDelegation');
  const now = nowSeconds();
  for (let i = 0; i < n; i++) {
    const id = randomId(32),
      jti = randomId(16);
    void requests.put(
      id,
      {
        clientId: 'demo-bank',
        sub: crypto.randomUUID(),
        scope: 'openid profile',
        mode: 'poll',
        status: 'pending',
        jti,
        createdAt: now,
        expiresAt: now + 120,
        interval: 5,
        consentRequired: true,
        bindingMessage: `Scale ${i}`,
      },
      { expiresIn: 420, durable: false },
    );
    void delegations.put(jti, { authReqId: id }, { expiresIn: 420, durable: false });
  }
  await store.flush();
  const timed = async (label: string, write: () => Promise<void>) => {
    const times: number[] = [];
    for (let i = 0; i < 7; i++) {
      const t = performance.now();
      await write();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    console.log(`${label}: min ${times[0]!.toFixed(1)} ms, median ${times[3]!.toFixed(1)} ms`);
  };
  await timed(`store write (current store code), ${n} requests`, async () => {
    await requests.put('probe', { at: Date.now() });
  });
  console.log(`files ${((store.stats().fileBytes ?? 0) / 1024 / 1024).toFixed(2)} MB (snapshot + journal)`);
  const data = JSON.parse(
    JSON.stringify({
      CibaRequest: (requests as unknown as { dump(): unknown }).dump(),
      CibaDelegation: (delegations as unknown as { dump(): unknown }).dump(),
    }),
  );
  for (const [label, stringify] of [
    ['indented (lowdb JSONFile)', (d: unknown) => JSON.stringify(d, null, 2)],
    ['compact', (d: unknown) => JSON.stringify(d)],
  ] as const) {
    const file = new DataFile<unknown>(join(dir, `${label.split(' ')[0]}.json`), { parse: JSON.parse, stringify });
    await timed(`${label} write`, () => file.write(data));
    console.log(`  file ${(statSync(join(dir, `${label.split(' ')[0]}.json`)).size / 1024 / 1024).toFixed(2)} MB`);
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
