/**
 * The app ↔ entity contract for passkeys: a WebAuthn credential the app registers on its
 * device (platform authenticator, user verification required), and the assertion that approves
 * a request asking for phishing-resistant authentication (acr `phr`). Binary fields are
 * base64url strings, as in WebAuthn Level 3's JSON forms.
 * @see https://www.w3.org/TR/webauthn-3/#dictdef-publickeycredentialcreationoptionsjson
 * @see https://www.w3.org/TR/webauthn-3/#dictdef-authenticationresponsejson
 */

export const PASSKEY_API = {
  /** GET → PasskeyStatus; POST {credential: PasskeyRegistration} → 201 PasskeyStatus; DELETE → 204: this device's passkey. */
  passkey: '/api/passkey',
  /** POST → PasskeyCreationOptions: a single-use registration challenge for this device. */
  options: '/api/passkey/options',
  /**
   * POST {shown_hash} → PasskeyRequestOptions: a single-use challenge bound to this request, this
   * device and what it shows (shared/shown.ts passkeyChallenge).
   */
  challenge: (requestId: string) => `/api/requests/${encodeURIComponent(requestId)}/passkey-challenge`,
} as const;

/** GET /api/passkey */
export interface PasskeyStatus {
  readonly registered: boolean;
  /** Epoch seconds when it was registered. */
  readonly created_at?: number;
  /** Epoch seconds when it last approved a request. */
  readonly last_used_at?: number;
}

export interface PasskeyDescriptor {
  readonly id: string;
  readonly type: 'public-key';
  readonly transports?: readonly string[];
}

/** Options for navigator.credentials.create(), as JSON. */
export interface PasskeyCreationOptions {
  readonly rp: { readonly id?: string; readonly name: string };
  readonly user: { readonly id: string; readonly name: string; readonly displayName: string };
  readonly challenge: string;
  readonly pubKeyCredParams: ReadonlyArray<{ readonly type: 'public-key'; readonly alg: number }>;
  readonly timeout?: number;
  readonly excludeCredentials?: readonly PasskeyDescriptor[];
  readonly authenticatorSelection?: {
    readonly authenticatorAttachment?: 'platform' | 'cross-platform';
    readonly residentKey?: 'discouraged' | 'preferred' | 'required';
    readonly requireResidentKey?: boolean;
    readonly userVerification?: 'discouraged' | 'preferred' | 'required';
  };
  readonly attestation?: string;
}

/** The result of navigator.credentials.create(), as JSON (POST /api/passkey {credential}). */
export interface PasskeyRegistration {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: { readonly clientDataJSON: string; readonly attestationObject: string; readonly transports?: readonly string[] };
  readonly authenticatorAttachment?: string;
  readonly clientExtensionResults: Readonly<Record<string, unknown>>;
}

/** Options for navigator.credentials.get(), as JSON. */
export interface PasskeyRequestOptions {
  readonly challenge: string;
  readonly rpId?: string;
  readonly allowCredentials?: readonly PasskeyDescriptor[];
  readonly userVerification?: 'discouraged' | 'preferred' | 'required';
  readonly timeout?: number;
}

/** The result of navigator.credentials.get(), as JSON (inside the signed DecisionPayload). */
export interface PasskeyAssertion {
  readonly id: string;
  readonly rawId: string;
  readonly type: 'public-key';
  readonly response: { readonly clientDataJSON: string; readonly authenticatorData: string; readonly signature: string; readonly userHandle?: string };
  readonly authenticatorAttachment?: string;
  readonly clientExtensionResults: Readonly<Record<string, unknown>>;
}
