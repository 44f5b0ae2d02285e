/**
 * A collection on Redis: one hash per record, sorted sets for the indexes and the listing (see
 * scripts.ts for the layout). Every write is one Lua script; reads that need no atomicity are
 * plain commands.
 */
import type { Change, Collection, CollectionOptions, ConsumeResult, RecordMeta, ReplaceOptions, StoredRecord, UpdateResult, WriteOptions } from '../store.ts';
import type { RedisConnection } from './connection.ts';

/** How many times update() re-reads after losing a compare-and-set before it gives up. */
const MAX_UPDATE_ATTEMPTS = 100;

/** Key names of one collection under the store's namespace. */
export interface CollectionKeys {
  readonly record: (id: string) => string;
  /** Prefix of record keys (record(id) = recordPrefix + id). */
  readonly recordPrefix: string;
  /** Prefix of index keys: indexPrefix + field + ':' + value. */
  readonly indexPrefix: string;
  readonly list: string;
  readonly revision: string;
}

/** Turns an HGETALL reply (object or flat array) into a record. */
function toRecord<T>(id: string, hash: Record<string, string> | string[]): StoredRecord<T> {
  const h: Record<string, string> = Array.isArray(hash) ? {} : hash;
  if (Array.isArray(hash)) for (let i = 0; i < hash.length; i += 2) h[hash[i]!] = hash[i + 1]!;
  const meta: RecordMeta = {
    revision: Number(h.r),
    ...(h.e !== undefined ? { expiresAt: Math.floor(Number(h.e) / 1000) } : {}),
    ...(h.c !== undefined ? { consumedAt: Number(h.c) } : {}),
  };
  return { id, value: JSON.parse(h.v!) as T, meta };
}

export class RedisCollection<T extends object> implements Collection<T> {
  private readonly fields: readonly string[];

  constructor(
    private readonly conn: RedisConnection,
    readonly name: string,
    private readonly keys: CollectionKeys,
    options: CollectionOptions,
    private readonly counted: (ms: number) => void,
  ) {
    this.fields = options.indexes ?? [];
  }

  private indexArgs(value: T): string[] {
    const out: string[] = [String(this.fields.length)];
    for (const f of this.fields) {
      const v = (value as Record<string, unknown>)[f];
      out.push(f, typeof v === 'string' ? v : '');
    }
    return out;
  }

  /** Runs the write script; undefined when its condition failed. */
  private async write(mode: 'put' | 'insert' | 'replace', id: string, value: T, options: WriteOptions & { ifRevision?: number } = {}) {
    const started = performance.now();
    const ttl = options.expiresIn !== undefined ? String(Math.max(1, Math.round(options.expiresIn * 1000))) : '';
    const reply = (await this.conn.script(
      'nodWrite',
      this.keys.record(id),
      this.keys.revision,
      this.keys.list,
      mode,
      Date.now(),
      id,
      JSON.stringify(value),
      ttl,
      options.ifRevision !== undefined ? String(options.ifRevision) : '',
      this.keys.indexPrefix,
      ...this.indexArgs(value),
    )) as [number, number | string] | null;
    this.counted(performance.now() - started);
    if (!reply) return undefined;
    const [revision, expiry] = reply;
    return { revision: Number(revision), ...(expiry !== '' ? { expiresAt: Math.floor(Number(expiry) / 1000) } : {}) };
  }

  async get(id: string): Promise<StoredRecord<T> | undefined> {
    const hash = await this.conn.run((c) => c.hgetall(this.keys.record(id)));
    if (!hash.v) return undefined;
    if (hash.e !== undefined && Number(hash.e) <= Date.now()) return undefined;
    return toRecord<T>(id, hash);
  }

  async find(id: string): Promise<T | undefined> {
    return (await this.get(id))?.value;
  }

  async put(id: string, value: T, options?: WriteOptions): Promise<RecordMeta> {
    return (await this.write('put', id, value, options))!;
  }

  async insert(id: string, value: T, options?: WriteOptions): Promise<boolean> {
    return (await this.write('insert', id, value, options)) !== undefined;
  }

  async replace(id: string, value: T, options: ReplaceOptions): Promise<boolean> {
    return (await this.write('replace', id, value, options)) !== undefined;
  }

  async update(id: string, change: Change<T>, options?: WriteOptions): Promise<UpdateResult<T>> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.get(id);
      const next = change(current?.value, current?.meta);
      if (next === undefined) return current ? { outcome: 'unchanged', record: current } : { outcome: 'missing' };
      const copy = JSON.parse(JSON.stringify(next)) as T;
      if (!current) {
        const meta = await this.write('insert', id, next, options);
        if (meta) return { outcome: 'updated', record: { id, value: copy, meta } };
        continue;
      }
      const meta = await this.write('replace', id, next, { ...options, ifRevision: current.meta.revision });
      if (meta) {
        const consumed = current.meta.consumedAt !== undefined ? { consumedAt: current.meta.consumedAt } : {};
        return { outcome: 'updated', record: { id, value: copy, meta: { ...meta, ...consumed } } };
      }
    }
    throw new Error(`update of ${this.name} ${id}: still conflicting after ${MAX_UPDATE_ATTEMPTS} attempts`);
  }

  /** `durable` is not needed here: Redis has applied the mark when it answers. */
  async consume(id: string, _options?: Pick<WriteOptions, 'durable'>): Promise<ConsumeResult<T>> {
    const now = Date.now();
    const started = performance.now();
    const [outcome, hash] = (await this.conn.script('nodConsume', this.keys.record(id), this.keys.revision, now, Math.floor(now / 1000))) as [
      string,
      string[] | undefined,
    ];
    this.counted(performance.now() - started);
    if (outcome === 'missing' || !hash) return { outcome: 'missing' };
    return { outcome: outcome === 'consumed' ? 'consumed' : 'already_consumed', record: toRecord<T>(id, hash) };
  }

  async delete(id: string): Promise<boolean> {
    const started = performance.now();
    const n = await this.conn.script('nodDelete', this.keys.record(id), this.keys.list, Date.now(), id, this.keys.indexPrefix, ...this.fields);
    this.counted(performance.now() - started);
    return n === 1;
  }

  private checkIndex(index: string): void {
    if (!this.fields.includes(index)) throw new TypeError(`collection ${this.name} has no index ${index}`);
  }

  private async scan(set: string, field: string, value: string): Promise<Array<StoredRecord<T>>> {
    const flat = (await this.conn.script('nodScan', set, Date.now(), this.keys.recordPrefix, field, value)) as Array<string | string[]>;
    const out: Array<StoredRecord<T>> = [];
    for (let i = 0; i < flat.length; i += 2) out.push(toRecord<T>(flat[i] as string, flat[i + 1] as string[]));
    return out;
  }

  async findBy(index: string, value: string): Promise<Array<StoredRecord<T>>> {
    this.checkIndex(index);
    return this.scan(`${this.keys.indexPrefix}${index}:${value}`, index, value);
  }

  async deleteBy(index: string, value: string): Promise<number> {
    this.checkIndex(index);
    const started = performance.now();
    const n = await this.conn.script(
      'nodDeleteBy',
      `${this.keys.indexPrefix}${index}:${value}`,
      this.keys.list,
      Date.now(),
      this.keys.recordPrefix,
      this.keys.indexPrefix,
      index,
      value,
      ...this.fields,
    );
    this.counted(performance.now() - started);
    return Number(n);
  }

  list(): Promise<Array<StoredRecord<T>>> {
    return this.scan(this.keys.list, '', '');
  }
}
