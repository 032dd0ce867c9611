/** Starting this package's own worker-thread modules, from compiled JS or from TypeScript sources. */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts the worker module `<name>.js` that sits next to the calling module (pass its
 * `import.meta.url`). From compiled JS the file is loaded directly (in the packaged app from
 * app.asar.unpacked, see electron-builder.yml and `workerFileUrl`); from TypeScript sources (Vitest, tsx) a small
 * bootstrap registers tsx in the worker first, because a plain Worker cannot load .ts.
 */
export function startModuleWorker(callerUrl: string, name: string): Worker {
  if (!/\.[cm]?ts$/.test(new URL(callerUrl).pathname)) {
    return new Worker(workerFileUrl(callerUrl, name));
  }
  const require = createRequire(callerUrl);
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  const bootstrap = `
    const { workerData } = require('node:worker_threads');
    import(workerData.tsxApi)
      .then(({ register }) => { register(); return import(workerData.entry); })
      .catch((error) => { setImmediate(() => { throw error; }); });`;
  return new Worker(bootstrap, { eval: true, workerData: { tsxApi, entry } });
}

/**
 * The URL of compiled worker `<name>.js` beside `callerUrl`. Inside a packaged app the caller
 * lies in `app.asar`; a worker thread and the modules it imports run from the unpacked copy
 * (`app.asar.unpacked`, electron-builder's asarUnpack), where plain file loading works.
 */
export function workerFileUrl(callerUrl: string, name: string): URL {
  const url = new URL(`./${name}.js`, callerUrl);
  url.pathname = url.pathname.replace(/\/app\.asar\//, '/app.asar.unpacked/');
  return url;
}
