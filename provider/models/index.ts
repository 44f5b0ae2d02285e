/**
 * The provider's collections in the Store, with the secondary indexes each flow needs.
 * Add a collection here, not ad hoc in an endpoint, so every record kind is listed in one place.
 */
import type { Collection, Store } from '../../shared/store/store.ts';
import type { Client } from './client.ts';
import type { User } from './user.ts';
import type { Interaction } from './interaction.ts';
import type { DeviceCode } from './device_code.ts';
import type { CibaDelegation, CibaRequest } from '../ciba/request.ts';
import type { AuthorizationDetail } from '../../shared/authorization_details.ts';

/** What the user approved for a client: the root every token of a login hangs from. */
export interface Grant {
  readonly grantId: string;
  readonly sub: string;
  readonly clientId: string;
  readonly scope: string;
  readonly authTime: number;
  readonly acr?: string;
  readonly amr?: readonly string[];
  /** The public id of the browser session the grant was made in (interaction/sid.ts); indexed, so a logout finds its grants. */
  readonly sid?: string;
  /** RFC 9396: the authorization details the user approved (token response, access token claim, introspection). */
  readonly authorizationDetails?: readonly AuthorizationDetail[];
}

export interface AuthorizationCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly grant: Grant;
  readonly nonce?: string;
  readonly codeChallenge?: string;
  readonly codeChallengeMethod?: string;
  /** The grant the code's tokens hang from: a replay of the code revokes it. */
  readonly grantId: string;
  /** The grant's session (its public sid), indexed: a logout drops the session's codes not yet redeemed. */
  readonly sid?: string;
}

export interface RefreshToken {
  readonly grantId: string;
  readonly clientId: string;
  readonly sub: string;
  readonly scope: string;
  /** The chain of rotated tokens; reuse of any old member revokes the whole family. */
  readonly familyId: string;
  /** Epoch seconds after which the family is dead regardless of rotation. */
  readonly familyExpiresAt: number;
  readonly nonce?: string;
}

/** A browser login session at the provider. */
export interface Session {
  readonly sub: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  readonly acr: string;
  /** Client ids that received tokens in this session (for logout). */
  readonly clients: readonly string[];
}

/** Remembered consent: `<sub> <clientId>` → scopes approved. */
export interface Consent {
  readonly sub: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

/** A revoked access token `jti` or grant id, kept until every token it covers has expired. */
export interface Revocation {
  readonly kind: 'jti' | 'grant';
  readonly at: number;
}

/** What a user code points at. */
export interface DeviceUserCode {
  readonly deviceCode: string;
}

/** Single-use JWT ids (client assertions, request objects), kept until the JWT expires. */
export interface SeenJti {
  readonly issuer: string;
}

export interface Models {
  readonly clients: Collection<Client>;
  readonly users: Collection<User>;
  readonly grants: Collection<Grant>;
  readonly codes: Collection<AuthorizationCode>;
  readonly refreshTokens: Collection<RefreshToken>;
  readonly sessions: Collection<Session>;
  readonly consents: Collection<Consent>;
  /** Authorization requests waiting for the user's sign-in and consent. */
  readonly interactions: Collection<Interaction>;
  readonly revocations: Collection<Revocation>;
  readonly seenJtis: Collection<SeenJti>;
  /** Device authorization requests (RFC 8628) by device_code. */
  readonly deviceCodes: Collection<DeviceCode>;
  /** Normalized user code → its device_code; inserted if absent, so a live user code is never handed out twice. */
  readonly deviceUserCodes: Collection<DeviceUserCode>;
  /** Provider-wide settings (CIBA policy, ...), one record per setting group. */
  readonly settings: Collection<Record<string, unknown>>;
  /** CIBA requests by auth_req_id (indexed by user). */
  readonly cibaRequests: Collection<CibaRequest>;
  /** CIBA delegation token ids (jti) → request, consumed by the entity's callback. */
  readonly cibaDelegations: Collection<CibaDelegation>;
}

/** Opens every provider collection on the store. */
export function openModels(store: Store): Models {
  return {
    clients: store.collection<Client>('Client'),
    users: store.collection<User>('User', { indexes: ['username', 'email', 'phone_number'] }),
    grants: store.collection<Grant>('Grant', { indexes: ['sub', 'sid'] }),
    codes: store.collection<AuthorizationCode>('AuthorizationCode', { indexes: ['grantId', 'sid'] }),
    refreshTokens: store.collection<RefreshToken>('RefreshToken', { indexes: ['grantId', 'familyId'] }),
    sessions: store.collection<Session>('Session', { indexes: ['sub'] }),
    consents: store.collection<Consent>('Consent'),
    interactions: store.collection<Interaction>('Interaction'),
    revocations: store.collection<Revocation>('Revocation'),
    seenJtis: store.collection<SeenJti>('SeenJti'),
    deviceCodes: store.collection<DeviceCode>('DeviceCode'),
    deviceUserCodes: store.collection<DeviceUserCode>('DeviceUserCode'),
    settings: store.collection<Record<string, unknown>>('Setting'),
    cibaRequests: store.collection<CibaRequest>('CibaRequest', { indexes: ['sub'] }),
    cibaDelegations: store.collection<CibaDelegation>('CibaDelegation'),
  };
}
