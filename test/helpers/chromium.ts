/**
 * Which Chromium the browser tests drive, so that `npm install` is all a machine needs:
 *
 *   1. `CHROMIUM_PATH`, when set (set to a missing file: fail at once, naming the variable);
 *   2. `/usr/bin/chromium` (Debian's package), when present;
 *   3. the Chromium shipped inside the `@sparticuz/chromium` devDependency: a brotli-compressed
 *      headless build in the package itself (no download), unpacked once per version into
 *      node_modules/.cache/nod-chromium/, with the fonts and NSS libraries it ships.
 *
 * `NOD_TEST_CHROMIUM=bundled` skips 1 and 2 (CI runs the browser tests once that way, so the
 * fallback a fresh machine takes is tested too). Every failure is a NoChromium whose first line
 * says what to do.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync, createBrotliDecompress } from 'node:zlib';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const PACKAGE = '@sparticuz/chromium';

/** A missing or unusable browser; the message's first line is the fix. */
export class NoChromium extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(`no Chromium: ${message}`, options);
    this.name = 'NoChromium';
  }
}

export interface ChromiumInstall {
  readonly executablePath: string;
  /** Where it came from, for the log line of a failing launch. */
  readonly source: 'CHROMIUM_PATH' | 'system' | 'bundled';
  /** Launch arguments this build needs on top of the common ones. */
  readonly args: readonly string[];
  /** Environment the browser process needs (fonts, libraries), added to the tests' own. */
  readonly env: Readonly<Record<string, string>>;
}

/** Finds the browser (see the module comment); unpacks the npm-shipped one on first use. */
export async function findChromium(env: NodeJS.ProcessEnv = process.env): Promise<ChromiumInstall> {
  const mode = env.NOD_TEST_CHROMIUM ?? '';
  if (mode !== '' && mode !== 'bundled') throw new NoChromium(`NOD_TEST_CHROMIUM must be "bundled" or unset, got ${JSON.stringify(mode)}`);
  if (mode !== 'bundled') {
    const path = env.CHROMIUM_PATH;
    if (path) {
      if (!existsSync(path))
        throw new NoChromium(`CHROMIUM_PATH=${path} does not exist; fix or unset CHROMIUM_PATH (then ${SYSTEM_CHROMIUM} or the npm-shipped Chromium is used)`);
      return { executablePath: path, source: 'CHROMIUM_PATH', args: [], env: {} };
    }
    if (existsSync(SYSTEM_CHROMIUM)) return { executablePath: SYSTEM_CHROMIUM, source: 'system', args: [], env: {} };
  }
  return bundledChromium(
    mode === 'bundled'
      ? `run npm install (NOD_TEST_CHROMIUM=bundled needs the devDependency ${PACKAGE})`
      : `set CHROMIUM_PATH or run npm install (there is no ${SYSTEM_CHROMIUM}, and the devDependency ${PACKAGE} is not installed)`,
  );
}

/** The root of the installed @sparticuz/chromium package, or undefined. */
function packageRoot(): string | undefined {
  let entry: string;
  try {
    entry = createRequire(join(ROOT, 'package.json')).resolve(PACKAGE);
  } catch {
    return undefined;
  }
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === PACKAGE)
      return dir;
  }
  return undefined;
}

/** `notInstalled`: the message when the package is missing. */
async function bundledChromium(notInstalled: string): Promise<ChromiumInstall> {
  const pkg = packageRoot();
  if (!pkg) throw new NoChromium(notInstalled);
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NoChromium(`set CHROMIUM_PATH to a Chromium or Chrome (${PACKAGE} ships a Linux x64 build only)`);
  }
  const { version } = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as { version: string };
  const dir = join(ROOT, 'node_modules', '.cache', 'nod-chromium', version);
  if (!existsSync(join(dir, 'complete'))) await unpack(join(pkg, 'bin'), dir);
  return {
    executablePath: join(dir, 'chromium'),
    source: 'bundled',
    // A headless-shell build for containers: no zygote (it runs as root there, without a sandbox).
    args: ['--no-zygote'],
    env: { FONTCONFIG_PATH: dir, LD_LIBRARY_PATH: join(dir, 'lib') },
  };
}

/**
 * Unpacks the browser, its fonts and its NSS libraries into `dir`, atomically: a temporary
 * directory renamed into place, so test files starting at once never see half a binary.
 */
async function unpack(bin: string, dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await pipeline(createReadStream(join(bin, 'chromium.br')), createBrotliDecompress(), createWriteStream(join(tmp, 'chromium'), { mode: 0o755 }));
    for (const archive of ['fonts.tar.br', 'al2023.tar.br']) {
      const tar = spawnSync('tar', ['-x', '-C', tmp], { input: brotliDecompressSync(readFileSync(join(bin, archive))) });
      if (tar.error || tar.status !== 0) throw new NoChromium(`cannot unpack ${archive} with tar: ${tar.error?.message ?? tar.stderr.toString()}`);
    }
    // The package's fonts.conf names its own Lambda paths; ours names this directory.
    writeFileSync(
      join(tmp, 'fonts.conf'),
      `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${dir}/fonts</dir>\n  <cachedir>${dir}/fonts-cache</cachedir>\n</fontconfig>\n`,
    );
    writeFileSync(join(tmp, 'complete'), '');
    try {
      renameSync(tmp, dir);
    } catch (e) {
      // Another test process unpacked it first: use theirs.
      if (!existsSync(join(dir, 'complete'))) throw e;
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
