/** Where Retrain Studio keeps its data when nobody says otherwise. */
import os from 'node:os';
import path from 'node:path';

/**
 * `$RETRAIN_STUDIO_DATA_DIR`, else the platform's app-data folder:
 * `~/.local/share/retrain-studio` (or `$XDG_DATA_HOME`), `%APPDATA%\retrain-studio`,
 * `~/Library/Application Support/retrain-studio`.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (env.RETRAIN_STUDIO_DATA_DIR) return path.resolve(env.RETRAIN_STUDIO_DATA_DIR);
  const home = os.homedir();
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'retrain-studio');
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'retrain-studio');
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'retrain-studio');
}

/** The app's version, recorded in runs and exports. */
export const APP_VERSION = '0.1.0';
