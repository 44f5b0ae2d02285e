/**
 * CORS for the endpoints a browser-based client calls directly (discovery, JWKS, token, userinfo,
 * revocation, device authorization), such as the device app redeeming its code with PKCE. These
 * endpoints never read cookies, so any origin may call them; credentials are not allowed.
 * @see https://fetch.spec.whatwg.org/#http-cors-protocol
 */
import type { RequestHandler } from 'express';
import type { ServerResponse } from 'node:http';

/** The CORS headers of every response of these endpoints. */
export function setCorsHeaders(res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Expose-Headers', 'WWW-Authenticate, DPoP-Nonce');
}

/** Answers preflights and adds the CORS response headers. */
export function cors(): RequestHandler {
  return (req, res, next) => {
    setCorsHeaders(res);
    if (req.method !== 'OPTIONS') return next();
    res.set({
      'Access-Control-Allow-Methods': 'GET, POST',
      'Access-Control-Allow-Headers': 'Authorization, Content-Type, DPoP',
      'Access-Control-Max-Age': '3600',
    });
    res.status(204).end();
  };
}
