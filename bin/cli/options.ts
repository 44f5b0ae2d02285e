/**
 * Command-line parsing for every command (the scenario clients and admin): node:util parseArgs,
 * strict, with a bad option turned into a UsageError. The clients also share the options every
 * one of them accepts (--issuer, --client-id, --client-secret, --scope, --help) and the CIBA pair
 * (--login-hint, --binding-message).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_PROVIDER_PORT } from '../../shared/constants.ts';
import { UsageError } from './errors.ts';
import { randomCode } from './wait.ts';

export interface CommonOptions {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret?: string;
  readonly scope: string;
}

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string }>;
type Values<S extends Spec> = { [K in keyof S]?: S[K]['type'] extends 'boolean' ? boolean : string };

/** Parses argv against `options` (strictly: an unknown option or a missing value is a UsageError). */
export function parseOptions<S extends Spec>(argv: string[], options: S, allowPositionals = false): { values: Values<S>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, strict: true, allowPositionals, options });
    return { values: values as Values<S>, positionals };
  } catch (e) {
    throw new UsageError(`${(e as Error).message.split('\n')[0]} (see --help)`);
  }
}

export interface CommandSpec<S extends Spec> {
  /** The usage text shown by --help (the common options are appended). */
  readonly usage: string;
  readonly defaults: { readonly clientId: string; readonly clientSecret?: string; readonly scope: string };
  readonly options: S;
}

export const DEFAULT_ISSUER = `http://localhost:${DEFAULT_PROVIDER_PORT}`;

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

/** Parses argv; returns undefined after printing the usage when --help was given. */
export function parseCommand<S extends Spec>(argv: string[], spec: CommandSpec<S>): { common: CommonOptions; values: Values<S> } | undefined {
  const parsed = parseOptions(argv, {
    ...spec.options,
    issuer: { type: 'string' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    scope: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
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

/** The options of the CIBA clients: who signs in, and the code both screens show. */
export const CIBA_USER_OPTIONS = { 'login-hint': { type: 'string' }, 'binding-message': { type: 'string' } } as const;

/** --login-hint (default alice) and --binding-message (default a random 4-character code). */
export function cibaUser(values: { readonly 'login-hint'?: string; readonly 'binding-message'?: string }): { loginHint: string; bindingMessage: string } {
  return { loginHint: values['login-hint'] ?? 'alice', bindingMessage: values['binding-message'] ?? randomCode() };
}
