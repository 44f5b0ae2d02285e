/** Printing results: ID token claims, readable, with times as dates. */
import type { IDToken, TokenEndpointResponse, TokenEndpointResponseHelpers } from 'openid-client';

const TIME_CLAIMS = new Set(['iat', 'exp', 'auth_time', 'nbf']);

/** Writes a line to stdout. */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** The ID token claims as aligned `name  value` lines. */
export function formatClaims(claims: IDToken | Record<string, unknown>): string {
  const entries = Object.entries(claims);
  const width = Math.max(...entries.map(([k]) => k.length));
  return entries
    .map(([k, v]) => {
      const shown = TIME_CLAIMS.has(k) && typeof v === 'number' ? `${v} (${new Date(v * 1000).toISOString()})` : typeof v === 'string' ? v : JSON.stringify(v);
      return `  ${k.padEnd(width)}  ${shown}`;
    })
    .join('\n');
}

/** Prints what a successful token response holds: the ID token claims and the tokens received (never the tokens themselves). */
export function printTokens(tokens: TokenEndpointResponse & TokenEndpointResponseHelpers): void {
  const claims = tokens.claims();
  const got = ['access token', ...(tokens.id_token ? ['ID token'] : []), ...(tokens.refresh_token ? ['refresh token'] : [])].join(', ');
  say(`Tokens received: ${got}${tokens.expires_in ? ` (access token valid ${tokens.expires_in} s, scope "${tokens.scope ?? ''}")` : ''}`);
  if (claims) {
    say('ID token claims:');
    say(formatClaims(claims));
  }
  // RFC 9396 §7: what the user approved beyond signing in.
  const details = (tokens as { authorization_details?: unknown }).authorization_details;
  if (Array.isArray(details)) {
    say('Authorization details granted:');
    for (const d of details) say(`  ${JSON.stringify(d)}`);
  }
}
