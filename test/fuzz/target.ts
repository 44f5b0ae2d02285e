/**
 * The fuzz target: a real provider (demo data) and a real entity (trusting it, serving the built
 * device app) on free loopback ports, in a child process of the fuzz runner, so a crash is a
 * process exit the runner sees (and survives). Logs go to stdout as JSON lines (the runner reads
 * the `error` ones); the first line is `{"fuzzTarget": {provider, entity}, "fixtures": {...}}`
 * with the two ports and the live credentials the cases' placeholders stand for (generators.ts
 * FIXTURES), so that cases get past authentication into the endpoints behind it:
 *   access        a provider access token of alice (the device app's client: enrollment, userinfo)
 *   device        the session token of a device enrolled by alice
 *   other_device  the id of alice's second device
 *   request       the entity's id of a pending request for alice
 *   delegation    a delegation token signed by the provider (already used once: its jti is spent)
 *
 *   node --import tsx test/fuzz/target.ts
 */
import { generateKeyPairSync } from 'node:crypto';
import { rmSync } from 'node:fs';
import { startProvider } from '../../provider/app.ts';
import { signDelegationToken } from '../../provider/ciba/delegation.ts';
import { issueAccessToken, saveGrant } from '../../provider/tokens/issue.ts';
import { randomId } from '../../shared/random.ts';
import { startServer } from '../../server/app.ts';
import { defaults as entityDefaults } from '../../server/defaults.ts';
import { DELEGATION_PATH } from '../../shared/auth-channel.ts';
import { DEVICE_APP_CLIENT_ID } from '../../shared/constants.ts';
import { ENTITY_API, type EnrollResponse } from '../../shared/entity-api.ts';
import { nowSeconds } from '../../shared/time.ts';
import { tempDir } from '../helpers/provider.ts';
import { testStore } from '../helpers/store.ts';

const providerDir = tempDir('nod-fuzz-provider-');
const entityDir = tempDir('nod-fuzz-entity-');
const provider = await startProvider({ port: 0, host: '127.0.0.1', demo: true, ...testStore(providerDir), dataDir: providerDir });
const entity = await startServer({ port: 0, host: '127.0.0.1', trustedIssuers: [provider.issuer], ...testStore(entityDir), dataDir: entityDir });

/** POSTs JSON to the entity and returns the parsed answer; throws unless it is `status`. */
async function postEntity(path: string, body: unknown, bearer: string, status: number): Promise<unknown> {
  const res = await fetch(`${entity.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
    body: JSON.stringify(body),
  });
  if (res.status !== status) throw new Error(`fuzz fixtures: POST ${path} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** The live credentials behind the placeholders (see the header). */
async function fixtures(): Promise<Record<string, string>> {
  const ctx = provider.ctx;
  const alice = (await ctx.models.users.findBy('username', 'alice'))[0]?.value;
  const client = await ctx.models.clients.find(DEVICE_APP_CLIENT_ID);
  if (!alice || !client) throw new Error('fuzz fixtures: the demo data has no alice or no device app client');
  const scope = 'openid profile';
  const grant = await saveGrant(ctx, { sub: alice.sub, clientId: client.client_id, scope, authTime: nowSeconds() });
  const access = (await issueAccessToken(ctx, { client, grant, scope, ttl: 24 * 3600 })).token;
  const enroll = async (name: string) => {
    const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    return (await postEntity(ENTITY_API.devices, { name, public_key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } }, access, 201)) as EnrollResponse;
  };
  const phone = await enroll('Fuzz phone');
  const tablet = await enroll('Fuzz tablet');
  const delegate = async () => {
    const token = await signDelegationToken(ctx, {
      jti: randomId(16),
      clientId: 'demo-bank',
      sub: alice.sub,
      exp: nowSeconds() + entityDefaults.maxRequestLifetime,
    });
    const body = { login_hint: 'alice', scope: 'openid', is_consent_required: false, binding_message: 'FUZZ-1', client_id: 'demo-bank' };
    const accepted = (await postEntity(DELEGATION_PATH, body, token, 201)) as { id: string };
    return { token, id: accepted.id };
  };
  const pending = await delegate();
  const spent = await delegate();
  return { access, device: phone.device_token, other_device: tablet.device_id, request: pending.id, delegation: spent.token };
}

process.stdout.write(`${JSON.stringify({ fuzzTarget: { provider: provider.port, entity: entity.port }, fixtures: await fixtures() })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.allSettled([entity.close(), provider.close()]);
  rmSync(providerDir, { recursive: true, force: true });
  rmSync(entityDir, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The runner closes our stdin when it is done (and when it dies).
process.stdin.on('end', () => void stop());
process.stdin.resume();
