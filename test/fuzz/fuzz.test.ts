/**
 * A small seeded sample of the fuzz suite (npm run fuzz runs ≥ 10,000 cases per route): a few
 * cases of every route of the provider and the entity, against real servers in a child process.
 * Any 5xx (but a 503 with Retry-After), hang or crash fails, with each case's replay. Cases
 * carry live tokens and ids of the target sometimes, so authenticated paths are reached too.
 */
import assert from 'node:assert/strict';
import { test } from '../helpers/node-test.ts';
import { ROUTES } from './routes.ts';
import { formatFailures, formatTable, runFuzz } from './runner.ts';

/** Fixed, so a failure here replays with npm run fuzz -- --seed 16 --route <name> --case <i>. */
const SEED = 16;
const CASES_PER_ROUTE = Number(process.env.NOD_FUZZ_SAMPLE ?? 30);

test(`fuzz sample: ${CASES_PER_ROUTE} cases of each of ${ROUTES.length} routes answer without 5xx, hangs or crashes`, { timeout: 180_000 }, async () => {
  const rows = await runFuzz({ routes: ROUTES, runs: CASES_PER_ROUTE, seed: SEED, concurrency: 6, timeoutMs: 10_000 });
  const bad = rows.filter((r) => r.fivexx + r.hangs + r.crashes > 0);
  assert.equal(
    rows.reduce((n, r) => n + r.cases, 0),
    CASES_PER_ROUTE * ROUTES.length,
  );
  assert.deepEqual(
    bad.map((r) => r.route),
    [],
    `\n${formatTable(rows)}\n${formatFailures(bad, SEED)}`,
  );
  // The live credentials (target.ts fixtures) take cases past authentication: without them every
  // case of these routes would end in 401 or 404.
  for (const name of ['entity GET requests', 'entity GET/POST/DELETE passkey', 'entity POST passkey options']) {
    const row = rows.find((r) => r.route === name);
    assert.ok(row && row.ok > 0, `${name}: no case got past authentication\n${formatTable(rows)}`);
  }
});
