/**
 * The desktop shell's security policy as data: the app's own origin, the image scheme, the
 * Content-Security-Policy and the few external sites links may open. Pure (no Electron
 * import), so it is unit-tested in Node.
 */

/** The privileged scheme the renderer is loaded from (`app://retrain-studio/index.html`). */
export const APP_SCHEME = 'app';
/** The host of every app URL; with a standard scheme it makes `app://retrain-studio` the origin. */
export const APP_HOST = 'retrain-studio';
/** The renderer's origin; IPC accepts requests only from frames at this origin. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page the window loads. */
export const APP_INDEX_URL = `${APP_ORIGIN}/index.html`;
/** The scheme of local images: `rs-image://local/<encodeURIComponent(absolute path)>[?thumb=<px>]` (api/wire.ts). */
import { IMAGE_SCHEME } from '../api/wire.js';
export { IMAGE_SCHEME };

/**
 * The Content-Security-Policy sent with every app page. Scripts only from the app itself
 * (no inline, no eval), images also from the image scheme, no plugins, no frames, no forms.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  `img-src 'self' data: blob: ${IMAGE_SCHEME}:`,
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Hosts an https link in the app may open in the user's browser; everything else is ignored. */
export const EXTERNAL_LINK_HOSTS: readonly string[] = [
  'github.com',
  'www.tensorflow.org',
  'tensorflow.org',
  'tfhub.dev',
  'www.kaggle.com',
  'kaggle.com',
  'js.tensorflow.org',
  'onnxruntime.ai',
  'www.electronjs.org',
];

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/** True when `url` belongs to the app itself (`app://retrain-studio/...`). */
export function isAppUrl(url: string | null | undefined): boolean {
  if (!url) return false;
  const parsed = parse(url);
  return parsed !== null && parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST && parsed.username === '' && parsed.password === '';
}

/** True for plain https links to an allow-listed host (no credentials, default port). */
export function isAllowedExternalUrl(url: string, hosts: readonly string[] = EXTERNAL_LINK_HOSTS): boolean {
  const parsed = parse(url);
  return (
    parsed !== null &&
    parsed.protocol === 'https:' &&
    parsed.username === '' &&
    parsed.password === '' &&
    parsed.port === '' &&
    hosts.includes(parsed.hostname.toLowerCase())
  );
}

/**
 * Whether the page at `pageUrl` (a URL or an origin) may have `permission`: only the app's own
 * page, only copying to the clipboard and the camera. The camera (`media`, video only, never the
 * microphone) is requested by getUserMedia when the user turns the webcam on in Classify.
 */
export function isPermissionAllowed(permission: string, pageUrl: string | null | undefined, mediaTypes: readonly string[] = []): boolean {
  if (!isAppUrl(pageUrl)) return false;
  if (permission === 'clipboard-sanitized-write') return true;
  return permission === 'media' && mediaTypes.length > 0 && mediaTypes.every((type) => type === 'video');
}
