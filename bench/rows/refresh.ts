/**
 * Refresh token rotation at the token endpoint: client_secret_basic, each request presents a
 * fresh refresh token and gets a new one (the old one consumed) with an ES256 JWT access token
 * and an ES256 ID token. Refresh tokens are minted before each round on both sides, each of its
 * own grant, as many as the round will use (the round is a fixed number of requests).
 */
import { compareRow, postForm, type BenchContext, type CompareRow } from '../lib/context.ts';
import { oursSide, theirsSide } from '../lib/sides.ts';
import { BENCH_WEB, checkTokenResponse, purgeWebClient, singleUseLoad, WEB_AUTH, webClient } from './web_client.ts';

const body = (token: string) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString();

export async function refreshRows(ctx: BenchContext): Promise<CompareRow[]> {
  const web = await webClient(ctx);
  const mint = { clientId: BENCH_WEB.client_id, scope: BENCH_WEB.scope, usernames: web.usernames };
  const oursTokens = (count: number) => ctx.nod.call<string[]>('mintRefreshTokens', { ...mint, count });
  const theirsTokens = (count: number) => ctx.panva.call<string[]>('mintRefreshTokens', { ...mint, count });
  const [o] = await oursTokens(1);
  checkTokenResponse('ours', await postForm(web.oursToken, body(o!), WEB_AUTH), o);
  const again = await postForm(web.oursToken, body(o!), WEB_AUTH);
  if (again.json?.error !== 'invalid_grant') throw new Error(`ours: a rotated refresh token was accepted again: ${again.status}`);
  const [t] = await theirsTokens(1);
  checkTokenResponse('theirs', await postForm(web.theirsToken, body(t!), WEB_AUTH), t);
  const againTheirs = await postForm(web.theirsToken, body(t!), WEB_AUTH);
  if (againTheirs.json?.error !== 'invalid_grant') throw new Error(`theirs: a rotated refresh token was accepted again: ${againTheirs.status}`);

  ctx.log('refresh token rotation');
  const [ours, theirs] = await ctx.compare('refresh', [
    oursSide(
      ctx,
      singleUseLoad(ctx, web.oursToken, async (n) => (await oursTokens(n)).map(body)),
    ),
    theirsSide(
      ctx,
      singleUseLoad(ctx, web.theirsToken, async (n) => (await theirsTokens(n)).map(body)),
    ),
  ]);
  await purgeWebClient(ctx);
  return [
    compareRow(
      'refresh',
      'refresh_token rotation (ES256 AT + ID token)',
      ours!,
      theirs!,
      'each request presents a fresh refresh token minted before the round; ours: consumes it and stores its successor (durable, fsynced); theirs: rotateRefreshToken true, consumes it and stores its successor in memory; JWT access tokens not stored on either side',
    ),
  ];
}
