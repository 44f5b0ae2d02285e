/** Reading `NOD_` environment variables with typed defaults. Bad values fail loudly at start. */

/** A string setting. */
export function envString(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  return v === undefined || v === '' ? fallback : v;
}

/** A positive integer setting (ports, seconds). */
export function envInt(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

/** A boolean setting: 1/true/yes/on or 0/false/no/off. */
export function envBool(name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env[name]?.toLowerCase();
  if (v === undefined || v === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new TypeError(`${name} must be a boolean (1/0, true/false), got ${JSON.stringify(v)}`);
}

/** A comma-separated list setting. */
export function envList(name: string, fallback: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const v = env[name];
  if (v === undefined || v === '') return [...fallback];
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
