/**
 * `ciba-policy` for number matching and anti-fatigue: set them, see them (with where each value
 * comes from), a loud warning when anti-fatigue is off, the per-client overrides listed, and
 * the provider started on the directory answering by them.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runAdmin } from '../../bin/admin.ts';
import { CIBA_GRANT_TYPE } from '../../shared/constants.ts';
import { startTestProvider, tempDir } from '../helpers/provider.ts';

const env = (dir: string) => ({ ...process.env, NOD_DATA_DIR: dir });

test('ciba-policy: number matching and anti-fatigue are set, shown with their source, warned about, and reset', async () => {
  const dir = tempDir();
  const { Entity, backchannel } = await import('../ciba/helpers.ts');
  const entity = await Entity.start();
  try {
    const shown = await runAdmin(['ciba-policy', 'show'], env(dir));
    assert.match(shown, /^number_matching\toff\tdefault \(clients with backchannel_number_matching true use it regardless\)$/m);
    assert.match(shown, /^fatigue_limit\t5\tdefault/m);
    assert.match(shown, /^fatigue_window\t60\tdefault/m);
    assert.doesNotMatch(shown, /warning/);

    const refusedWith = (args: string[], message: RegExp) => assert.rejects(runAdmin(['ciba-policy', 'set', ...args], env(dir)), message);
    await refusedWith(['--number-matching', 'yes'], /--number-matching yes: must be on or off/);
    await refusedWith(['--fatigue-limit=-1'], /--fatigue-limit -1: must be a whole number of requests per user \(0 turns anti-fatigue off\)/);
    await refusedWith(['--fatigue-limit', 'many'], /--fatigue-limit many/);
    await refusedWith(['--fatigue-window', '0'], /--fatigue-window 0: must be a whole number of seconds, at least 1/);

    const on = await runAdmin(['ciba-policy', 'set', '--number-matching', 'on', '--fatigue-limit', '2', '--fatigue-window', '90'], env(dir));
    assert.match(on, /^number_matching\ton\tset with ciba-policy set \(every CIBA client\)$/m);
    assert.match(on, /^fatigue_limit\t2\tset with ciba-policy set/m);
    assert.match(on, /^fatigue_window\t90\tset with ciba-policy set/m);

    // Clients with their own limit are listed; one with 0 is warned about.
    for (const [id, limit] of [
      ['own-limit', 7],
      ['no-limit', 0],
    ] as const) {
      const file = join(dir, `${id}.json`);
      writeFileSync(
        file,
        JSON.stringify({
          client_id: id,
          client_secret: `${id}-secret`,
          grant_types: [CIBA_GRANT_TYPE],
          response_types: [],
          scope: 'openid',
          ciba_fatigue_limit: limit,
        }),
      );
      await runAdmin(['clients', 'add', file], env(dir));
    }
    const listed = await runAdmin(['ciba-policy', 'show'], env(dir));
    assert.match(listed, /^warning: anti-fatigue is off for these clients \(ciba_fatigue_limit 0\): no-limit$/m);
    assert.match(listed, /^clients with their own anti-fatigue limit: own-limit \(7\)$/m);

    // The provider on this directory: number matching for demo-bank, which did not opt in; a limit of 2 per user.
    const p = await startTestProvider({ dataDir: dir, authChannelUrl: entity.url });
    entity.issuer = p.issuer;
    try {
      const setup = { provider: p, entity, issuer: p.issuer, stop: async () => {} };
      const bank = { client_id: 'demo-bank', secret: 'demo-bank-secret' };
      for (let i = 0; i < 2; i++) {
        const ok = await backchannel(setup, bank, { scope: 'openid', login_hint: 'bob' });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.match(String(ok.body.binding_number), /^[1-9][0-9]$/);
        assert.equal((await entity.next()).body.binding_number, ok.body.binding_number);
      }
      assert.equal((await backchannel(setup, bank, { scope: 'openid', login_hint: 'bob' })).status, 429);
    } finally {
      await p.close();
    }

    const off = await runAdmin(['ciba-policy', 'set', '--fatigue-limit', '0'], env(dir));
    assert.match(off, /^fatigue_limit\t0 \(off\)\tset with ciba-policy set/m);
    assert.match(off, /^warning: anti-fatigue is OFF: .* --fatigue-limit 5/m);
    assert.match(await runAdmin(['ciba-policy', 'show'], env(dir)), /^warning: anti-fatigue is OFF/m);

    const reset = await runAdmin(['ciba-policy', 'reset'], env(dir));
    assert.match(reset, /^number_matching\toff\tdefault/m);
    assert.match(reset, /^fatigue_limit\t5\tdefault/m);
    assert.doesNotMatch(reset, /anti-fatigue is OFF/);
  } finally {
    await entity.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
