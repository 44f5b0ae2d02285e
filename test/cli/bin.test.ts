/**
 * The `nod` command as package.json's "bin" entry: `npx nod ...` in the repository after npm
 * install (what a Node user types first), and the same command from another directory.
 */
import { test } from '../helpers/node-test.ts';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function run(file: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd, timeout: 60_000, env: { ...process.env, NOD_LOG_LEVEL: 'warn' } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

test('npx nod runs the nod command from the repository (--no: never a registry package of that name)', { timeout: 90_000 }, async () => {
  const help = await run('npx', ['--no', 'nod', 'help'], ROOT);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: nod <command>/);
  // A client command loads its TypeScript modules through tsx and parses its options.
  const bad = await run('npx', ['--no', 'nod', 'ciba', '--colour', 'blue'], ROOT);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /^error: Unknown option '--colour'/);
});

test('the bin script works from any directory', { timeout: 60_000 }, async () => {
  const help = await run(process.execPath, [`${ROOT}bin/nod.mjs`, 'help'], tmpdir());
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /^Usage: nod <command>/);
});
