/**
 * `npm run admin -- <command>`: manage users, clients and keys in the provider's store.
 * With the embedded store (lowdb) it refuses while a provider holds the data directory (it
 * would overwrite the changes): stop it first. With Redis (`NOD_STORE`) it works while the
 * nodes run: they read users, clients and the policy from the store, and follow key rotations.
 * Exit codes: 0 done, 1 bad input, 2 data directory busy.
 */
import { readFile } from 'node:fs/promises';
import { openStore } from '../shared/store/open.ts';
import type { Store } from '../shared/store/store.ts';
import { DataDirLockedError } from '../shared/store/lock.ts';
import { isOAuthError } from '../shared/errors.ts';
import { loadProviderConfig, type ProviderConfig } from '../provider/config.ts';
import { openModels, type Models } from '../provider/models/index.ts';
import { KeyStore } from '../provider/keys/keystore.ts';
import { newUser, type User } from '../provider/models/user.ts';
import { setCibaUserCode } from '../provider/ciba/user_code.ts';
import { upsertClient } from '../provider/demo.ts';
import {
  CIBA_HINTS,
  cibaPolicy,
  resetCibaPolicy,
  setCibaPolicy,
  storedCibaPolicy,
  type CibaHint,
  type CibaPolicy,
  type PolicyContext,
} from '../provider/ciba/policy.ts';
import { DELIVERY_MODES } from '../provider/models/client.ts';
import { CIBA_GRANT_TYPE } from '../shared/constants.ts';
import { UsageError } from './cli/errors.ts';
import { parseOptions } from './cli/options.ts';
import { NUMBER_MATCHING_METADATA } from '../shared/ciba-extensions.ts';
import { defined } from '../shared/defined.ts';

const USAGE = `Usage: npm run admin -- <command>

  users list
  users add <username> --password <pw> [--name "Full Name"] [--email a@b] [--phone +1555...]
  users remove <username>
  users unlock <username>
  users set-ciba-code <username> <code>   user code for clients with backchannel_user_code_parameter
  clients list
  clients add <metadata.json>             RFC 7591 metadata (client_secret in clear, stored hashed)
  clients remove <client_id>
  keys list
  keys rotate                             new signing keys; old public keys stay published
  ciba-policy show                        the CIBA policy in force and where each value comes from
  ciba-policy set [--delivery-mode poll|ping|push] [--expires-in <s>] [--interval <s>]
                  [--hints login_hint,login_hint_token,id_token_hint]
                  [--number-matching on|off] [--fatigue-limit <n>] [--fatigue-window <s>]
                                          provider-wide defaults; a client's own metadata wins
                                          (--fatigue-limit 0 turns anti-fatigue off: not recommended)
  ciba-policy reset                       forget what set stored (NOD_CIBA_* and defaults apply)

Environment: NOD_DATA_DIR (default ./data) and NOD_STORE. With the default store, stop the provider
first; with NOD_STORE=redis://... the provider's nodes may keep running.`;

const ADMIN_OPTIONS = {
  password: { type: 'string' },
  name: { type: 'string' },
  email: { type: 'string' },
  phone: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  'delivery-mode': { type: 'string' },
  'expires-in': { type: 'string' },
  interval: { type: 'string' },
  hints: { type: 'string' },
  'number-matching': { type: 'string' },
  'fatigue-limit': { type: 'string' },
  'fatigue-window': { type: 'string' },
} as const;

/** Runs `fn` on the provider's store (the one `NOD_STORE` names), closing it afterwards. */
async function withStore<T>(config: ProviderConfig, fn: (models: Models, store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ store: config.store, dataDir: config.dataDir, name: 'provider', sweepIntervalMs: 0 });
  try {
    return await fn(openModels(store), store);
  } finally {
    await store.close();
  }
}

async function findUser(models: Models, username: string) {
  const [user] = await models.users.findBy('username', username.toLowerCase());
  if (!user) throw new UsageError(`no user named ${username}`);
  return user.value;
}

/** Runs one admin command; returns the text to print. */
export async function runAdmin(argv: string[], env = process.env): Promise<string> {
  const { values, positionals } = parseOptions(argv, ADMIN_OPTIONS, true);
  const [group, action, ...rest] = positionals;
  if (values.help || !group) return USAGE;
  const config = loadProviderConfig({}, env);
  const withModels = <T>(fn: (models: Models, store: Store) => Promise<T>) => withStore(config, fn);
  const key = `${group} ${action ?? ''}`.trim();

  switch (key) {
    case 'users list':
      return withModels(async (m) => {
        const users = (await m.users.list()).map((r) => r.value);
        return (
          users
            .map((u) => `${u.username}\t${u.sub}\t${u.name ?? ''}\t${u.email ?? ''}${u.locked_until && u.locked_until > Date.now() / 1000 ? '\tLOCKED' : ''}`)
            .join('\n') || '(no users)'
        );
      });
    case 'users add': {
      const [username] = rest;
      if (!username || !values.password) throw new UsageError('users add <username> --password <pw>');
      return withModels(async (m) => {
        if ((await m.users.findBy('username', username.toLowerCase())).length) throw new UsageError(`user ${username} already exists`);
        let user: User;
        try {
          user = await newUser(username, values.password!, {
            ...(values.name ? { name: values.name } : {}),
            ...(values.email ? { email: values.email, email_verified: false } : {}),
            ...(values.phone ? { phone_number: values.phone, phone_number_verified: false } : {}),
          });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        await m.users.put(user.sub, user);
        return `added user ${user.username} (sub ${user.sub})`;
      });
    }
    case 'users remove':
      return withModels(async (m) => {
        const user = await findUser(m, rest[0] ?? '');
        await m.users.delete(user.sub);
        await m.sessions.deleteBy('sub', user.sub);
        for (const g of await m.grants.findBy('sub', user.sub)) {
          await m.refreshTokens.deleteBy('grantId', g.value.grantId);
          await m.grants.delete(g.value.grantId);
        }
        return `removed user ${user.username}, their sessions and grants`;
      });
    case 'users unlock':
      return withModels(async (m) => {
        const user = await findUser(m, rest[0] ?? '');
        await m.users.update(user.sub, (current) => {
          if (!current) return undefined;
          const { failed_logins: _f, locked_until: _l, ...unlocked } = current;
          return unlocked;
        });
        return `unlocked ${user.username}`;
      });
    case 'users set-ciba-code': {
      const [username, code] = rest;
      if (!username || !code) throw new UsageError('users set-ciba-code <username> <code>');
      if (/\s/.test(code)) throw new UsageError('the code must not contain spaces');
      return withModels(async (models) => {
        try {
          await setCibaUserCode({ models }, username, code);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        return `set the CIBA user code of ${username.toLowerCase()}`;
      });
    }
    case 'clients list':
      return withModels(
        async (m) =>
          (await m.clients.list())
            .map(({ value: c }) => c)
            .map((c) => `${c.client_id}\t${c.token_endpoint_auth_method}\t${c.grant_types.join(',')}\t${c.client_name ?? ''}`)
            .join('\n') || '(no clients)',
      );
    case 'clients add': {
      const [file] = rest;
      if (!file) throw new UsageError('clients add <metadata.json>');
      let metadata: Record<string, unknown>;
      try {
        metadata = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      return withModels(async (models) => {
        const { client_id, secret } = await upsertClient({ models }, metadata);
        return `saved client ${client_id}${secret && metadata.client_secret === undefined ? `\nclient_secret (shown once): ${secret}` : ''}`;
      });
    }
    case 'clients remove':
      return withModels(async (m) => {
        const id = rest[0] ?? '';
        if (!(await m.clients.find(id))) throw new UsageError(`no client ${id}`);
        await m.clients.delete(id);
        return `removed client ${id}`;
      });
    case 'keys list':
    case 'keys rotate':
      return withModels(async (m, store) => {
        const keys = await KeyStore.open({ settings: m.settings, pubsub: store.pubsub }, config.dataDir);
        if (action === 'rotate') {
          const kids = await keys.rotate();
          return `new signing keys: ${kids.join(', ')}\nprevious keys are retired but stay published until their tokens expire`;
        }
        return keys
          .list()
          .map(
            (k) =>
              `${k.kid}\t${k.alg}\t${new Date(k.createdAt * 1000).toISOString()}\t${k.retiredAt ? `retired ${new Date(k.retiredAt * 1000).toISOString()}` : 'active'}`,
          )
          .join('\n');
      });
    case 'ciba-policy show':
      return withModels((models) => showCibaPolicy({ models, config }, env));
    case 'ciba-policy set': {
      const patch = cibaPolicyPatch(values, config.ciba.maxExpiresIn);
      return withModels(async (models) => {
        const ctx = { models, config };
        try {
          await setCibaPolicy(ctx, patch);
        } catch (e) {
          if (e instanceof TypeError) throw new UsageError(e.message);
          throw e;
        }
        return `saved the CIBA policy\n${await showCibaPolicy(ctx, env)}${await clientsLackingEndpoint(ctx)}`;
      });
    }
    case 'ciba-policy reset':
      return withModels(async (models) => {
        await resetCibaPolicy({ models, config }, ADMIN_POLICY_KEYS);
        return `reset the CIBA policy\n${await showCibaPolicy({ models, config }, env)}`;
      });
    default:
      throw new UsageError(`unknown command: ${key}\n\n${USAGE}`);
  }
}

/** The policy values `ciba-policy set` changes and `ciba-policy reset` forgets. */
const ADMIN_POLICY_KEYS: readonly (keyof CibaPolicy)[] = [
  'deliveryMode',
  'acceptedHints',
  'expiresIn',
  'interval',
  'numberMatching',
  'fatigueLimit',
  'fatigueWindow',
];

/** The flags of `ciba-policy set` as a policy patch; a malformed value is refused saying what is allowed. */
function cibaPolicyPatch(values: Record<string, string | boolean | undefined>, maxExpiresIn: number): Partial<CibaPolicy> {
  const text = (flag: string) => (typeof values[flag] === 'string' ? (values[flag] as string).trim() : undefined);
  const seconds = (flag: string, allowed: string, min = 1): number | undefined => {
    const v = text(flag);
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,9}$/.test(v) || Number(v) < min) throw new UsageError(`--${flag} ${v}: ${allowed}`);
    return Number(v);
  };
  const mode = text('delivery-mode');
  if (mode !== undefined && !(DELIVERY_MODES as readonly string[]).includes(mode))
    throw new UsageError(`--delivery-mode ${mode}: must be one of ${DELIVERY_MODES.join(', ')}`);
  const hintList = text('hints')
    ?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  const badHint = hintList?.find((h) => !(CIBA_HINTS as readonly string[]).includes(h));
  if (hintList && (hintList.length === 0 || badHint))
    throw new UsageError(`--hints ${text('hints')}: must be a comma-separated list of one or more of ${CIBA_HINTS.join(', ')}`);
  const expiresIn = seconds('expires-in', `must be a whole number of seconds from 1 to ${maxExpiresIn} (NOD_CIBA_MAX_EXPIRES_IN)`);
  const interval = seconds('interval', 'must be a whole number of seconds, at least 1');
  const fatigueLimit = seconds('fatigue-limit', 'must be a whole number of requests per user (0 turns anti-fatigue off)', 0);
  const fatigueWindow = seconds('fatigue-window', 'must be a whole number of seconds, at least 1');
  const matching = text('number-matching');
  if (matching !== undefined && matching !== 'on' && matching !== 'off') throw new UsageError(`--number-matching ${matching}: must be on or off`);
  const patch: Partial<CibaPolicy> = {
    ...(mode ? { deliveryMode: mode as CibaPolicy['deliveryMode'] } : {}),
    ...defined({ expiresIn, interval }),
    ...(hintList ? { acceptedHints: hintList as CibaHint[] } : {}),
    ...(matching ? { numberMatching: matching === 'on' } : {}),
    ...defined({ fatigueLimit, fatigueWindow }),
  };
  if (Object.keys(patch).length === 0)
    throw new UsageError(
      'ciba-policy set needs at least one of --delivery-mode, --expires-in, --interval, --hints, --number-matching, --fatigue-limit, --fatigue-window',
    );
  return patch;
}

/** The policy as a table: setting, value, where the value comes from. */
async function showCibaPolicy(ctx: PolicyContext, env: NodeJS.ProcessEnv): Promise<string> {
  const policy = await cibaPolicy(ctx);
  const stored = await storedCibaPolicy(ctx);
  const source = (key: keyof CibaPolicy, envName?: string) =>
    key in stored ? 'set with ciba-policy set' : envName && env[envName] ? `environment ${envName}` : 'default';
  const rows: Array<[string, string, string]> = [
    ['delivery_mode', policy.deliveryMode, `${source('deliveryMode')} (for clients that register no backchannel_token_delivery_mode)`],
    ['expires_in', String(policy.expiresIn), `${source('expiresIn', 'NOD_CIBA_EXPIRES_IN')} (clients' ciba_expires_in wins)`],
    ['max_expires_in', String(policy.maxExpiresIn), source('maxExpiresIn', 'NOD_CIBA_MAX_EXPIRES_IN')],
    ['interval', String(policy.interval), `${source('interval', 'NOD_CIBA_INTERVAL')} (clients' ciba_interval wins)`],
    ['hints', policy.acceptedHints.join(','), source('acceptedHints')],
    [
      'number_matching',
      policy.numberMatching ? 'on' : 'off',
      `${source('numberMatching')} (${policy.numberMatching ? 'every CIBA client' : `clients with ${NUMBER_MATCHING_METADATA} true use it regardless`})`,
    ],
    ['fatigue_limit', policy.fatigueLimit === 0 ? '0 (off)' : String(policy.fatigueLimit), `${source('fatigueLimit')} (clients' ciba_fatigue_limit wins)`],
    ['fatigue_window', String(policy.fatigueWindow), `${source('fatigueWindow')} (clients' ciba_fatigue_window wins)`],
  ];
  return `${rows.map((r) => r.join('\t')).join('\n')}${await fatigueWarnings(ctx, policy)}`;
}

/** Warnings when anti-fatigue is off, for every client (policy) or for some (their own metadata). */
async function fatigueWarnings(ctx: PolicyContext, policy: CibaPolicy): Promise<string> {
  const lines: string[] = [];
  if (policy.fatigueLimit === 0) {
    lines.push(
      "warning: anti-fatigue is OFF: any CIBA client (or anyone who knows a client's credentials and a username) can make a user's phone ask again and again until a tired user approves. Turn it back on with ciba-policy set --fatigue-limit 5 (or ciba-policy reset).",
    );
  }
  const cibaClients = (await ctx.models.clients.list()).map(({ value: c }) => c).filter((c) => c.grant_types.includes(CIBA_GRANT_TYPE));
  const off = cibaClients.filter((c) => c.ciba_fatigue_limit === 0).map((c) => c.client_id);
  const own = cibaClients.filter((c) => c.ciba_fatigue_limit !== undefined && c.ciba_fatigue_limit > 0).map((c) => `${c.client_id} (${c.ciba_fatigue_limit})`);
  if (off.length) lines.push(`warning: anti-fatigue is off for these clients (ciba_fatigue_limit 0): ${off.join(', ')}`);
  if (own.length) lines.push(`clients with their own anti-fatigue limit: ${own.join(', ')}`);
  return lines.map((l) => `\n${l}`).join('');
}

/** A warning naming CIBA clients that a ping or push default mode leaves without a notification endpoint. */
async function clientsLackingEndpoint(ctx: PolicyContext): Promise<string> {
  const { deliveryMode } = await cibaPolicy(ctx);
  if (deliveryMode === 'poll') return '';
  const lacking = (await ctx.models.clients.list())
    .map(({ value: c }) => c)
    .filter((c) => c.grant_types.includes(CIBA_GRANT_TYPE) && !c.backchannel_token_delivery_mode && !c.backchannel_client_notification_endpoint)
    .map((c) => c.client_id);
  return lacking.length
    ? `\nwarning: ${deliveryMode} mode needs a backchannel_client_notification_endpoint; these CIBA clients have none and will be refused until they register one or a mode: ${lacking.join(', ')}`
    : '';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdmin(process.argv.slice(2)).then(
    (out) => console.log(out),
    (e: unknown) => {
      if (e instanceof DataDirLockedError) {
        console.error(`${e.message}`);
        process.exit(2);
      }
      if (e instanceof UsageError || isOAuthError(e)) {
        console.error(isOAuthError(e) ? `invalid client metadata: ${e.description}` : (e as Error).message);
        process.exit(1);
      }
      throw e;
    },
  );
}
