/** A raw HTTP client for server tests: sends exactly the path and headers given (no normalisation). */
import http from 'node:http';

export type RawResponse = { status: number; headers: http.IncomingHttpHeaders; body: Buffer; text: string; json: () => any };

export function request(
  baseUrl: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<RawResponse> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POST /api/<method> with a JSON body. */
export function callApi(baseUrl: string, method: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  return request(baseUrl, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/**
 * Sends a body of `totalBytes` in 1 MiB chunks (chunked encoding unless `declareLength`) and
 * resolves with the status as soon as the server answers, even if it stops reading.
 */
export function sendLargeBody(
  baseUrl: string,
  path: string,
  totalBytes: number,
  declareLength: boolean,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; text: string; bytesWritten: number }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    let written = 0;
    let answered = false;
    const headers: Record<string, string> = { 'Content-Type': 'application/json', ...extraHeaders };
    if (declareLength) headers['Content-Length'] = String(totalBytes);
    // A keep-alive connection, as browsers use: with `Connection: close` Node's server closes
    // the socket right after an early answer, and the client may see EPIPE before the answer.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const done = (result: { status: number; text: string; bytesWritten: number }) => {
      agent.destroy();
      resolve(result);
    };
    const req = http.request({ hostname, port, method: 'POST', path, headers, agent }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), bytesWritten: written }));
      res.on('error', () => done({ status: res.statusCode ?? 0, text: '', bytesWritten: written }));
    });
    // The server may close the socket while we are still writing; the answer is what matters.
    req.on('error', (error) => {
      if (answered) return;
      agent.destroy();
      reject(error);
    });
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    // One chunk per event-loop turn, so an early answer is noticed between chunks.
    const pump = () => {
      if (answered) return;
      if (written >= totalBytes) {
        req.end();
        return;
      }
      const size = Math.min(chunk.length, totalBytes - written);
      written += size;
      if (req.write(size === chunk.length ? chunk : chunk.subarray(0, size))) setImmediate(pump);
      else req.once('drain', () => setImmediate(pump));
    };
    pump();
  });
}

/** `request` and `callApi` bound to one server, sending its token as `Authorization: Bearer`. */
export function authorizedClient(baseUrl: string, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  return {
    auth,
    request: (options: Parameters<typeof request>[1]) => request(baseUrl, { ...options, headers: { ...auth, ...options.headers } }),
    callApi: (method: string, body: unknown, headers: Record<string, string> = {}) => callApi(baseUrl, method, body, { ...auth, ...headers }),
    sendLargeBody: (path: string, totalBytes: number, declareLength: boolean) => sendLargeBody(baseUrl, path, totalBytes, declareLength, auth),
  };
}
