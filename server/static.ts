/**
 * Serves the built device app (device-app/dist) when it exists: static files, `sw.js` with
 * `Service-Worker-Allowed: /` and no-cache, and the SPA fallback to index.html for page
 * navigations outside /api.
 */
import express, { type Express } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Mounts the app; returns false when there is no build to serve. */
export function serveDeviceApp(app: Express, dir: string, reserved: readonly string[]): boolean {
  const index = join(dir, 'index.html');
  if (!existsSync(index)) return false;
  app.use(
    express.static(dir, {
      index: 'index.html',
      setHeaders(res, path) {
        if (/[\\/](sw\.js|index\.html|manifest\.webmanifest)$/.test(path)) res.setHeader('Cache-Control', 'no-cache');
        if (/[\\/]sw\.js$/.test(path)) res.setHeader('Service-Worker-Allowed', '/');
      },
    }),
  );
  app.use((req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/api/') || reserved.includes(req.path) || !req.accepts('html')) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return true;
}
