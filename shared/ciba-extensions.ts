/**
 * Nod's extensions to CIBA as clients see them (metadata, discovery, response members, the
 * revocation hint), named once for the provider, the entity, the app and the command-line
 * clients; their part of the provider↔entity channel is in auth-channel.ts. Each is optional on
 * the wire: a client, an entity or a provider that does not know one works as before.
 */

/**
 * Number matching against push fatigue. A client opts in with this metadata (or the CIBA policy
 * turns it on for every client); the backchannel authentication response then carries
 * `binding_number`, which the client shows beside its binding message, and the phone asks the
 * user to tap that number among three.
 */
export const NUMBER_MATCHING_METADATA = 'backchannel_number_matching';
/** Discovery: the provider supports number matching. */
export const NUMBER_MATCHING_SUPPORTED = 'backchannel_number_matching_supported';
/** The number: a member of the backchannel authentication response (and of the delegation body, auth-channel.ts), a string. */
export const BINDING_NUMBER = 'binding_number';
/** Two digits: 10 to 99, so that it never starts with 0 and is read the same way everywhere. */
export const BINDING_NUMBER_MIN = 10;
export const BINDING_NUMBER_MAX = 99;
export const BINDING_NUMBER_PATTERN = /^[1-9][0-9]$/;
/** Candidates the phone shows: the right number and two distinct decoys, in random order. */
export const NUMBER_CHOICES = 3;

/**
 * Withdrawal by the client: `token_type_hint` at the revocation endpoint (RFC 7009) for an
 * `auth_req_id` the client no longer needs (the caller hung up, the checkout was abandoned).
 * The provider then tells the entity over the channel (auth-channel.ts WithdrawalNotice).
 */
export const AUTH_REQ_ID_TOKEN_TYPE = 'auth_req_id';
