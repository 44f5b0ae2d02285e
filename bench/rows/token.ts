/**
 * client_credentials at the token endpoint, three sides in turn: ours (RFC 9068 ES256 JWT, no
 * store write), theirs asked for the same (resource indicator → ES256 JWT), and theirs with its
 * default opaque token (kept in its memory adapter). Client authentication: client_secret_basic.
 */
import { basic, compareRow, discover, postForm, type BenchContext, type CompareRow } from '../lib/context.ts';
import { formLoad, oursSide, theirsSide } from '../lib/sides.ts';

const AUTH = basic('demo-service', 'demo-service-secret');

/** Checks one request answers the expected kind of token before load is put on it. */
async function check(url: string, body: string, jwt: boolean): Promise<void> {
  const r = await postForm(url, body, AUTH);
  const token = r.json?.access_token;
  if (r.status !== 200 || typeof token !== 'string') throw new Error(`${url} ${body}: ${r.status} ${JSON.stringify(r.json)}`);
  if (jwt !== (token.split('.').length === 3)) throw new Error(`${url} ${body}: expected a ${jwt ? 'JWT' : 'opaque'} token, got ${token.slice(0, 20)}...`);
  if (jwt && JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg !== 'ES256') throw new Error('expected ES256');
}

export async function clientCredentialsRows(ctx: BenchContext): Promise<CompareRow[]> {
  const oursUrl = (await discover(ctx.nod.info.issuer)).token_endpoint as string;
  const theirsUrl = (await discover(ctx.panva.info.issuer)).token_endpoint as string;
  const oursBody = 'grant_type=client_credentials&scope=api';
  const theirsJwt = `grant_type=client_credentials&scope=api&resource=${encodeURIComponent(ctx.panva.info.jwtResource)}`;
  const theirsOpaque = 'grant_type=client_credentials&scope=api';
  await check(oursUrl, oursBody, true);
  await check(theirsUrl, theirsJwt, true);
  await check(theirsUrl, theirsOpaque, false);

  ctx.log('client_credentials: ours JWT, theirs JWT, theirs opaque');
  const [ours, jwt, opaque] = await ctx.compare('cc', [
    oursSide(ctx, () => formLoad(ctx, oursUrl, AUTH, oursBody, 200)),
    theirsSide(ctx, () => formLoad(ctx, theirsUrl, AUTH, theirsJwt, 200), { name: 'theirs JWT' }),
    theirsSide(ctx, () => formLoad(ctx, theirsUrl, AUTH, theirsOpaque, 200), { name: 'theirs opaque' }),
  ]);
  return [
    compareRow(
      'cc-jwt',
      'client_credentials (ES256 JWT both)',
      ours!,
      jwt!,
      'theirs: resource indicator with accessTokenFormat jwt, ES256; nothing stored on either side',
    ),
    compareRow(
      'cc-opaque',
      'client_credentials (ours JWT, theirs opaque)',
      ours!,
      opaque!,
      'same ours rounds as the row above; theirs: its default opaque token, stored in its memory adapter',
    ),
  ];
}
