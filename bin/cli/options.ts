/**
 * Options every client accepts (--issuer, --client-id, --client-secret, --scope, --help) on top of
 * its own, parsed once with node:util parseArgs.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors.ts';

export interface CommonOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly scope: string;
}

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface CommandSpec<S extends Spec> {
  /** The usage text shown by --help (the common options are appended). */
  readonly usage: string;
  readonly defaults: { readonly clientId: string; readonly clientSecret?: string; readonly scope: string };
  readonly options: S;
}

export const DEFAULT_ISSUER = 'http://localhost:3000';

/** The common options' help, with this command's demo defaults. */
function commonHelp(d: CommandSpec<Spec>['defaults']): string {
  return `
Common options:
  --issuer <url>           the provider (default ${DEFAULT_ISSUER}, or NOD_ISSUER)
  --client-id <id>         the relying party's client id (default ${d.clientId})
  --client-secret <secret> its secret (${d.clientSecret ? `default ${d.clientSecret} with the default client id` : 'none: a public client'})
  --scope <scope>          the scope to request (default "${d.scope}")
  -h, --help               show this help`;
}

type Values<S extends Spec> = { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string };

/** Parses argv; returns undefined after printing the usage when --help was given. */
export function parseCommand<S extends Spec>(argv: string[], spec: CommandSpec<S>): { common: CommonOptions; values: Values<S> } | undefined {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...spec.options,
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        scope: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  if (v.help) {
    process.stdout.write(`${spec.usage}\n${commonHelp(spec.defaults)}\n`);
    return undefined;
  }
  const issuer = String(v.issuer ?? process.env.NOD_ISSUER ?? DEFAULT_ISSUER).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(issuer)) throw new UsageError(`--issuer must be an http(s) URL, got ${issuer}`);
  const clientId = (v['client-id'] as string | undefined) ?? spec.defaults.clientId;
  // A different client id without a secret is a public client; the demo secret belongs to the demo id.
  const clientSecret = (v['client-secret'] as string | undefined) ?? (v['client-id'] === undefined ? spec.defaults.clientSecret : undefined);
  return {
    common: { issuer, clientId, ...(clientSecret ? { clientSecret } : {}), scope: (v.scope as string | undefined) ?? spec.defaults.scope },
    values: v as Values<S>,
  };
}

/** A positive integer option, or the fallback. */
export function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0 || n > 65535 * 1000) throw new UsageError(`--${name} must be a positive integer, got ${value}`);
  return n;
}
