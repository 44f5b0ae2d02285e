/**
 * The benchmark in quick mode, once, so its code cannot rot. Asserts that it completes and
 * produces every row (measured or marked "not available"); nothing about speed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatResults, runBench } from '../../bench/run.ts';

test('quick benchmark completes and produces every row', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nod-bench-test-'));
  try {
    const r = await runBench({ quick: true, only: ['token', 'ciba', 'roundtrip', 'scale', 'app'], cpuProf: false, verbose: false, resultsDir: dir });
    const names = r.rows.map((row) => row.name);
    assert.ok(
      names.some((n) => n.startsWith('client_credentials')),
      'client_credentials row',
    );
    for (const row of r.rows) {
      if (row.kind === 'compare') {
        assert.ok(row.ours.requests > 0, `${row.name}: ours answered`);
        if (row.theirs) assert.ok(row.theirs.requests > 0, `${row.name}: theirs answered`);
      } else {
        assert.ok(row.reason.length > 0, `${row.name}: says why it is not available`);
      }
    }
    for (const section of [r.roundTrip, r.scale, r.app]) assert.ok(section, 'every section is present');
    const text = formatResults(r);
    assert.match(text, /ours\/theirs/);
    const json = JSON.parse(readFileSync(r.file!, 'utf8'));
    assert.equal(json.rows.length, r.rows.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
