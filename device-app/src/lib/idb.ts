/**
 * A tiny key-value store on IndexedDB, shared by the app and the service worker (both run it).
 * Values are structured-cloned, so a non-extractable CryptoKeyPair is stored as is.
 */
const DB_NAME = 'nod';
const STORE = 'kv';

let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => {
      const db = req.result;
      // Another context upgraded or deleted the database: reopen next time.
      db.onversionchange = () => {
        db.close();
        opening = undefined;
      };
      resolve(db);
    };
    req.onerror = () => {
      opening = undefined;
      reject(req.error);
    };
  });
  return opening;
}

function run<T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  return open().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(STORE, mode);
        const req = fn(tx.objectStore(STORE));
        tx.oncomplete = () => resolve(req.result as T);
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      }),
  );
}

/** The value stored under `key`, or undefined. */
export function idbGet<T>(key: string): Promise<T | undefined> {
  return run<T | undefined>('readonly', (s) => s.get(key));
}

/** Stores `value` under `key`. */
export function idbSet(key: string, value: unknown): Promise<void> {
  return run<unknown>('readwrite', (s) => s.put(value, key)).then(() => undefined);
}

/** Removes `key`. */
export function idbDel(key: string): Promise<void> {
  return run<unknown>('readwrite', (s) => s.delete(key)).then(() => undefined);
}

/** Keys used by the app and the worker. */
export const KEYS = {
  /** The enrolled device: see `Session` in session.ts. */
  session: 'session',
  /** Epoch ms of the last push this device received (written by the worker). */
  lastPush: 'last-push-at',
} as const;
