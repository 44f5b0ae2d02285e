// A worker thread that writes one new snapshot of the lowdb store (snapshot_fold.ts): the JSON
// parse, replay and stringify of the whole store run here, not on the server's event loop.
// Plain JavaScript, so that it starts however the process was started (tsx CLI or its API):
// it registers tsx itself to load the TypeScript it runs.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// Background work: on Linux a thread has a nice value of its own, so this one yields the CPU
// to the threads that serve requests whenever they want it (where there is no
// /proc/thread-self, it runs at the process's priority).
try {
  setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 19);
} catch {
  /* not Linux */
}
register();
const { foldJournal } = await import('./snapshot_fold.ts');
parentPort.postMessage({ bytes: await foldJournal(workerData.file, workerData.retired) });
