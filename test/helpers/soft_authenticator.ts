/**
 * A software WebAuthn authenticator for the entity's tests: makes real registrations
 * (attestation "none", an ES256 COSE key in the authenticator data) and real assertions (DER
 * ECDSA over authenticatorData ‖ SHA-256(clientDataJSON)), so the entity's verifier sees exactly
 * what a browser sends. Every field the entity checks can be bent: origin, RP ID, the UV flag,
 * the counter, the challenge.
 * @see https://www.w3.org/TR/webauthn-3/#sctn-authenticator-data
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { PasskeyAssertion, PasskeyCreationOptions, PasskeyRegistration, PasskeyRequestOptions } from '../../shared/passkey-api.ts';

/** The bits of CBOR (RFC 8949) a COSE key and an attestation object need. */
function head(major: number, n: number): Buffer {
  if (n < 24) return Buffer.from([(major << 5) | n]);
  if (n < 256) return Buffer.from([(major << 5) | 24, n]);
  if (n < 65536) return Buffer.from([(major << 5) | 25, n >> 8, n & 255]);
  const b = Buffer.alloc(5);
  b[0] = (major << 5) | 26;
  b.writeUInt32BE(n, 1);
  return b;
}
function cbor(v: unknown): Buffer {
  if (typeof v === 'number') return v >= 0 ? head(0, v) : head(1, -1 - v);
  if (typeof v === 'string') return Buffer.concat([head(3, Buffer.byteLength(v)), Buffer.from(v)]);
  if (v instanceof Uint8Array) return Buffer.concat([head(2, v.length), Buffer.from(v)]);
  if (v instanceof Map) return Buffer.concat([head(5, v.size), ...[...v].flatMap(([k, x]) => [cbor(k), cbor(x)])]);
  throw new TypeError(`cannot encode ${typeof v}`);
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest();
const b64u = (b: Buffer) => b.toString('base64url');

const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

export interface Bend {
  readonly origin?: string;
  readonly rpId?: string;
  /** Report user verification (default true). */
  readonly uv?: boolean;
  /** The counter to report once (default: one more than the last). */
  readonly counter?: number;
  /** A challenge other than the options' one. */
  readonly challenge?: string;
}

export class SoftAuthenticator {
  readonly credentialId = randomBytes(16);
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  counter = 0;

  constructor(
    readonly origin: string,
    readonly rpId = new URL(origin).hostname,
  ) {
    ({ privateKey: this.privateKey, publicKey: this.publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  }

  private coseKey(): Buffer {
    const jwk = this.publicKey.export({ format: 'jwk' });
    return cbor(
      new Map<number, unknown>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
  }

  private authData(rpId: string, flags: number, counter: number, attested?: Buffer): Buffer {
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(rpId), Buffer.from([flags]), count, ...(attested ? [attested] : [])]);
  }

  private clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create() with these options, as its JSON form. */
  register(options: PasskeyCreationOptions, bend: Bend = {}): PasskeyRegistration {
    const idLength = Buffer.from([this.credentialId.length >> 8, this.credentialId.length & 255]);
    const attested = Buffer.concat([Buffer.alloc(16), idLength, this.credentialId, this.coseKey()]);
    const authData = this.authData(bend.rpId ?? options.rp.id ?? this.rpId, UP | (bend.uv === false ? 0 : UV) | AT, 0, attested);
    const attestationObject = cbor(
      new Map<string, unknown>([
        ['fmt', 'none'],
        ['attStmt', new Map()],
        ['authData', authData],
      ]),
    );
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      response: {
        clientDataJSON: b64u(this.clientData('webauthn.create', bend.challenge ?? options.challenge, bend.origin ?? this.origin)),
        attestationObject: b64u(attestationObject),
        transports: ['internal'],
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }

  /** navigator.credentials.get() with these options, as its JSON form. */
  assert(options: PasskeyRequestOptions, bend: Bend = {}): PasskeyAssertion {
    // A bent counter is reported once; the authenticator's own keeps counting.
    const counter = bend.counter ?? ++this.counter;
    const authData = this.authData(bend.rpId ?? options.rpId ?? this.rpId, UP | (bend.uv === false ? 0 : UV), counter);
    const clientData = this.clientData('webauthn.get', bend.challenge ?? options.challenge, bend.origin ?? this.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.privateKey);
    return {
      id: b64u(this.credentialId),
      rawId: b64u(this.credentialId),
      type: 'public-key',
      response: { clientDataJSON: b64u(clientData), authenticatorData: b64u(authData), signature: b64u(signature) },
      authenticatorAttachment: 'platform',
      clientExtensionResults: {},
    };
  }
}
