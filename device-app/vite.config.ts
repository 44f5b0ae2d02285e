/**
 * Builds the device app (root device-app/, output device-app/dist) and its service worker
 * (src/sw.ts, vite-plugin-pwa injectManifest). `npm run dev:app` proxies /api and /ws to the
 * entity on its default port.
 */
import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { VitePWA } from 'vite-plugin-pwa';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SERVER_PORT } from '../shared/constants.ts';

const root = fileURLToPath(new URL('.', import.meta.url));
const entity = process.env.NOD_ENTITY_URL ?? `http://localhost:${DEFAULT_SERVER_PORT}`;

/** Brand colour, also used in the manifest and <meta name="theme-color">. */
const THEME = '#0f3b5f';

export default defineConfig({
  root,
  base: '/',
  publicDir: 'public',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    reportCompressedSize: true,
    // No modulepreload polyfill in the start bundle (~0.5 KB gzip): browsers without <link
    // rel=modulepreload> (Safari before 17) still load every chunk, only without preloading it.
    modulePreload: { polyfill: false },
  },
  server: {
    proxy: {
      '/api': { target: entity, changeOrigin: true },
      '/ws': { target: entity.replace(/^http/, 'ws'), ws: true, changeOrigin: true },
    },
  },
  plugins: [
    preact(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      manifestFilename: 'manifest.webmanifest',
      includeAssets: ['icons/apple-touch-icon.png'],
      manifest: {
        id: '/',
        name: 'Nod',
        short_name: 'Nod',
        description: 'Approve or deny sign-in requests from your phone.',
        start_url: '/',
        scope: '/',
        display: 'standalone',
        orientation: 'portrait',
        background_color: '#f5f7fa',
        theme_color: THEME,
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
      },
      devOptions: { enabled: true, type: 'module', navigateFallback: 'index.html' },
    }),
  ],
});
