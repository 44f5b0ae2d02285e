/** Every grant type the token endpoint serves, by `grant_type`. Discovery lists these. */
import type { GrantType } from './grant.ts';
import { clientCredentials } from './client_credentials.ts';
import { refreshToken } from './refresh_token.ts';
import { authorizationCode } from './authorization_code.ts';
import { ciba } from './ciba.ts';
import { deviceCode } from './device_code.ts';

export const grantTypes: ReadonlyMap<string, GrantType> = new Map(
  [authorizationCode, clientCredentials, refreshToken, deviceCode, ciba].map((g) => [g.grantType, g]),
);
