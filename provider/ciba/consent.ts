/**
 * Consent for CIBA: the delegation tells the entity `is_consent_required` when the user has not
 * yet approved every requested scope for this client; an approval on the device then counts as
 * that consent and is remembered like one given on the consent page.
 */
import type { ProviderContext } from '../context.ts';
import { defaults } from '../defaults.ts';
import type { WriteOptions } from '../../shared/store/store.ts';

const consentId = (sub: string, clientId: string) => `${sub} ${clientId}`;

/** True unless a remembered consent covers every scope in `scope`. */
export async function isConsentRequired(ctx: ProviderContext, sub: string, clientId: string, scope: string): Promise<boolean> {
  const consent = await ctx.models.consents.find(consentId(sub, clientId));
  return !consent || scope.split(' ').some((s) => !consent.scopes.includes(s));
}

/** Remembers that the user approved `scope` for the client (added to what was approved before, without losing a concurrent addition). */
export async function rememberConsent(
  ctx: ProviderContext,
  sub: string,
  clientId: string,
  scope: string,
  options?: Pick<WriteOptions, 'durable'>,
): Promise<void> {
  await ctx.models.consents.update(
    consentId(sub, clientId),
    (before) => ({ sub, clientId, scopes: [...new Set([...(before?.scopes ?? []), ...scope.split(' ')])] }),
    { expiresIn: defaults.consentTtl, ...options },
  );
}
