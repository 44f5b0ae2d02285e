// A worker thread that writes one new snapshot of the lowdb store (snapshot_fold.ts): the JSON
// parse, replay and stringify of the whole store run here, not on the server's event loop.
// Plain JavaScript, so that it starts however the process was started (tsx CLI or its API):
// it registers tsx itself to load the TypeScript it runs.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const { foldJournal } = await import('./snapshot_fold.ts');
parentPort.postMessage({ bytes: await foldJournal(workerData.file, workerData.retired) });
