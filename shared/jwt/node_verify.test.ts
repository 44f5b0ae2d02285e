/**
 * verifyWithNode answers exactly as jose's jwtVerify for every token it takes (same payload, same
 * error code and claim), and declines (undefined) what it does not serve, so jose answers those.
 */
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, type JWK, type JWTPayload, type JWTVerifyOptions } from 'jose';
import { verifyWithNode } from './node_verify.ts';

const ALGS = ['ES256', 'RS256', 'PS256'] as const;
type Alg = (typeof ALGS)[number];
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
const keys = new Map<Alg, { privateKey: PrivateKey; jwk: JWK; publicKey: KeyObject }>();
const ISS = 'https://op.example';
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  for (const alg of ALGS) {
    const pair = await generateKeyPair(alg, { extractable: true });
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: `k-${alg}`, alg };
    keys.set(alg, { privateKey: pair.privateKey, jwk, publicKey: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }) });
  }
});

const keyFor = (kid: string, alg: string) => [...keys.values()].find((k) => k.jwk.kid === kid && k.jwk.alg === alg)?.publicKey;
const jwks = () => createLocalJWKSet({ keys: [...keys.values()].map((k) => k.jwk) });

async function token(alg: Alg, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, kid: `k-${alg}`, ...header }).sign(keys.get(alg)!.privateKey);
}

type Outcome = { payload: JWTPayload } | { code: string; claim?: string } | 'declined';

async function both(jwt: string, options: JWTVerifyOptions): Promise<{ ours: Outcome; jose: Outcome }> {
  const outcome = async (f: () => Promise<{ payload: JWTPayload } | undefined>): Promise<Outcome> => {
    try {
      const r = await f();
      return r ? { payload: r.payload } : 'declined';
    } catch (e) {
      const err = e as { code: string; claim?: string };
      return { code: err.code, ...(err.claim ? { claim: err.claim } : {}) };
    }
  };
  return {
    ours: await outcome(async () => verifyWithNode(jwt, keyFor, options)),
    jose: await outcome(() => jwtVerify(jwt, jwks(), options)),
  };
}

describe('verifyWithNode against jose', { timeout: 30_000 }, () => {
  it('valid ES256, RS256 and PS256 tokens: verified here, with the payload jose returns', async () => {
    for (const alg of ALGS) {
      const jwt = await token(alg, { iss: ISS, aud: ISS, sub: 'alice', jti: 'j1', exp: now() + 60, iat: now() }, { typ: 'at+jwt' });
      const { ours, jose } = await both(jwt, { issuer: ISS, audience: ISS, typ: 'application/at+jwt', requiredClaims: ['jti', 'sub'] });
      assert.notEqual(ours, 'declined', alg);
      assert.deepEqual(ours, jose, alg);
    }
  });

  it('every refusal is jose’s own: signature, expiry, issuer, audience, required claim, typ, nbf', async () => {
    const good = { iss: ISS, aud: ISS, sub: 'alice', exp: now() + 60 };
    const cases: Array<[string, Promise<string>, JWTVerifyOptions]> = [
      [
        'tampered payload',
        token('ES256', good).then((t) => {
          const [h, , s] = t.split('.');
          return `${h}.${Buffer.from(JSON.stringify({ ...good, sub: 'mallory' })).toString('base64url')}.${s}`;
        }),
        { issuer: ISS },
      ],
      ['signature of another key', token('ES256', good).then((t) => t.replace(/\.[^.]+$/, `.${Buffer.alloc(64, 7).toString('base64url')}`)), { issuer: ISS }],
      ['expired', token('RS256', { ...good, exp: now() - 120 }), { issuer: ISS }],
      ['expired within the tolerance', token('RS256', { ...good, exp: now() - 5 }), { issuer: ISS, clockTolerance: 30 }],
      ['wrong issuer', token('ES256', good), { issuer: 'https://other.example' }],
      ['wrong audience', token('ES256', good), { issuer: ISS, audience: 'rp' }],
      ['missing required claim', token('PS256', good), { issuer: ISS, requiredClaims: ['jti'] }],
      ['typ expected, none sent', token('ES256', good), { issuer: ISS, typ: 'at+jwt' }],
      ['wrong typ', token('ES256', good, { typ: 'JWT' }), { issuer: ISS, typ: 'at+jwt' }],
      ['not yet valid', token('ES256', { ...good, nbf: now() + 600 }), { issuer: ISS }],
      ['too old for maxTokenAge', token('ES256', { ...good, iat: now() - 600 }), { issuer: ISS, maxTokenAge: 60 }],
    ];
    for (const [name, jwt, options] of cases) {
      const { ours, jose } = await both(await jwt, options);
      assert.notEqual(ours, 'declined', name);
      assert.deepEqual(ours, jose, name);
    }
  });

  it('declines what it does not serve, so jose answers: unknown kid, an algorithm not allowed, crit, b64, no kid, loose base64url, not a JWS', async () => {
    const claims = { iss: ISS, exp: now() + 60 };
    const es = await token('ES256', claims);
    const [, payload, signature] = es.split('.');
    const withHeader = (h: object) => `${Buffer.from(JSON.stringify(h)).toString('base64url')}.${payload}.${signature}`;
    const declined = [
      await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'unknown' }).sign(keys.get('ES256')!.privateKey),
      await new SignJWT(claims).setProtectedHeader({ alg: 'ES256' }).sign(keys.get('ES256')!.privateKey),
      withHeader({ alg: 'ES256', kid: 'k-ES256', crit: ['x'], x: 1 }),
      withHeader({ alg: 'ES256', kid: 'k-ES256', b64: false }),
      `${es}=`,
      es.replace('.', '.+'),
      'not-a-jwt',
      `${es}.extra`,
    ];
    for (const jwt of declined) assert.equal(verifyWithNode(jwt, keyFor, { issuer: ISS }), undefined, jwt.slice(0, 60));
    assert.equal(verifyWithNode(es, keyFor, { issuer: ISS, algorithms: ['RS256'] }), undefined, 'ES256 not among the algorithms');
    assert.ok(verifyWithNode(es, keyFor, { issuer: ISS, algorithms: ['ES256'] }));
  });
});
