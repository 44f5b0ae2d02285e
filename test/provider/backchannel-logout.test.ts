/**
 * RP-initiated logout ends the grants made in the session, as each client registered
 * (logout_ends_grants), and OpenID Connect Back-Channel Logout 1.0: logout tokens POSTed to the
 * clients that registered a backchannel_logout_uri, verified here with jose against the
 * provider's JWKS by a real receiving server on a loopback port; with sid when the client asked
 * for it; retried after a 500 and while the receiver is down; given up after a 400.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { after, before, describe, it } from '../helpers/node-test.ts';
import { Teardown } from '../helpers/teardown.ts';
import { startTestProvider, type TestProvider } from '../helpers/provider.ts';
import { authorizationUrl, authorize, backChannel, basicAuth, providerBrowser } from '../helpers/sign-in.ts';
import { responseParams, type Browser } from '../helpers/browser-fetch.ts';
import { freePort } from '../../shared/http/free_port.ts';
import { upsertClient } from '../../provider/demo.ts';
import { discoveryDocument } from '../../provider/endpoints/discovery.ts';
import { validateClientMetadata } from '../../provider/models/client.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const REDIRECT = 'http://127.0.0.1:9/cb';

/** One logout token as received, verified. */
interface Got {
  readonly path: string;
  readonly contentType: string | undefined;
  readonly claims?: JWTPayload;
  readonly typ?: string;
  readonly error?: string;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The relying parties' back-channel logout endpoints: verifies every token, answers as `status(path, n)` says (n counts from 1 per path). */
class LogoutReceiver {
  readonly got: Got[] = [];
  private readonly counts = new Map<string, number>();
  private readonly waiters: Array<() => void> = [];
  status: (path: string, n: number) => number = () => 200;
  private constructor(
    readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(issuer: string, port = 0): Promise<LogoutReceiver> {
    const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
    const server = createServer();
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    const r = new LogoutReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', async (req, res) => {
      const path = req.url ?? '/';
      const token = new URLSearchParams(await readBody(req)).get('logout_token') ?? '';
      const n = (r.counts.get(path) ?? 0) + 1;
      r.counts.set(path, n);
      let got: Got = { path, contentType: req.headers['content-type'] };
      try {
        const audience = path.slice(1);
        const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer, audience, typ: 'logout+jwt', maxTokenAge: '2 minutes' });
        got = { ...got, claims: payload, typ: protectedHeader.typ };
      } catch (e) {
        got = { ...got, error: `${(e as Error).message} (${JSON.stringify(token ? decodeProtectedHeader(token) : {})})` };
      }
      r.got.push(got);
      for (const w of r.waiters.splice(0)) w();
      res.writeHead(got.error ? 400 : r.status(path, n)).end();
    });
    return r;
  }

  /** Waits until `count` tokens reached `path` (5 s at most). */
  async receivedAt(path: string, count = 1, timeoutMs = 5000): Promise<Got[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.got.filter((g) => g.path === path);
      if (at.length >= count) return at;
      if (Date.now() > deadline) throw new Error(`${at.length} of ${count} logout tokens at ${path}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

describe('logout ends grants and sends back-channel logout tokens', () => {
  const teardown = new Teardown();
  let p: TestProvider;
  let rps: LogoutReceiver;

  before(async () => {
    p = teardown.add(await startTestProvider({ backchannelLogout: { retryBaseMs: 100, maxAttempts: 5, timeoutMs: 2000 } }), (x) => x.stop());
    rps = teardown.add(await LogoutReceiver.start(p.issuer), (r) => r.close());
  });
  after(() => teardown.run());

  /** A code-flow client; its logout endpoint (when it has one) is the receiver's /<client_id>. */
  async function client(id: string, metadata: Record<string, unknown> = {}, logoutUri: string | false = `${rps.origin}/${id}`): Promise<string> {
    await upsertClient(p.ctx, {
      client_id: id,
      client_secret: `${id}-secret`,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [REDIRECT],
      scope: 'openid profile offline_access',
      ...(logoutUri ? { backchannel_logout_uri: logoutUri } : {}),
      ...metadata,
    });
    return id;
  }

  /** Signs in (or rides the session) for `clientId` and redeems the code. */
  async function tokens(browser: Browser, clientId: string, scope = 'openid offline_access'): Promise<Record<string, string>> {
    const page = await authorize(browser, authorizationUrl(p.issuer, { client_id: clientId, redirect_uri: REDIRECT, scope }));
    const code = responseParams(page).get('code');
    assert.ok(code, `no code for ${clientId}: ${page.status} ${page.body.slice(0, 200)}`);
    const r = await backChannel(
      p.issuer,
      '/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
      basicAuth(clientId, `${clientId}-secret`),
    );
    assert.equal(r.status, 200, JSON.stringify(r.json));
    return r.json as Record<string, string>;
  }

  const refresh = (clientId: string, refreshToken: string) =>
    backChannel(p.issuer, '/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, basicAuth(clientId, `${clientId}-secret`));
  const introspect = async (accessToken: string) =>
    (await backChannel(p.issuer, '/token/introspect', { token: accessToken }, basicAuth('demo-service', 'demo-service-secret'))).json.active;
  const logout = (browser: Browser, idToken: string) => browser.get(`${p.issuer}/logout?${new URLSearchParams({ id_token_hint: idToken })}`);
  const sidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { sid?: string }).sid;

  it('discovery says back-channel logout (with sid) is supported; registration validates the metadata', async () => {
    const meta = await discoveryDocument(p.ctx);
    assert.equal(meta.backchannel_logout_supported, true);
    assert.equal(meta.backchannel_logout_session_supported, true);
    const base = { client_id: 'bcl-meta', redirect_uris: [REDIRECT] };
    const ok = validateClientMetadata({ ...base, backchannel_logout_uri: 'https://rp.example/logout', backchannel_logout_session_required: true }).client;
    assert.equal(ok.backchannel_logout_uri, 'https://rp.example/logout');
    assert.equal(ok.backchannel_logout_session_required, true);
    assert.equal(
      validateClientMetadata({ ...base, backchannel_logout_uri: 'http://127.0.0.1:8080/bcl' }).client.backchannel_logout_uri,
      'http://127.0.0.1:8080/bcl',
    );
    for (const bad of ['http://rp.example/logout', 'https://rp.example/logout#x', 'not a url', 'ftp://rp.example/', 42]) {
      assert.throws(() => validateClientMetadata({ ...base, backchannel_logout_uri: bad }), /backchannel_logout_uri/, String(bad));
    }
    assert.throws(() => validateClientMetadata({ ...base, backchannel_logout_session_required: 'yes' }), /backchannel_logout_session_required/);
    assert.throws(() => validateClientMetadata({ ...base, logout_ends_grants: 'some' }), /logout_ends_grants/);
  });

  it('one logout: tokens with and without sid, grants ended as each client chose, nothing for a client without a logout URI', async () => {
    const withSid = await client('bcl-sid', { backchannel_logout_session_required: true, logout_ends_grants: 'all' });
    const withoutSid = await client('bcl-sub'); // default: offline_access grants survive
    const silent = await client('bcl-silent', {}, false);
    const browser = providerBrowser(p.issuer);
    const a = await tokens(browser, withSid);
    const b = await tokens(browser, withoutSid);
    const c = await tokens(browser, silent, 'openid profile'); // an online grant: access token only
    const d = await tokens(browser, silent); // an offline grant of the same client
    assert.ok(a.refresh_token && b.refresh_token && d.refresh_token && !c.refresh_token);
    const sid = sidOf(a.id_token!);
    assert.ok(sid, 'the ID token carries the session id');
    assert.equal(sidOf(b.id_token!), sid);

    const page = await logout(browser, a.id_token!);
    assert.equal(page.status, 200);
    assert.match(page.body, /You are signed out/);

    const [toA] = await rps.receivedAt(`/${withSid}`);
    const [toB] = await rps.receivedAt(`/${withoutSid}`);
    for (const got of [toA!, toB!]) {
      assert.equal(got.error, undefined, got.error);
      assert.equal(got.contentType, 'application/x-www-form-urlencoded');
      assert.equal(got.typ, 'logout+jwt');
      const claims = got.claims!;
      assert.deepEqual(claims.events, { [EVENT]: {} });
      assert.equal(claims.nonce, undefined, 'a logout token never carries a nonce');
      assert.ok(typeof claims.jti === 'string' && claims.jti.length >= 16);
      assert.ok(claims.exp! - claims.iat! <= 120);
      assert.equal(claims.sub, JSON.parse(Buffer.from(a.id_token!.split('.')[1]!, 'base64url').toString()).sub);
    }
    assert.equal(toA!.claims!.sid, sid, 'sid, as bcl-sid registered backchannel_logout_session_required');
    assert.equal(toB!.claims!.sid, undefined);
    assert.notEqual(toA!.claims!.jti, toB!.claims!.jti);

    // logout_ends_grants "all": the refresh token is dead, and so is the access token.
    const deadRefresh = await refresh(withSid, a.refresh_token!);
    assert.equal(deadRefresh.json.error, 'invalid_grant');
    assert.equal(await introspect(a.access_token!), false);
    // The default keeps offline_access grants (the user need not be present) and ends online ones.
    assert.equal((await refresh(withoutSid, b.refresh_token!)).status, 200);
    assert.equal(await introspect(c.access_token!), false, 'the online grant of bcl-silent ended');
    assert.equal((await refresh(silent, d.refresh_token!)).status, 200, 'its offline grant survived');

    await new Promise((r) => setTimeout(r, 300));
    assert.equal(rps.got.filter((g) => g.path === `/${silent}`).length, 0, 'no logout URI, no token');
    assert.equal(rps.got.filter((g) => g.path === `/${withSid}` || g.path === `/${withoutSid}`).length, 2, 'one token each');
  });

  it('a code not redeemed before the logout is dropped; logout_ends_grants "none" keeps everything', async () => {
    const keeper = await client('bcl-keeper', { logout_ends_grants: 'none' }, false);
    const eager = await client('bcl-eager', { logout_ends_grants: 'all' }, false);
    const browser = providerBrowser(p.issuer);
    const kept = await tokens(browser, keeper, 'openid profile');
    const page = await authorize(browser, authorizationUrl(p.issuer, { client_id: eager, redirect_uri: REDIRECT, scope: 'openid' }));
    const code = responseParams(page).get('code')!;
    await logout(browser, kept.id_token!);
    const late = await backChannel(p.issuer, '/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT }, basicAuth(eager, `${eager}-secret`));
    assert.equal(late.json.error, 'invalid_grant');
    assert.equal(await introspect(kept.access_token!), true);
  });

  it('retries with backoff after a 500 and while the receiver is down; gives up on a 400', async () => {
    const flaky = await client('bcl-flaky');
    rps.status = (path, n) => (path === `/${flaky}` && n === 1 ? 500 : 200);
    const downPort = await freePort('127.0.0.1');
    const down = await client('bcl-down', {}, `http://127.0.0.1:${downPort}/bcl-down`);
    const refuses = await client('bcl-refuses');
    const events: Array<{ name: string; clientId: unknown; why?: unknown; attempt?: unknown }> = [];
    const on = (name: string) => (e: { clientId: unknown; why?: unknown; attempt?: unknown }) => events.push({ name, ...e });
    const listeners = ['backchannel_logout.sent', 'backchannel_logout.failed', 'backchannel_logout.gave_up'].map((n) => [n, on(n)] as const);
    for (const [n, f] of listeners) p.ctx.events.on(n, f);
    try {
      const browser = providerBrowser(p.issuer);
      const t = await tokens(browser, flaky);
      await tokens(browser, down);
      await tokens(browser, refuses);
      rps.status = (path, n) => (path === `/${flaky}` && n === 1 ? 500 : path === `/${refuses}` ? 400 : 200);
      await logout(browser, t.id_token!);

      const [first, second] = await rps.receivedAt(`/${flaky}`, 2);
      assert.equal(first!.claims!.jti, second!.claims!.jti, 'a retry is the same logout token (same jti), freshly signed');
      // The receiver at downPort comes up only after the first attempt failed with a refused connection.
      const deadline = Date.now() + 5000;
      while (!events.some((e) => e.name === 'backchannel_logout.failed' && e.clientId === down) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const late = teardown.add(await LogoutReceiver.start(p.issuer, downPort), (r) => r.close());
      const [gotDown] = await late.receivedAt(`/${down}`);
      assert.equal(gotDown!.error, undefined);
      await rps.receivedAt(`/${refuses}`);
      await new Promise((r) => setTimeout(r, 300));

      const of = (clientId: string) => events.filter((e) => e.clientId === clientId).map((e) => `${e.name.split('.')[1]}:${String(e.why ?? '')}`);
      assert.deepEqual(of(flaky), ['failed:status 500', 'sent:']);
      assert.match(of(down)[0]!, /^failed:ECONNREFUSED/);
      assert.equal(of(down).at(-1), 'sent:');
      assert.deepEqual(of(refuses), ['gave_up:status 400'], 'a 4xx is final');
      assert.equal(rps.got.filter((g) => g.path === `/${refuses}`).length, 1);
    } finally {
      for (const [n, f] of listeners) p.ctx.events.off(n, f);
      rps.status = () => 200;
    }
  });

  it('gives up after the configured attempts when the receiver keeps failing', async () => {
    const broken = await client('bcl-broken');
    rps.status = (path) => (path === `/${broken}` ? 503 : 200);
    const gaveUp = new Promise<{ attempt: number }>((resolve) => {
      const f = (e: { clientId: string; attempt: number }) => {
        if (e.clientId !== broken) return;
        p.ctx.events.off('backchannel_logout.gave_up', f);
        resolve(e);
      };
      p.ctx.events.on('backchannel_logout.gave_up', f);
    });
    try {
      const browser = providerBrowser(p.issuer);
      const t = await tokens(browser, broken);
      await logout(browser, t.id_token!);
      const { attempt } = await gaveUp;
      assert.equal(attempt, 5);
      assert.equal(rps.got.filter((g) => g.path === `/${broken}`).length, 5);
    } finally {
      rps.status = () => 200;
    }
  });
});

describe('back-channel logout across a restart', () => {
  const teardown = new Teardown();
  after(() => teardown.run());

  it('a logout token still owed when the provider stops is sent by the next start on the same data', async () => {
    const tuning = { backchannelLogout: { retryBaseMs: 200, maxAttempts: 20 } };
    const first = await startTestProvider(tuning);
    let closed = false;
    teardown.add(first, (x) => (closed ? undefined : x.stop()));
    const receiverPort = await freePort('127.0.0.1');
    await upsertClient(first.ctx, {
      client_id: 'bcl-restart',
      client_secret: 'bcl-restart-secret',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: [REDIRECT],
      scope: 'openid',
      backchannel_logout_uri: `http://127.0.0.1:${receiverPort}/bcl-restart`,
    });
    const failed = new Promise<void>((resolve) => first.ctx.events.once('backchannel_logout.failed', () => resolve()));
    const browser = providerBrowser(first.issuer);
    const page = await authorize(
      browser,
      authorizationUrl(first.issuer, { client_id: 'bcl-restart', redirect_uri: REDIRECT, scope: 'openid', response_type: 'code' }),
    );
    const code = responseParams(page).get('code')!;
    const t = await backChannel(
      first.issuer,
      '/token',
      { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
      basicAuth('bcl-restart', 'bcl-restart-secret'),
    );
    await browser.get(`${first.issuer}/logout?${new URLSearchParams({ id_token_hint: String(t.json.id_token) })}`);
    await failed; // nobody listens yet

    const { issuer, port, dataDir } = first;
    await first.close();
    closed = true;
    const receiver = teardown.add(await LogoutReceiver.start(issuer, receiverPort), (r) => r.close());
    teardown.add(await startTestProvider({ ...tuning, dataDir, issuer, port }), (x) => x.stop());
    const [got] = await receiver.receivedAt('/bcl-restart', 1, 10_000);
    assert.equal(got!.error, undefined, got!.error);
    assert.equal(got!.claims!.aud, 'bcl-restart');
  });
});
