/**
 * `npm run admin -- <command>`: manage users, clients and keys in the data directory.
 * Refuses while a provider holds the data directory (it would overwrite the changes); stop it
 * first. Exit codes: 0 done, 1 bad input, 2 data directory busy.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { LowdbStore } from '../shared/store/lowdb-store.ts';
import { DataDirLockedError } from '../shared/store/lock.ts';
import { isOAuthError } from '../shared/errors.ts';
import { loadProviderConfig } from '../provider/config.ts';
import { openModels, type Models } from '../provider/models/index.ts';
import { KeyStore } from '../provider/keys/keystore.ts';
import { newUser } from '../provider/models/user.ts';
import { setCibaUserCode } from '../provider/ciba/user_code.ts';
import { upsertClient } from '../provider/demo.ts';

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

Environment: NOD_DATA_DIR (default ./data). Stop the provider first.`;

class UsageError extends Error {}

async function withModels<T>(dataDir: string, fn: (models: Models) => Promise<T>): Promise<T> {
  const store = await LowdbStore.open({ dir: dataDir, name: 'provider', sweepIntervalMs: 0 });
  try {
    return await fn(openModels(store));
  } finally {
    await store.close();
  }
}

async function findUser(models: Models, username: string) {
  const [user] = await models.users.findBy('username', username.toLowerCase());
  if (!user) throw new UsageError(`no user named ${username}`);
  return user;
}

/** Runs one admin command; returns the text to print. */
export async function runAdmin(argv: string[], env = process.env): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { password: { type: 'string' }, name: { type: 'string' }, email: { type: 'string' }, phone: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  const [group, action, ...rest] = positionals;
  if (values.help || !group) return USAGE;
  const { dataDir } = loadProviderConfig({}, env);
  const key = `${group} ${action ?? ''}`.trim();

  switch (key) {
    case 'users list':
      return withModels(dataDir, async (m) => {
        const users = await m.users.all();
        return users.map((u) => `${u.username}\t${u.sub}\t${u.name ?? ''}\t${u.email ?? ''}${u.locked_until && u.locked_until > Date.now() / 1000 ? '\tLOCKED' : ''}`).join('\n') || '(no users)';
      });
    case 'users add': {
      const [username] = rest;
      if (!username || !values.password) throw new UsageError('users add <username> --password <pw>');
      return withModels(dataDir, async (m) => {
        if ((await m.users.findBy('username', username.toLowerCase())).length) throw new UsageError(`user ${username} already exists`);
        let user;
        try {
          user = await newUser(username, values.password!, {
            ...(values.name ? { name: values.name } : {}),
            ...(values.email ? { email: values.email, email_verified: false } : {}),
            ...(values.phone ? { phone_number: values.phone, phone_number_verified: false } : {}),
          });
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        await m.users.upsert(user.sub, user);
        return `added user ${user.username} (sub ${user.sub})`;
      });
    }
    case 'users remove':
      return withModels(dataDir, async (m) => {
        const user = await findUser(m, rest[0] ?? '');
        await m.users.destroy(user.sub);
        await m.sessions.destroyBy('sub', user.sub);
        for (const g of await m.grants.findBy('sub', user.sub)) {
          await m.refreshTokens.destroyBy('grantId', g.grantId);
          await m.grants.destroy(g.grantId);
        }
        return `removed user ${user.username}, their sessions and grants`;
      });
    case 'users unlock':
      return withModels(dataDir, async (m) => {
        const { failed_logins: _f, locked_until: _l, ...user } = await findUser(m, rest[0] ?? '');
        await m.users.upsert(user.sub, user);
        return `unlocked ${user.username}`;
      });
    case 'users set-ciba-code': {
      const [username, code] = rest;
      if (!username || !code) throw new UsageError('users set-ciba-code <username> <code>');
      if (/\s/.test(code)) throw new UsageError('the code must not contain spaces');
      return withModels(dataDir, async (models) => {
        try {
          await setCibaUserCode({ models }, username, code);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        return `set the CIBA user code of ${username.toLowerCase()}`;
      });
    }
    case 'clients list':
      return withModels(dataDir, async (m) =>
        (await m.clients.all()).map((c) => `${c.client_id}\t${c.token_endpoint_auth_method}\t${c.grant_types.join(',')}\t${c.client_name ?? ''}`).join('\n') || '(no clients)');
    case 'clients add': {
      const [file] = rest;
      if (!file) throw new UsageError('clients add <metadata.json>');
      let metadata: Record<string, unknown>;
      try {
        metadata = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
      }
      return withModels(dataDir, async (models) => {
        const { client_id, secret } = await upsertClient({ models }, metadata);
        return `saved client ${client_id}${secret && metadata.client_secret === undefined ? `\nclient_secret (shown once): ${secret}` : ''}`;
      });
    }
    case 'clients remove':
      return withModels(dataDir, async (m) => {
        const id = rest[0] ?? '';
        if (!(await m.clients.find(id))) throw new UsageError(`no client ${id}`);
        await m.clients.destroy(id);
        return `removed client ${id}`;
      });
    case 'keys list':
    case 'keys rotate':
      return withModels(dataDir, async () => {
        const keys = await KeyStore.open(dataDir);
        if (action === 'rotate') {
          const kids = await keys.rotate();
          return `new signing keys: ${kids.join(', ')}\nprevious keys are retired but stay published until their tokens expire`;
        }
        return keys.list().map((k) => `${k.kid}\t${k.alg}\t${new Date(k.createdAt * 1000).toISOString()}\t${k.retiredAt ? `retired ${new Date(k.retiredAt * 1000).toISOString()}` : 'active'}`).join('\n');
      });
    default:
      throw new UsageError(`unknown command: ${key}\n\n${USAGE}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  runAdmin(process.argv.slice(2)).then(
    (out) => console.log(out),
    (e: unknown) => {
      if (e instanceof DataDirLockedError) {
        console.error(`${e.message}`);
        process.exit(2);
      }
      if (e instanceof UsageError || isOAuthError(e) || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        console.error(isOAuthError(e) ? `invalid client metadata: ${e.description}` : (e as Error).message);
        process.exit(1);
      }
      throw e;
    },
  );
}
