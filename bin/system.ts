/**
 * The embedded default: the provider and the authentication entity (serving the device app) in
 * one process, on one data directory, configured to point at each other. Each part still reads
 * its own NOD_ variables; this module only fills in what must agree between them.
 */
import { portOrFree } from '../shared/http/free_port.ts';
import { startProvider, type RunningProvider } from '../provider/app.ts';
import { startServer, type RunningServer } from '../server/app.ts';
import { envInt, envList, envString } from '../shared/env.ts';
import { DELEGATION_PATH } from '../shared/auth-channel.ts';
import { DEFAULT_PROVIDER_PORT, DEFAULT_SERVER_PORT } from '../shared/constants.ts';

export interface RunningSystem {
  readonly provider: RunningProvider;
  readonly server: RunningServer;
  /** Stops the entity, then the provider; each flushes its store. */
  close(): Promise<void>;
}

const trim = (url: string) => url.replace(/\/+$/, '');

/** Starts the provider, then the entity trusting it; stops the provider again if the entity fails. */
export async function startSystem(env: NodeJS.ProcessEnv = process.env): Promise<RunningSystem> {
  const providerPort = await portOrFree(envInt('NOD_PROVIDER_PORT', DEFAULT_PROVIDER_PORT, env));
  const serverPort = await portOrFree(envInt('NOD_SERVER_PORT', DEFAULT_SERVER_PORT, env));
  const serverUrl = trim(envString('NOD_SERVER_URL', `http://localhost:${serverPort}`, env));
  const delegationPath = envString('NOD_DELEGATION_PATH', DELEGATION_PATH, env);
  const provider = await startProvider({
    port: providerPort,
    issuer: trim(envString('NOD_ISSUER', `http://localhost:${providerPort}`, env)),
    authChannelUrl: envString('NOD_AUTH_CHANNEL_URL', `${serverUrl}${delegationPath}`, env),
    deviceAppUrl: trim(envString('NOD_DEVICE_APP_URL', serverUrl, env)),
  });
  try {
    const server = await startServer({
      port: serverPort,
      url: serverUrl,
      dataDir: provider.ctx.config.dataDir,
      // Our provider first (it is also the one the app signs in at, unless NOD_ENROLL_ISSUER says otherwise).
      trustedIssuers: [...new Set([provider.issuer, ...envList('NOD_TRUSTED_ISSUERS', [], env).map(trim)])],
      ...(env.NOD_DEMO ? {} : { demo: provider.demo }),
    });
    return {
      provider,
      server,
      async close() {
        await server.close();
        await provider.close();
      },
    };
  } catch (e) {
    await provider.close();
    throw e;
  }
}
