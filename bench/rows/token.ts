/**
 * client_credentials at the token endpoint. Ours issues RFC 9068 ES256 JWTs with no store write;
 * theirs is asked for the same (resource indicator → ES256 JWT), and in an extra row for its
 * default opaque token (kept in its memory adapter).
 */
import { compare, type Side } from '../lib/compare.ts';
import { basic, discover, FORM, postForm, type BenchContext, type CompareRow } from '../lib/context.ts';
import type { LoadSpec } from '../load.ts';

const AUTH = basic('demo-service', 'demo-service-secret');

function spec(ctx: BenchContext, url: string, body: string): LoadSpec {
  return { url, body, headers: { 'content-type': FORM, authorization: AUTH }, connections: ctx.connections, duration: ctx.duration, expectStatus: 200 };
}

/** Checks one request answers the expected kind of token before load is put on it. */
async function check(url: string, body: string, jwt: boolean): Promise<void> {
  const r = await postForm(url, body, AUTH);
  const token = r.json?.access_token;
  if (r.status !== 200 || typeof token !== 'string') throw new Error(`${url} ${body}: ${r.status} ${JSON.stringify(r.json)}`);
  if (jwt !== (token.split('.').length === 3)) throw new Error(`${url} ${body}: expected a ${jwt ? 'JWT' : 'opaque'} token, got ${token.slice(0, 20)}...`);
  if (jwt && JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg !== 'ES256') throw new Error('expected ES256');
}

export async function tokenRows(ctx: BenchContext): Promise<CompareRow[]> {
  const oursUrl = (await discover(ctx.nod.info.issuer)).token_endpoint as string;
  const theirsUrl = (await discover(ctx.panva.info.issuer)).token_endpoint as string;
  const oursBody = 'grant_type=client_credentials&scope=api';
  const theirsJwt = `grant_type=client_credentials&scope=api&resource=${encodeURIComponent(ctx.panva.info.jwtResource)}`;
  const theirsOpaque = 'grant_type=client_credentials&scope=api';
  await check(oursUrl, oursBody, true);
  await check(theirsUrl, theirsJwt, true);
  await check(theirsUrl, theirsOpaque, false);

  const ours: Side = { server: ctx.nod, spec: () => spec(ctx, oursUrl, oursBody) };
  const opts = { load: ctx.load, rounds: ctx.rounds, warmup: ctx.warmup };
  ctx.log('client_credentials: ours JWT vs theirs JWT');
  const jwt = await compare(ours, { server: ctx.panva, spec: () => spec(ctx, theirsUrl, theirsJwt) }, opts);
  ctx.log('client_credentials: ours JWT vs theirs opaque');
  const opaque = await compare(ours, { server: ctx.panva, spec: () => spec(ctx, theirsUrl, theirsOpaque) }, opts);
  return [
    {
      kind: 'compare',
      name: 'client_credentials (ES256 JWT both)',
      ...jwt,
      ratio: jwt.ours.rps / jwt.theirs.rps,
      note: 'theirs: resource indicator with accessTokenFormat jwt, ES256',
    },
    {
      kind: 'compare',
      name: 'client_credentials (ours JWT, theirs opaque)',
      ...opaque,
      ratio: opaque.ours.rps / opaque.theirs.rps,
      note: 'theirs: default opaque token, stored in its memory adapter',
    },
  ];
}
