/**
 * Serves the built device app (device-app/dist) when it exists: static files, `sw.js` with
 * `Service-Worker-Allowed: /` and no-cache, and the SPA fallback to index.html for page
 * navigations outside /api. Every file carries the app's CSP (shared/http/security_headers.ts;
 * on sw.js it is the service worker's own policy): scripts, styles, the manifest and the worker
 * from this origin, fetch and the WebSocket to this origin, fetch to the provider the app signs
 * in at (`connect`). Web Push needs nothing in it (the browser's push service is not the page's
 * fetch), nor does the camera of the QR scanner.
 */
import express, { type Express } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pageSecurityHeaders } from '../shared/http/security_headers.ts';
import { TemporarilyUnavailable } from '../shared/errors.ts';

/** Mounts the app; `connect` are the provider URLs the app calls. Returns false when there is no build to serve. */
export function serveDeviceApp(app: Express, dir: string, reserved: readonly string[], connect: readonly string[]): boolean {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return false;
  const headers = pageSecurityHeaders({ scripts: true, app: true, connect });
  app.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders(res, path) {
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
        if (/[\\/](sw\.js|index\.html|manifest\.webmanifest)$/.test(path)) res.setHeader('Cache-Control', 'no-cache');
        if (/[\\/]sw\.js$/.test(path)) res.setHeader('Service-Worker-Allowed', '/');
      },
    }),
  );
  app.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/api/') || reserved.includes(req.path) || !req.accepts('html')) return next();
    res.set({ 'Cache-Control': 'no-cache', ...headers });
    res.sendFile(index, (err?: NodeJS.ErrnoException) => {
      if (!err || res.headersSent) return;
      // The build was removed under a running entity (`npm run build` empties dist/ first): the app
      // is coming back, so ask the browser to retry rather than answer 500.
      next(err.code === 'ENOENT' ? new TemporarilyUnavailable('the device app is being rebuilt; try again in a moment').retryAfter(1) : err);
    });
  });
  return true;
}
