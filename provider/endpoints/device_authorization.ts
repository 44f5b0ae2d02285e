/**
 * The device authorization endpoint: a TV (or any input-constrained device) asks for a
 * device_code to poll with and a user_code to show. Client authentication is as at the token
 * endpoint; public clients send their client_id.
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.1
 * @see https://www.rfc-editor.org/rfc/rfc8628#section-3.2
 */
import { InvalidScope, ServerError, UnauthorizedClient } from '../../shared/errors.ts';
import { DEVICE_CODE_GRANT_TYPE } from '../../shared/constants.ts';
import type { ProviderContext } from '../context.ts';
import type { FormEndpoint } from '../middleware/form_endpoint.ts';
import { defaults } from '../defaults.ts';
import { authenticateClient } from '../middleware/authenticate_client.ts';
import { spaceList } from '../middleware/params.ts';
import { allowedScopes, type Client } from '../models/client.ts';
import { randomId } from '../../shared/random.ts';
import { nowSeconds } from '../../shared/time.ts';
import { formatUserCode, newUserCode } from '../device/user_code.ts';
import { checkAuthorizationDetails } from '../authorization_details/check.ts';

/** Lifetime and poll interval for `client`: its own metadata, else the provider's. */
export function deviceTimes(ctx: ProviderContext, client: Client): { expiresIn: number; interval: number } {
  return {
    expiresIn: client.device_code_expires_in ?? ctx.config.device.expiresIn,
    interval: client.device_code_interval ?? ctx.config.device.interval,
  };
}

/**
 * Takes a user code no live request holds, pointing at `deviceCode`: insert-if-absent, so two
 * requests on two nodes can never get the same code (a clash is ~1 in 25 billion per live code;
 * a few tries suffice).
 */
async function takeUserCode(ctx: ProviderContext, deviceCode: string, expiresIn: number): Promise<string> {
  for (let i = 0; i < 5; i++) {
    const code = newUserCode();
    if (await ctx.models.deviceUserCodes.insert(code, { deviceCode }, { expiresIn })) return code;
  }
  throw new ServerError('could not allocate a user code', 'five user code collisions in a row');
}

export function deviceAuthorizationEndpoint(ctx: ProviderContext): FormEndpoint {
  return async ({ params, authorization, ip }) => {
    const client = await authenticateClient(ctx, params, authorization, ctx.urls.deviceAuthorization, ip);
    if (!client.grant_types.includes(DEVICE_CODE_GRANT_TYPE)) throw new UnauthorizedClient(`client is not registered for ${DEVICE_CODE_GRANT_TYPE}`);
    const requested = params.scope === undefined ? spaceList(client.scope) : spaceList(params.scope);
    const refused = allowedScopes(client, requested);
    if (refused.length) throw new InvalidScope(`scope not allowed for this client: ${refused.join(' ')}`);
    const authorizationDetails = checkAuthorizationDetails(client, params.authorization_details);
    const { expiresIn, interval } = deviceTimes(ctx, client);
    const deviceCode = randomId(32);
    const lifetime = expiresIn + defaults.expiredRequestGrace;
    const userCode = await takeUserCode(ctx, deviceCode, lifetime);
    const createdAt = nowSeconds();
    await ctx.models.deviceCodes.put(
      deviceCode,
      {
        clientId: client.client_id,
        status: 'pending',
        expiresAt: createdAt + expiresIn,
        interval,
        userCode,
        scope: [...new Set(requested)].join(' '),
        createdAt,
        ...(authorizationDetails ? { authorizationDetails } : {}),
      },
      { expiresIn: lifetime },
    );
    ctx.events.emit('device_authorization.saved', { clientId: client.client_id, userCode });
    const shown = formatUserCode(userCode);
    const body = {
      device_code: deviceCode,
      user_code: shown,
      verification_uri: ctx.urls.deviceVerification,
      verification_uri_complete: `${ctx.urls.deviceVerification}?${new URLSearchParams({ user_code: shown })}`,
      expires_in: expiresIn,
      interval,
    };
    return { body, headers: { Pragma: 'no-cache' } };
  };
}

/** Discovery metadata of the device flow. @see https://www.rfc-editor.org/rfc/rfc8628#section-4 */
export function deviceMetadata(ctx: ProviderContext): Record<string, unknown> {
  return { device_authorization_endpoint: ctx.urls.deviceAuthorization };
}
