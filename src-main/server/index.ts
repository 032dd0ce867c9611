/**
 * `serve`: Retrain Studio's contract over HTTP + WebSocket, for a browser on this machine or
 * on another one (a headless GPU box), always behind a token. See README.md in this folder for the
 * wire protocol and the security model.
 *
 * The CLI's `serve` command calls `startServe`; tests and embedders call `createServer`
 * with their own service.
 */
export { createServer, type RunningServer, type ServerOptions } from './http-server.js';
export { startServe, defaultStaticDir, resolveServeToken, DEFAULT_SERVE_PORT, TOKEN_ENV, type ServeHandle, type ServeOptions } from './serve.js';
/** The default data folder (`$RETRAIN_STUDIO_DATA_DIR` or the platform's app-data dir); lives in core. */
export { defaultDataDir } from '../core/paths.js';
export { HTTP_STATUS, httpStatusFor } from '../host/errors.js';
