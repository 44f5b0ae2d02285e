/** Entry: styles, the app, and the service worker (offline shell, push, notification actions). */
import { render } from 'preact';
import { App } from './app.tsx';
import './styles.css';

render(<App />, document.getElementById('app')!);

if ('serviceWorker' in navigator) {
  // vite-plugin-pwa serves the worker as an ES module at this path in development.
  const url = import.meta.env.DEV ? '/dev-sw.js?dev-sw' : '/sw.js';
  navigator.serviceWorker
    .register(url, { scope: '/', type: import.meta.env.DEV ? 'module' : 'classic', updateViaCache: 'none' })
    .catch((e: unknown) => console.warn('[nod] service worker registration failed', e));
}
