/**
 * The entity's collections in the Store, with their indexes. Every record kind is listed here.
 *
 * Identity: a device is bound to its user at the enroll issuer by `sub` and by username
 * (`preferred_username`, lower-cased). A delegation reaches the devices of its issuer whose `sub`
 * equals the token's `sub` or whose username equals `login_hint` (lower-cased): Keycloak puts the
 * user id in `sub` and the username in `login_hint`.
 */
import type { Collection, Store } from '../shared/store/store.ts';
import type { CallbackStatus, DelegationRequest } from '../shared/auth-channel.ts';
import type { RequestStatus, SettleReason } from '../shared/entity-api.ts';

/** `issuer \n sub`: one user at one issuer. */
export const userKey = (issuer: string, sub: string) => `${issuer}\n${sub}`;
/** `issuer \n username`, lower-cased username. */
export const nameKey = (issuer: string, username: string) => `${issuer}\n${username.toLowerCase()}`;

export interface PublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

export interface Device {
  readonly device_id: string;
  readonly issuer: string;
  readonly sub: string;
  readonly username: string;
  readonly user_name?: string;
  readonly name: string;
  readonly public_key: PublicJwk;
  readonly created_at: number;
  readonly last_seen_at?: number;
  readonly userKey: string;
  readonly nameKey: string;
}

/** A device session, keyed by the SHA-256 of its bearer token (the token itself is never stored). */
export interface DeviceSession {
  readonly deviceId: string;
  /** Epoch seconds of the last renewal. */
  readonly renewedAt: number;
}

export interface StoredDecision {
  readonly status: CallbackStatus;
  readonly device_id: string;
  readonly reason?: SettleReason;
  /** Flagged as a likely attack: "this wasn't me", or a wrong number-matching pick. */
  readonly suspicious?: boolean;
  readonly at: number;
  /** How the approval was made, when a decision check established more than the device key (acr "phr"). */
  readonly acr?: string;
  readonly amr?: readonly string[];
}

export interface CallbackState {
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly last_error?: string;
  readonly delivered_at?: number;
}

/** A delegated authentication request. Kept until `expires_at` + settledRetention. */
export interface PendingRequest extends DelegationRequest {
  readonly id: string;
  readonly issuer: string;
  /** The provider's bearer token, sent back on the callback. Never leaves the entity otherwise. */
  readonly token: string;
  readonly jti: string;
  readonly sub?: string;
  readonly created_at: number;
  /** Arrival order: a store-wide sequence number (sorting within one second, across nodes). */
  readonly seq: number;
  readonly expires_at: number;
  readonly status: RequestStatus;
  readonly decided_by?: string;
  /** The deciding device's name at the time ("Approved on Pixel 8"). */
  readonly decided_on?: string;
  /** Number matching: the numbers the app offers (binding_number among them), drawn once at arrival. */
  readonly number_choices?: readonly string[];
  readonly decision?: StoredDecision;
  readonly callback?: CallbackState;
  readonly userKey?: string;
  readonly nameKey: string;
}

/** First answer wins: a marker per request, consumed by the first decision or by expiry. */
export interface Settlement {
  readonly issuer: string;
}

/** A delegation token's jti, remembered until the token expires (single use). */
export interface SeenJti {
  readonly at: number;
}

export interface PushSubscriptionRecord {
  readonly subscription: { readonly endpoint: string; readonly keys: { readonly p256dh: string; readonly auth: string } };
  readonly created_at: number;
  readonly last_push_at?: number;
  readonly last_error?: string;
}

/** A passkey (WebAuthn credential) the app registered on one device; keyed by device id (one per device). */
export interface Passkey {
  readonly device_id: string;
  /** base64url credential id. */
  readonly credential_id: string;
  /** base64url COSE public key. */
  readonly public_key: string;
  /** Signature counter last seen (0 for authenticators that keep none). */
  readonly counter: number;
  readonly transports?: readonly string[];
  /** Whether the authenticator says the credential is synced to other devices (informational). */
  readonly backed_up?: boolean;
  readonly created_at: number;
  readonly last_used_at?: number;
}

/** A WebAuthn challenge the entity issued, keyed by the challenge itself (base64url); consumed by its one use. */
export interface PasskeyChallenge {
  readonly purpose: 'register' | 'approve';
  readonly device_id: string;
  /** approve: the request, and the shown_hash the challenge commits to (shared/shown.ts). */
  readonly request_id?: string;
  readonly shown_hash?: string;
}

export interface Models {
  /** Entity-wide settings (the VAPID keys), one record per setting. */
  readonly settings: Collection<Record<string, unknown>>;
  readonly devices: Collection<Device>;
  readonly sessions: Collection<DeviceSession>;
  readonly requests: Collection<PendingRequest>;
  readonly settlements: Collection<Settlement>;
  readonly jtis: Collection<SeenJti>;
  /** Keyed by device id. */
  readonly push: Collection<PushSubscriptionRecord>;
  /** Keyed by device id. */
  readonly passkeys: Collection<Passkey>;
  /** Keyed by challenge; single use (consume). */
  readonly passkeyChallenges: Collection<PasskeyChallenge>;
}

export function openModels(store: Store): Models {
  return {
    settings: store.collection<Record<string, unknown>>('settings'),
    devices: store.collection<Device>('devices', { indexes: ['userKey', 'nameKey'] }),
    sessions: store.collection<DeviceSession>('sessions', { indexes: ['deviceId'] }),
    // jti: a withdrawal notice names its request by the delegation token it presents.
    requests: store.collection<PendingRequest>('requests', { indexes: ['userKey', 'nameKey', 'jti'] }),
    settlements: store.collection<Settlement>('settlements'),
    jtis: store.collection<SeenJti>('jtis'),
    push: store.collection<PushSubscriptionRecord>('push'),
    passkeys: store.collection<Passkey>('passkeys'),
    passkeyChallenges: store.collection<PasskeyChallenge>('passkey_challenges'),
  };
}
