/**
 * The WebAuthn relying party the app's passkeys belong to: the entity's public origin
 * (NOD_SERVER_URL), whose host name is the RP ID. Browsers allow passkeys only on secure
 * origins (https, or http://localhost) and never on an IP address.
 * @see https://www.w3.org/TR/webauthn-3/#rp-id
 */
import type { ServerContext } from '../context.ts';
import { defaults } from '../defaults.ts';

export interface RelyingParty {
  readonly id: string;
  readonly origin: string;
  readonly name: string;
}

export function relyingParty(ctx: ServerContext): RelyingParty {
  const url = new URL(ctx.config.url);
  return { id: url.hostname, origin: url.origin, name: defaults.passkeyRpName };
}
