// `npm start` (after `npm run build`): the desktop app when it can run here, else the same UI
// served to a browser.
//
// Electron runs when its binary was downloaded (`require('electron')` names an existing file)
// and, on Linux, a display exists (DISPLAY or WAYLAND_DISPLAY). Otherwise this prints one
// line saying why, with the URL, and serves the UI in-process with `startServe` (what
// `retrain-studio serve` runs) on 127.0.0.1, port $RETRAIN_STUDIO_SERVE_PORT or 7860 (where
// `npx vite` proxies to; any free port when taken). `--port <n>` and `--host <address>`
// override. Like `serve`, it always requires a token: `$RETRAIN_STUDIO_TOKEN`, the first line
// of `--token-file <file>`, or a random one; the line printed holds the URL with `#token=…`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
const require = createRequire(import.meta.url);
const NOT_INSTALLED = 'Electron binary not installed (offline install)';

/** The Electron executable, or why the desktop app cannot run here. */
function findElectron() {
  let binary;
  try {
    binary = require('electron');
  } catch {
    return { reason: NOT_INSTALLED };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { reason: NOT_INSTALLED };
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { reason: 'No display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  }
  return { binary };
}

function option(name) {
  const args = process.argv.slice(2);
  const index = args.indexOf(`--${name}`);
  if (index !== -1) return args[index + 1];
  return args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function runElectron(binary) {
  if (!existsSync(path.join(root, 'dist', 'main', 'electron', 'main.js'))) {
    console.error('retrain-studio: dist/main/electron/main.js is missing; run `npm run build` first.');
    process.exitCode = 1;
    return;
  }
  const env = { ...process.env };
  delete env.ELECTRON_RUN_AS_NODE; // would make the binary behave as plain Node
  const child = spawn(binary, [root, ...process.argv.slice(2)], { stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`retrain-studio: could not start Electron: ${error.message}`);
    process.exitCode = 1;
  });
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 1 : 0);
  });
}

async function runServe(reason) {
  const entry = path.join(root, 'dist', 'main', 'server', 'index.js');
  if (!existsSync(entry)) {
    console.error(`retrain-studio: ${reason}, and dist/main/server/index.js is missing; run \`npm run build\` first.`);
    process.exitCode = 1;
    return;
  }
  const { startServe } = await import(pathToFileURL(entry).href);
  const portText = option('port');
  const port = portText === undefined ? undefined : Number(portText);
  // startServe picks $RETRAIN_STUDIO_SERVE_PORT or 7860 by default, or a free port when taken.
  const handle = await startServe({ host: option('host'), port, tokenFile: option('token-file'), print: () => {} });
  console.log(`${reason} — serving the UI at ${handle.openUrl} instead`);
}

const { binary, reason } = findElectron();
if (binary) runElectron(binary);
else
  await runServe(reason).catch((error) => {
    console.error(`retrain-studio: could not serve the UI: ${error?.message ?? error}`);
    process.exitCode = 1;
  });
