import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { runAdmin } from '../../bin/admin.ts';
import { DataDirLockedError } from '../../shared/store/lock.ts';
import { startTestProvider, tempDir } from '../helpers/provider.ts';

const env = (dir: string) => ({ ...process.env, NOD_DATA_DIR: dir });

test('admin adds, lists, locks out and removes users', async () => {
  const dir = tempDir();
  try {
    assert.match(await runAdmin(['users', 'add', 'carol', '--password', 'correct-horse', '--email', 'carol@example.com'], env(dir)), /added user carol/);
    await assert.rejects(runAdmin(['users', 'add', 'carol', '--password', 'correct-horse'], env(dir)), /already exists/);
    await assert.rejects(runAdmin(['users', 'add', 'dave', '--password', 'short'], env(dir)), /at least 8/);
    assert.match(await runAdmin(['users', 'list'], env(dir)), /^carol\t.*carol@example\.com/m);
    assert.match(await runAdmin(['users', 'remove', 'carol'], env(dir)), /removed user carol/);
    assert.equal(await runAdmin(['users', 'list'], env(dir)), '(no users)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('admin refuses a bad client definition with a message naming the field', async () => {
  const dir = tempDir();
  try {
    const file = join(dir, 'client.json');
    writeFileSync(file, JSON.stringify({ client_id: 'x', grant_types: ['authorization_code'], redirect_uris: ['not a url'] }));
    await assert.rejects(runAdmin(['clients', 'add', file], env(dir)), (e: { description?: string }) => /redirect_uris: "not a url" is not an absolute URL/.test(e.description ?? ''));
    writeFileSync(file, JSON.stringify({ client_id: 'svc', grant_types: ['client_credentials'], scope: 'api' }));
    const out = await runAdmin(['clients', 'add', file], env(dir));
    assert.match(out, /saved client svc\nclient_secret \(shown once\): \S{40,}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('admin refuses to touch the data directory while a provider runs', async () => {
  const p = await startTestProvider();
  try {
    await assert.rejects(runAdmin(['users', 'add', 'eve', '--password', 'longenough'], env(p.dataDir)), DataDirLockedError);
  } finally {
    await p.stop();
  }
});

test('keys, users, clients and issued tokens survive a restart; rotated keys stay published', async () => {
  const dir = tempDir();
  try {
    let p = await startTestProvider({ dataDir: dir });
    const issuer = p.issuer;
    const jwksBefore = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    const cfg = await oidc.discovery(new URL(issuer), 'demo-service', 'demo-service-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    const { access_token } = await oidc.clientCredentialsGrant(cfg, { scope: 'api' });
    await p.close();

    await runAdmin(['users', 'add', 'carol', '--password', 'correct-horse'], env(dir));
    assert.match(await runAdmin(['keys', 'rotate'], env(dir)), /new signing keys/);

    p = await startTestProvider({ dataDir: dir, issuer, port: Number(new URL(issuer).port) });
    const jwksAfter = (await (await fetch(`${issuer}/jwks`)).json()) as { keys: Array<{ kid: string }> };
    for (const k of jwksBefore.keys) assert.ok(jwksAfter.keys.some((a) => a.kid === k.kid), `retired key ${k.kid} no longer published`);
    assert.equal(jwksAfter.keys.length, jwksBefore.keys.length * 2);
    // A token signed before the rotation still verifies against the published JWKS and introspects as active.
    await jwtVerify(access_token, createRemoteJWKSet(new URL(`${issuer}/jwks`)), { issuer });
    const cfg2 = await oidc.discovery(new URL(issuer), 'demo-service', 'demo-service-secret', undefined, { execute: [oidc.allowInsecureRequests] });
    assert.equal((await oidc.tokenIntrospection(cfg2, access_token)).active, true);
    // New tokens are signed with the new key.
    const fresh = await oidc.clientCredentialsGrant(cfg2, { scope: 'api' });
    const kid = JSON.parse(Buffer.from(fresh.access_token.split('.')[0]!, 'base64url').toString()).kid as string;
    assert.ok(!jwksBefore.keys.some((k) => k.kid === kid), 'new token signed with a retired key');
    assert.match(await runAdmin(['users', 'list'], env(dir)).catch((e: Error) => e.message), /in use/);
    await p.close();
    assert.match(await runAdmin(['users', 'list'], env(dir)), /^alice\t/m);
    assert.match(await runAdmin(['users', 'list'], env(dir)), /^carol\t/m);
    assert.match(await runAdmin(['clients', 'list'], env(dir)), /^demo-web\t/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
