/** The clients' small pieces: big letters, the countdown's clock, random codes, option defaults. */
import { describe, it } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { bigText, blockLetters } from '../../bin/cli/big-text.ts';
import { formatRemaining } from '../../bin/cli/countdown.ts';
import { randomCode } from '../../bin/cli/wait.ts';
import { parseCommand } from '../../bin/cli/options.ts';
import { UsageError } from '../../bin/cli/errors.ts';
import { formatClaims } from '../../bin/cli/print.ts';

describe('command-line client output', () => {
  it('draws a short code in five rows of block letters', () => {
    const rows = blockLetters('4F2K', 80)!;
    assert.equal(rows.length, 5);
    assert.ok(rows.every((r) => r.length === rows[0]!.length && /^[█ ]+$/.test(r)));
  });

  it('frames text it cannot draw (lower case is drawn as upper; emoji, or too wide, are boxed)', () => {
    assert.ok(blockLetters('abc', 80));
    assert.equal(blockLetters('Pay 10 €', 80), undefined);
    assert.equal(blockLetters('A-VERY-LONG-BINDING-MESSAGE', 40), undefined);
    assert.match(bigText('Pay 10 €', 80), /│ {2}Pay 10 € {2}│/);
  });

  it('shows the time left as m:ss, never negative', () => {
    assert.equal(formatRemaining(125), '2:05');
    assert.equal(formatRemaining(0.2), '0:01');
    assert.equal(formatRemaining(-3), '0:00');
  });

  it('makes random codes from unambiguous characters', () => {
    const codes = new Set(Array.from({ length: 50 }, () => randomCode()));
    assert.ok(codes.size > 45);
    for (const c of codes) assert.match(c, /^[B-DF-HJ-NP-TV-XZ2-9]{4}$/);
  });

  it('prints claims aligned, with times as dates', () => {
    const text = formatClaims({ sub: 'abc', iat: 0, email_verified: true });
    assert.match(text, /^ {2}sub {13}abc$/m);
    assert.match(text, /iat\s+0 \(1970-01-01T00:00:00\.000Z\)/);
    assert.match(text, /email_verified\s+true/);
  });
});

describe('command-line options', () => {
  const spec = {
    usage: 'u',
    defaults: { clientId: 'demo-bank', clientSecret: 'demo-bank-secret', scope: 'openid' },
    options: { 'login-hint': { type: 'string' as const } },
  };

  it('uses the demo client and its secret by default', () => {
    const { common, values } = parseCommand(['--login-hint', 'bob'], spec)!;
    assert.deepEqual(common, {
      issuer: process.env.NOD_ISSUER ?? 'http://localhost:3000',
      clientId: 'demo-bank',
      clientSecret: 'demo-bank-secret',
      scope: 'openid',
    });
    assert.equal(values['login-hint'], 'bob');
  });

  it('does not send the demo secret for another client id', () => {
    const { common } = parseCommand(['--client-id', 'my-app', '--issuer', 'https://id.example.com/'], spec)!;
    assert.equal(common.clientSecret, undefined);
    assert.equal(common.issuer, 'https://id.example.com');
  });

  it('refuses unknown options and non-URL issuers as usage errors', () => {
    assert.throws(() => parseCommand(['--nope'], spec), UsageError);
    assert.throws(() => parseCommand(['--issuer', 'localhost:3000'], spec), UsageError);
  });
});

describe('device app build check', () => {
  it('builds when dist is missing or older than any source, not otherwise', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, utimesSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { buildReason } = await import('../../bin/app-build.ts');
    const dir = mkdtempSync(join(tmpdir(), 'nod-build-check-'));
    try {
      const src = join(dir, 'src');
      mkdirSync(join(src, 'pages'), { recursive: true });
      const page = join(src, 'pages', 'a.tsx');
      writeFileSync(page, 'x');
      const index = join(dir, 'index.html');
      assert.match(buildReason(index, [src])!, /missing/);
      writeFileSync(index, '<html>');
      const t = Date.now() / 1000;
      for (const p of [page, join(src, 'pages'), src]) utimesSync(p, t - 100, t - 100);
      utimesSync(index, t - 50, t - 50);
      assert.equal(buildReason(index, [src]), undefined, 'dist newer than every source');
      utimesSync(page, t, t);
      assert.match(buildReason(index, [src])!, /changed/, 'a source deep in the tree changed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
