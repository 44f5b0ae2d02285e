/**
 * The security headers of both parts, in one place: on every response `X-Content-Type-Options:
 * nosniff` and `Referrer-Policy: no-referrer`; on every HTML page (the provider's pages, its
 * check-session iframe, the device app) a Content-Security-Policy built here from what the page
 * needs. No policy allows inline script or eval: scripts are files from the page's own origin.
 * Nothing may frame a page (`frame-ancestors 'none'` and X-Frame-Options DENY) except the
 * check-session iframe, which relying parties embed (OpenID Connect Session Management 1.0).
 * @see https://www.w3.org/TR/CSP3/
 * @see https://openid.net/specs/openid-connect-session-1_0.html#OPiframe
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers for every response of the provider and the entity. */
export const RESPONSE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Sets RESPONSE_SECURITY_HEADERS on `res` (the middleware below, and the routes served without express). */
export function setSecurityHeaders(res: ServerResponse): void {
  for (const name in RESPONSE_SECURITY_HEADERS) res.setHeader(name, RESPONSE_SECURITY_HEADERS[name]!);
}

/** Middleware (express or plain node) that sets RESPONSE_SECURITY_HEADERS. */
export function securityHeaders(): (req: IncomingMessage, res: ServerResponse, next: () => void) => void {
  return (_req, res, next) => {
    setSecurityHeaders(res);
    next();
  };
}

/** What a page may do; everything else is 'none'. Styles and images come from the own origin always. */
export interface PagePolicy {
  /** Scripts from the page's own origin (external files only). */
  readonly scripts?: boolean;
  /** Where forms may post besides the own origin, as URIs (reduced to their origin); browsers apply it to the redirects after a post too. */
  readonly formTargets?: readonly string[];
  /** Where fetch and WebSockets may go besides the own origin (`connect-src 'self'`, which includes ws: and wss: to it), as URIs. Omitted: nowhere. */
  readonly connect?: readonly string[];
  /** An installable app: its service worker and web app manifest (own origin). */
  readonly app?: boolean;
  /** Any site may frame the page (only the check-session iframe). */
  readonly frameable?: boolean;
}

/** The CSP source that admits `uri`: its origin, or its scheme for private-use URIs (com.example.app:/cb). */
export function cspSource(uri: string): string {
  const u = new URL(uri);
  return u.origin !== 'null' ? u.origin : u.protocol;
}

const sources = (uris: readonly string[] = []) => [...new Set(uris.map(cspSource))];

/** The Content-Security-Policy value for `policy`. */
export function contentSecurityPolicy(policy: PagePolicy = {}): string {
  const directives: Array<[string, readonly string[]]> = [
    ['default-src', ["'none'"]],
    ['script-src', policy.scripts ? ["'self'"] : ["'none'"]],
    ['style-src', ["'self'"]],
    ['img-src', ["'self'", 'data:']],
    ['connect-src', policy.connect ? ["'self'", ...sources(policy.connect)] : ["'none'"]],
    ...(policy.app
      ? ([
          ['manifest-src', ["'self'"]],
          ['worker-src', ["'self'"]],
          ['font-src', ["'self'"]],
        ] as Array<[string, readonly string[]]>)
      : []),
    ['form-action', ["'self'", ...sources(policy.formTargets)]],
    ['frame-ancestors', policy.frameable ? ['*'] : ["'none'"]],
    ['base-uri', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}

/** The headers of an HTML page with `policy` (the response headers above come from the middleware). */
export function pageSecurityHeaders(policy: PagePolicy = {}): Record<string, string> {
  return { 'Content-Security-Policy': contentSecurityPolicy(policy), ...(policy.frameable ? {} : { 'X-Frame-Options': 'DENY' }) };
}
