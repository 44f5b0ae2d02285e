import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, prettyLine } from './log.ts';

function capture(env: NodeJS.ProcessEnv = {}) {
  const lines: string[] = [];
  return { lines, log: createLogger('provider', env, { write: (l: string) => void lines.push(l) }) };
}

test('one JSON line per event with time, level, component, event and the fields', () => {
  const { lines, log } = capture();
  log.info('grant.success', { clientId: 'demo-bank', grantId: 'g1' });
  assert.equal(lines.length, 1);
  const e = JSON.parse(lines[0]!);
  assert.deepEqual(
    { ...e, time: undefined },
    { level: 'info', time: undefined, component: 'provider', event: 'grant.success', clientId: 'demo-bank', grantId: 'g1' },
  );
  assert.ok(!Number.isNaN(Date.parse(e.time)), 'ISO time');
});

test('secrets are redacted at the top level and one level down', () => {
  const { lines, log } = capture();
  log.warn('oops', { password: 'wonderland', client_secret: 'demo-bank-secret', req: { authorization: 'Bearer eyJx', device_token: 't' }, sub: 'u1' });
  assert.doesNotMatch(lines[0]!, /wonderland|demo-bank-secret|eyJx|"t"/);
  assert.equal(JSON.parse(lines[0]!).sub, 'u1');
});

test('NOD_LOG_LEVEL filters, silent says nothing', () => {
  const warn = capture({ NOD_LOG_LEVEL: 'warn' });
  warn.log.info('quiet');
  warn.log.debug('quieter');
  warn.log.error('loud');
  assert.deepEqual(
    warn.lines.map((l) => JSON.parse(l).event),
    ['loud'],
  );
  const silent = capture({ NOD_LOG_LEVEL: 'silent' });
  silent.log.error('nothing');
  assert.equal(silent.lines.length, 0);
  // enabled() tells callers whether a line of a level would be written (so they can skip building its fields).
  assert.deepEqual(
    (['debug', 'info', 'warn', 'error'] as const).map((l) => warn.log.enabled(l)),
    [false, false, true, true],
  );
  assert.equal(silent.log.enabled('error'), false);
  assert.equal(capture().log.enabled('info'), true);
});

test('the pretty format is one readable line per event', () => {
  const line = prettyLine('{"level":"warn","time":"2026-01-02T03:04:05.678Z","component":"server","event":"request.notified","devices":0,"ids":["a"]}');
  assert.equal(line, '03:04:05 WARN  server   request.notified devices=0 ids=["a"]\n');
});
