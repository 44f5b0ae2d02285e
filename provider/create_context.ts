/**
 * Builds a provider instance's context once, with every service it runs (keys, CIBA lifecycle, back-channel logout outbox,
 * login-hint resolver, hint issuers' key sets), and stops them again: nothing of an instance lives
 * in a module variable, and `stopContext` leaves no timer or subscription behind.
 */
import { EventEmitter } from 'node:events';
import { JsonPoster } from '../shared/http/post_json.ts';
import type { Logger } from '../shared/log.ts';
import type { Store } from '../shared/store/store.ts';
import { deliverOutcome } from './ciba/deliver.ts';
import { expireRequest } from './ciba/decide.ts';
import { HintIssuerKeys } from './ciba/hints.ts';
import { CibaLifecycle } from './ciba/lifecycle.ts';
import { tellEntityOfWithdrawal } from './ciba/withdraw.ts';
import { LoginHints } from './ciba/resolve_login_hint.ts';
import { BackchannelLogoutQueue } from './logout/queue.ts';
import { sendLogoutNotice } from './logout/deliver.ts';
import type { ProviderConfig } from './config.ts';
import { endpointUrls, type ProviderContext } from './context.ts';
import { KeyStore } from './keys/keystore.ts';
import { loadServerSecret } from './keys/secret.ts';
import { openModels } from './models/index.ts';
import { makeDummyHash } from './models/user.ts';

/** Opens the keys and the secret and builds the services; the CIBA work starts with `startContext`. */
export async function createContext(config: ProviderConfig, store: Store, log: Logger): Promise<ProviderContext> {
  const models = openModels(store);
  const keys = await KeyStore.open({ settings: models.settings, pubsub: store.pubsub }, config.dataDir);
  try {
    const secret = await loadServerSecret(models.settings, config.dataDir);
    let dummy: Promise<string> | undefined;
    const ctx: ProviderContext = {
      config,
      store,
      keys,
      secret,
      models,
      urls: endpointUrls(config.issuer),
      events: new EventEmitter(),
      log,
      ciba: new CibaLifecycle(store.scheduler, log, {
        expire: (authReqId) => expireRequest(ctx, authReqId),
        deliver: (authReqId, signal) => deliverOutcome(ctx, authReqId, signal),
        tellWithdrawal: (authReqId, signal) => tellEntityOfWithdrawal(ctx, authReqId, signal),
      }),
      logout: new BackchannelLogoutQueue(store.scheduler, log, (notice, attempt, signal) => sendLogoutNotice(ctx, notice, attempt, signal)),
      loginHints: new LoginHints(),
      hintIssuerKeys: new HintIssuerKeys(),
      http: new JsonPoster(),
      dummyPasswordHash: () => (dummy ??= makeDummyHash()),
    };
    return ctx;
  } catch (e) {
    await keys.stop();
    throw e;
  }
}

/** Starts the background work (what came due while no node ran, at once). */
export function startContext(ctx: ProviderContext): void {
  ctx.ciba.start();
  ctx.logout.start();
}

/** Stops every service of the context (work in flight is handed back to the store); the store itself is closed by its owner. */
export async function stopContext(ctx: ProviderContext): Promise<void> {
  await Promise.all([ctx.ciba.stop(), ctx.logout.stop()]);
  await ctx.keys.stop();
  ctx.http.close();
  ctx.events.removeAllListeners();
}
