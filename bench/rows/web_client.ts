/**
 * The web client of the code and refresh rows, the same on both sides: confidential
 * (client_secret_basic), code + refresh_token grants, ID tokens signed with ES256, scope
 * `openid profile offline_access api`; and the users its codes and refresh tokens belong to.
 */
import { BENCH_WEB } from '../servers/bench_web.ts';
import { basic, discover, type BenchContext } from '../lib/context.ts';
import type { Side } from '../lib/compare.ts';
import { formLoad, roundAmount } from '../lib/sides.ts';

export { BENCH_WEB };
export const WEB_AUTH = basic(BENCH_WEB.client_id, BENCH_WEB.client_secret);
/** Users the minted codes and refresh tokens are spread over (one grant each). */
const USERS = 100;
/** Throughput assumed for the first round of single-use bodies when there was no warm-up. */
const GUESS_RPS = 500;

export interface WebClient {
  readonly usernames: string[];
  readonly oursToken: string;
  readonly theirsToken: string;
}

const registered = new WeakMap<BenchContext, Promise<WebClient>>();

/** Registers the client at our provider and seeds its users (once per run); theirs has it in its configuration. */
export function webClient(ctx: BenchContext): Promise<WebClient> {
  let done = registered.get(ctx);
  if (done) return done;
  done = (async () => {
    await ctx.nod.call('upsertClient', {
      client_id: BENCH_WEB.client_id,
      client_name: 'Bench Web App',
      client_secret: BENCH_WEB.client_secret,
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [BENCH_WEB.redirect_uri],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: BENCH_WEB.scope,
      id_token_signed_response_alg: 'ES256',
    });
    const users = await ctx.nod.call<Array<{ username: string }>>('seedUsers', { count: USERS, prefix: 'bench-web' });
    await ctx.panva.call('seedAccounts', { usernames: users.map((u) => u.username) });
    return {
      usernames: users.map((u) => u.username),
      oursToken: (await discover(ctx.nod.info.issuer)).token_endpoint as string,
      theirsToken: (await discover(ctx.panva.info.issuer)).token_endpoint as string,
    };
  })();
  registered.set(ctx, done);
  return done;
}

const header = (jwt: unknown) => (typeof jwt === 'string' ? JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) : undefined);

/** Throws unless `r` is a token response with an ES256 JWT access token, an ES256 ID token and a new refresh token. */
export function checkTokenResponse(side: string, r: { status: number; json: unknown }, previousRefresh?: string): void {
  const { access_token, id_token, refresh_token } = (r.json ?? {}) as Record<string, unknown>;
  const why =
    r.status !== 200
      ? `status ${r.status}`
      : header(access_token)?.alg !== 'ES256'
        ? 'access token is not an ES256 JWT'
        : header(id_token)?.alg !== 'ES256'
          ? 'ID token is not ES256'
          : typeof refresh_token !== 'string' || refresh_token === previousRefresh
            ? 'no new refresh token'
            : undefined;
  if (why) throw new Error(`${side}: ${why}: ${JSON.stringify(r.json).slice(0, 300)}`);
}

/**
 * The load of a round of single-use bodies (codes, refresh tokens): `mint` makes as many as the
 * round will use (sized from the side's last throughput) and each is sent once.
 */
export function singleUseLoad(ctx: BenchContext, url: string, mint: (count: number) => Promise<string[]>): Side['spec'] {
  return async (round) => {
    const n = roundAmount(ctx, round, GUESS_RPS);
    return formLoad(ctx, url, WEB_AUTH, await mint(n), 200, n);
  };
}

/** Removes what the row left at our provider (grants, codes, refresh tokens of the web client). */
export async function purgeWebClient(ctx: BenchContext): Promise<void> {
  const removed = await ctx.nod.call<number>('purgeClient', { clientId: BENCH_WEB.client_id });
  ctx.log(`removed ${removed} grants, codes and refresh tokens of ${BENCH_WEB.client_id} from our store`);
}
