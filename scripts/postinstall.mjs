// Runs after `npm install`. The Electron binary is fetched here, not by electron's own
// postinstall (blocked in package.json "allowScripts"), so an offline machine still
// installs everything else: the app then serves its UI in a browser instead.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let electronDir;
try {
  electronDir = require.resolve('electron/install.js').replace(/install\.js$/, '');
} catch {
  process.exit(0); // production install without devDependencies
}
if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
  console.log('retrain-studio: ELECTRON_SKIP_BINARY_DOWNLOAD is set; desktop shell not downloaded (npm start will serve the UI in a browser).');
  process.exit(0);
}
if (existsSync(electronDir + 'path.txt')) process.exit(0);
const result = spawnSync(process.execPath, ['install.js'], { cwd: electronDir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 300_000 });
if (result.status !== 0) {
  const reason = (result.stderr?.toString() ?? '').split('\n').find((line) => /error/i.test(line)) ?? 'download failed';
  console.log(`retrain-studio: the Electron binary could not be downloaded (${reason.trim().slice(0, 160)}).`);
  console.log('retrain-studio: everything else is installed; `npm start` will serve the UI at http://127.0.0.1:<port> instead.');
}
