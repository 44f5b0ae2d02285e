/**
 * The provider's static assets (its stylesheet and its few scripts), each a fixed text in the
 * code served from its own path: pages load them from the provider's origin, which is all their
 * CSP allows (no inline style or script).
 */
import type { RequestHandler } from 'express';

/** Cached an hour by browsers and proxies: the texts change only with a new version of Nod. */
export function assetEndpoint(contentType: 'text/css' | 'text/javascript', body: string): RequestHandler {
  return (_req, res) => {
    res.set({ 'Content-Type': `${contentType}; charset=utf-8`, 'Cache-Control': 'public, max-age=3600' }).send(body);
  };
}
