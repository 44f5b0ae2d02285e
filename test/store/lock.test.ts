/**
 * The data-directory lock against dead owners: a real zombie (a child that exited and that its
 * parent never reaps), a pid that is gone, a pid reused by another process (start time differs),
 * a garbage lock file; and a live owner, which is still refused.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataDirLockedError, isDataDirLocked, lockDataDir } from '../../shared/store/lock.ts';
import { tempDir } from '../helpers/provider.ts';
import { Teardown } from '../helpers/teardown.ts';
import { after, test } from '../helpers/node-test.ts';

const teardown = new Teardown();
after(() => teardown.run());
const dir = teardown.add(tempDir(), (d) => rmSync(d, { recursive: true, force: true }));
const lockFile = join(dir, 'provider.lock');

/** State letter and start time from /proc/<pid>/stat. */
function stat(pid: number): { state: string; start: string } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0]!, start: fields[19]! };
}

/** A process that runs until the test ends (killed by the teardown). */
function sleeper(): ChildProcess {
  return teardown.add(spawn('sleep', ['60'], { stdio: 'ignore' }), (c) => c.kill('SIGKILL'));
}

/** Takes the lock and releases it at once; throws what lockDataDir throws. */
function takeAndRelease(): void {
  lockDataDir(dir, 'provider')();
}

test('a zombie owner (killed, not reaped) is dead: its lock is taken over', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
  // sh forks a child that exits a second later, and meanwhile becomes `sleep`, which never reaps it:
  // a zombie until the sleep ends. (A child that exited at once could be reaped by sh itself before
  // the exec, on a loaded machine: its /proc entry was then gone.)
  const parent = teardown.add(spawn('sh', ['-c', 'sh -c "sleep 1; exit 0" & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] }), (c) =>
    c.kill('SIGKILL'),
  );
  const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number.parseInt(d.toString(), 10))));
  for (let i = 0; i < 250 && stat(zombie).state !== 'Z'; i++) await sleep(20);
  assert.equal(stat(zombie).state, 'Z', 'the child is a zombie');
  assert.doesNotThrow(() => process.kill(zombie, 0), 'kill(pid, 0) takes a zombie for a live process');
  writeFileSync(lockFile, `${zombie} ${stat(zombie).start}`);
  assert.equal(isDataDirLocked(dir, 'provider'), undefined);
  takeAndRelease();
});

test('stale lock files are taken over: the pid is gone, reused by another process, or unreadable', {
  skip: process.platform !== 'linux' && 'needs /proc',
}, () => {
  const gone = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  writeFileSync(lockFile, `${Number.parseInt(gone.stdout, 10)} 12345`);
  takeAndRelease();
  // The pid runs, but it is another process than the one that wrote the lock (another start time).
  const stranger = sleeper();
  writeFileSync(lockFile, `${stranger.pid} ${Number(stat(stranger.pid!).start) + 1}`);
  assert.equal(isDataDirLocked(dir, 'provider'), undefined);
  takeAndRelease();
  // Our own pid from an earlier process (a container restarted with the same pid) is not us.
  writeFileSync(lockFile, `${process.pid} 1`);
  takeAndRelease();
  writeFileSync(lockFile, 'garbage');
  takeAndRelease();
});

test('a live owner is refused, by its own lock or a lock file naming it; a released lock is free', () => {
  const release = lockDataDir(dir, 'provider');
  assert.throws(takeAndRelease, DataDirLockedError, 'the same process cannot lock twice');
  release();
  const owner = sleeper();
  writeFileSync(lockFile, process.platform === 'linux' ? `${owner.pid} ${stat(owner.pid!).start}` : String(owner.pid));
  assert.throws(takeAndRelease, (e: unknown) => e instanceof DataDirLockedError && e.pid === owner.pid);
  assert.equal(isDataDirLocked(dir, 'provider'), owner.pid);
  // A lock file of an older version (pid only) naming a live process is honoured too.
  writeFileSync(lockFile, String(owner.pid));
  assert.throws(takeAndRelease, DataDirLockedError);
  rmSync(lockFile);
  takeAndRelease();
});
