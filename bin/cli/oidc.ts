/** The relying party's openid-client configuration, from the provider's discovery document. */
import * as client from 'openid-client';
import { CliError, describeError } from './errors.ts';
import type { CommonOptions } from './options.ts';
import { BINDING_NUMBER } from '../../shared/ciba-extensions.ts';

/** Discovers the provider and sets up client authentication (Basic with a secret, none without). */
export async function connect(options: CommonOptions): Promise<client.Configuration> {
  const auth = options.clientSecret ? client.ClientSecretBasic(options.clientSecret) : client.None();
  try {
    return await client.discovery(new URL(options.issuer), options.clientId, undefined, auth, {
      // Plain http is for a local demo only; openid-client refuses it unless told.
      execute: options.issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
      timeout: 10,
    });
  } catch (e) {
    throw new CliError(`cannot use the provider at ${options.issuer}: ${await describeError(e)}`);
  }
}

/** The poll signal: a little past expiry, so the provider's own expired_token answer comes first. */
export function pollSignal(expiresIn: number, interval: number): AbortSignal {
  return AbortSignal.timeout((expiresIn + interval + 10) * 1000);
}

/** Number matching: the `binding_number` of a backchannel authentication response, if the provider sent one. */
export function bindingNumberOf(started: client.BackchannelAuthenticationResponse): string | undefined {
  const n = (started as { [BINDING_NUMBER]?: unknown })[BINDING_NUMBER];
  return typeof n === 'string' ? n : undefined;
}
