/**
 * Builds the device app (device-app/dist) when it is missing or older than its sources, so
 * `npm start` on a fresh checkout serves it. Set NOD_APP_BUILD=0 to never build (a read-only
 * install, or tests sharing one working tree).
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { envBool } from '../shared/env.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const APP = join(ROOT, 'device-app');
const DIST_INDEX = join(APP, 'dist', 'index.html');
/** What the build reads: the app's own sources and the shared code it imports. */
const SOURCES = [join(APP, 'src'), join(APP, 'public'), join(APP, 'index.html'), join(APP, 'vite.config.ts'), join(ROOT, 'shared')];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return readdirSync(path).reduce((max, name) => Math.max(max, newestMtime(join(path, name))), st.mtimeMs);
}

/** Why a build is needed: the output is missing or older than the newest source; undefined when current. */
export function buildReason(output: string, sources: readonly string[]): string | undefined {
  if (!existsSync(output)) return 'device-app/dist is missing';
  return statSync(output).mtimeMs < Math.max(...sources.map(newestMtime)) ? 'device-app sources changed since the last build' : undefined;
}

/** Why the device app needs a build, or undefined when dist is current (or there is no app source). */
export function appBuildReason(): string | undefined {
  return existsSync(join(APP, 'src')) ? buildReason(DIST_INDEX, SOURCES) : undefined;
}

/** Builds with vite when needed; returns false (with a warning) when it could not. */
export async function ensureAppBuilt(out: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  const reason = appBuildReason();
  if (!reason) return existsSync(DIST_INDEX);
  if (!envBool('NOD_APP_BUILD', true)) {
    out.write(`note: ${reason}; not building it (NOD_APP_BUILD=0)\n`);
    return existsSync(DIST_INDEX);
  }
  out.write(`Building the device app (${reason})...\n`);
  try {
    const { build } = await import('vite');
    await build({ configFile: join(APP, 'vite.config.ts'), logLevel: 'warn' });
    return true;
  } catch (e) {
    out.write(`warning: could not build the device app (${(e as Error).message.split('\n')[0]}); run npm run build to see why\n`);
    return existsSync(DIST_INDEX);
  }
}
