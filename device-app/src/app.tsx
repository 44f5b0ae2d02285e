/**
 * The app: loads the entity config and this device's enrollment, runs the live feed while
 * enrolled, re-syncs the push subscription on every start, routes by path, and shows a request
 * that arrives in a sheet over whatever screen is open.
 */
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { ENTITY_API, type EntityConfig } from '../../shared/entity-api.ts';
import { ErrorBoundary } from './components/ErrorBoundary.tsx';
import { Layout } from './components/Layout.tsx';
import { SheetHost } from './components/SheetHost.tsx';
import { api, describeError, onUnauthorized } from './lib/api.ts';
import { Feed } from './lib/feed.ts';
import { syncPush } from './lib/push.ts';
import { match, navigate, usePath } from './lib/router.ts';
import { clearSession, loadSession, saveSession, type Session } from './lib/session.ts';
import { AppContext, useApp, type AppState } from './lib/use-app.ts';
import { useFeed } from './lib/use-feed.ts';
import { lazyPage } from './lib/lazy-page.tsx';
import { NotFound } from './pages/NotFound/index.tsx';
import { Requests } from './pages/Requests/index.tsx';

// Loaded when first shown (lib/lazy-page.tsx): the first screen of an enrolled device is the request
// list; sign-in (Welcome, Callback) happens once per device. One request's page (decision, number
// picker, outcome, signing) shares its chunk with the request sheet, and the service worker has it
// precached, so opening a request from a notification does not wait on the network.
const Request = lazyPage(() => import('./pages/Request/index.tsx').then((m) => m.Request));
const Welcome = lazyPage(() => import('./pages/Welcome/index.tsx').then((m) => m.Welcome));
const Callback = lazyPage(() => import('./pages/Callback/index.tsx').then((m) => m.Callback));
const Settings = lazyPage(() => import('./pages/Settings/index.tsx').then((m) => m.Settings));
const Tv = lazyPage(() => import('./pages/Tv/index.tsx').then((m) => m.Tv));

const CONFIG_CACHE = 'nod.config';

/** /api/config, falling back to the last copy when offline. */
async function loadConfig(): Promise<EntityConfig> {
  try {
    const config = await api<EntityConfig>(ENTITY_API.config);
    localStorage.setItem(CONFIG_CACHE, JSON.stringify(config));
    return config;
  } catch (e) {
    const cached = localStorage.getItem(CONFIG_CACHE);
    if (cached) return JSON.parse(cached) as EntityConfig;
    throw e;
  }
}

export function App() {
  const [config, setConfig] = useState<EntityConfig>();
  const [configError, setConfigError] = useState<string>();
  const [session, setSession] = useState<Session>();
  const [loaded, setLoaded] = useState(false);
  const [notice, setNotice] = useState<string>();
  const path = usePath();

  useEffect(() => {
    loadConfig().then(setConfig, (e: unknown) => setConfigError(describeError(e)));
    loadSession()
      .then(
        (s) => setSession(s),
        () => undefined,
      )
      .finally(() => setLoaded(true));
  }, []);

  const forget = useCallback(async (message?: string) => {
    await clearSession();
    setSession(undefined);
    setNotice(message);
    navigate('/', true);
  }, []);

  useEffect(() => {
    onUnauthorized(() => void forget('This device is no longer enrolled (it was removed or its session ended). Sign in again to use it.'));
    return () => onUnauthorized(undefined);
  }, [forget]);

  // The feed lives as long as the device token.
  const token = session?.device_token;
  const feed = useMemo(() => (session ? new Feed(session) : undefined), [token]);
  useEffect(() => {
    feed?.start();
    return () => feed?.stop();
  }, [feed]);

  // Push services rotate subscriptions: hand the current one to the entity on every start.
  useEffect(() => {
    if (session && config) syncPush(session, config).catch((e: unknown) => console.warn('[nod] push sync failed', e));
  }, [token, config]);

  // The worker asks an open window to show a request (notification tap).
  useEffect(() => {
    const onMessage = (ev: MessageEvent) => {
      const data = ev.data as { type?: string; url?: string } | null;
      if (data?.type === 'navigate' && data.url?.startsWith('/')) navigate(data.url);
    };
    navigator.serviceWorker?.addEventListener('message', onMessage);
    return () => navigator.serviceWorker?.removeEventListener('message', onMessage);
  }, []);

  const state: AppState = {
    config,
    configError,
    session,
    feed,
    notice,
    forget,
    async enrolled(s) {
      await saveSession(s);
      setNotice(undefined);
      setSession(s);
    },
    async updateSession(s) {
      await saveSession(s);
      setSession(s);
    },
  };

  return (
    <AppContext.Provider value={state}>
      <ErrorBoundary>{!loaded ? <Splash /> : <Routed path={path} />}</ErrorBoundary>
    </AppContext.Provider>
  );
}

function Splash() {
  return (
    <main id="main" class="page splash" aria-busy="true">
      <p class="spinner" role="status">
        Opening Nod…
      </p>
    </main>
  );
}

function Routed({ path }: { path: string }) {
  const app = useApp();
  const { session, feed } = app;
  const pending = useFeedCount(feed);
  const user = session ? (session.user.name ?? session.user.username) : undefined;

  let page: preact.JSX.Element;
  if (path === '/callback') page = <Callback />;
  else if (!session || !feed || !app.config) page = session && !app.config ? <Waiting error={app.configError} /> : <Welcome />;
  else if (path === '/' || path === '/requests') page = <Requests />;
  else if (path === '/tv') page = <Tv />;
  else if (path === '/settings') page = <Settings />;
  else {
    const m = match('/requests/:id', path);
    page = m ? <Request key={m.id} id={m.id!} /> : <NotFound />;
  }
  const enrolled = path !== '/callback' && session && feed && app.config;
  return (
    <Layout path={path === '/' ? '/requests' : path} user={session && app.config ? user : undefined} pending={pending}>
      {page}
      {enrolled && <SheetHost path={path} />}
    </Layout>
  );
}

/** Enrolled but the config has not arrived (first start offline). */
function Waiting({ error }: { error: string | undefined }) {
  return error ? (
    <div>
      <h1>Nod can’t reach its server</h1>
      <p>{error}</p>
      <button type="button" class="btn" onClick={() => location.reload()}>
        Try again
      </button>
    </div>
  ) : (
    <p class="spinner" role="status">
      Connecting…
    </p>
  );
}

/** Pending, unexpired requests, for the navigation's count. */
function useFeedCount(feed: Feed | undefined): number {
  const state = useFeed(feed);
  const now = Date.now() / 1000;
  return state ? state.requests.filter((r) => r.status === 'pending' && r.expires_at > now).length : 0;
}
