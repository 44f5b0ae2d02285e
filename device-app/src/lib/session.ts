/**
 * The enrolled device: its id, bearer token, user and non-extractable signing key, kept in
 * IndexedDB so that the service worker can sign a decision from a notification too.
 */
import type { EnrollResponse } from '../../../shared/entity-api.ts';
import { idbDel, idbGet, idbSet, KEYS } from './idb.ts';

export interface Session {
  readonly device_id: string;
  readonly device_token: string;
  readonly expires_at: number;
  readonly user: EnrollResponse['user'];
  readonly name: string;
  readonly keys: CryptoKeyPair;
  /** Epoch ms of enrollment. */
  readonly enrolled_at: number;
}

/** The stored session, if this device is enrolled. */
export function loadSession(): Promise<Session | undefined> {
  return idbGet<Session>(KEYS.session);
}

export function saveSession(session: Session): Promise<void> {
  return idbSet(KEYS.session, session);
}

/** Forgets the enrollment (the key pair goes with it). */
export function clearSession(): Promise<void> {
  return idbDel(KEYS.session);
}
