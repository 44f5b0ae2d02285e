/**
 * The authorization code exchange at the token endpoint: code + PKCE (S256) + redirect_uri,
 * client_secret_basic, answered with an ES256 JWT access token, an ES256 ID token and a
 * refresh token. Codes are minted before each round on both sides (each from its own login,
 * by each side's own issuance code), as many as the round will use: every request redeems a
 * fresh code, so the round is a fixed number of requests sized to last about its length.
 */
import { compareRow, postForm, type BenchContext, type CompareRow } from '../lib/context.ts';
import { oursSide, theirsSide } from '../lib/sides.ts';
import { BENCH_WEB, checkTokenResponse, purgeWebClient, singleUseLoad, WEB_AUTH, webClient } from './web_client.ts';

type Minted = Array<{ code: string; verifier: string }>;

const body = (c: { code: string; verifier: string }) =>
  new URLSearchParams({ grant_type: 'authorization_code', code: c.code, redirect_uri: BENCH_WEB.redirect_uri, code_verifier: c.verifier }).toString();

export async function codeRows(ctx: BenchContext): Promise<CompareRow[]> {
  const web = await webClient(ctx);
  const mint = { clientId: BENCH_WEB.client_id, redirectUri: BENCH_WEB.redirect_uri, scope: BENCH_WEB.scope, usernames: web.usernames };
  const oursCodes = (count: number) => ctx.nod.call<Minted>('mintCodes', { ...mint, count });
  const theirsCodes = (count: number) => ctx.panva.call<Minted>('mintCodes', { ...mint, count });
  checkTokenResponse('ours', await postForm(web.oursToken, body((await oursCodes(1))[0]!), WEB_AUTH));
  checkTokenResponse('theirs', await postForm(web.theirsToken, body((await theirsCodes(1))[0]!), WEB_AUTH));

  ctx.log('authorization code + PKCE exchange');
  const [ours, theirs] = await ctx.compare('code', [
    oursSide(
      ctx,
      singleUseLoad(ctx, web.oursToken, async (n) => (await oursCodes(n)).map(body)),
    ),
    theirsSide(
      ctx,
      singleUseLoad(ctx, web.theirsToken, async (n) => (await theirsCodes(n)).map(body)),
    ),
  ]);
  await purgeWebClient(ctx);
  return [
    compareRow(
      'code',
      'authorization_code + PKCE (ES256 AT + ID token, refresh)',
      ours!,
      theirs!,
      'each request redeems a fresh code minted before the round; ours: consumes the code and stores the grant and the refresh token (durable, fsynced), JWT access token not stored; theirs: consumes the code and stores the refresh token in memory, JWT access token (resource indicator) not stored',
    ),
  ];
}
