/**
 * Builds the renderer (Svelte 5) into `dist/renderer`, loaded by Electron from disk and
 * served by `retrain-studio serve`. Relative asset URLs (`base: './'`) work for both.
 *
 * The CSP (`script-src 'self'`) forbids inline scripts, so nothing here may inline one.
 * `npx vite` (development) proxies the API, image routes and event socket to a running
 * `serve`; set RETRAIN_STUDIO_SERVE_PORT (default 7860) to its port.
 */
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'vite';

const servePort = process.env.RETRAIN_STUDIO_SERVE_PORT ?? '7860';
const serveTarget = `http://127.0.0.1:${servePort}`;

export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  plugins: [svelte({ configFile: false })],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The polyfill would be bundled, not inlined, but Chromium/Electron need none.
    modulePreload: { polyfill: false },
    // Keep every asset a file: data: URLs for scripts would break the CSP.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1024,
  },
  server: {
    port: 5173,
    strictPort: false,
    proxy: {
      '/api': { target: serveTarget, changeOrigin: true },
      '/files': { target: serveTarget, changeOrigin: true },
      '/events': { target: serveTarget, ws: true, changeOrigin: true },
    },
  },
});
