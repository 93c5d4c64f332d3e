// HTTP/1.1 over a plain TCP socket, for what fetch will not do: set the Host header (DNS rebinding),
// leave Origin or Content-Type out or in as a browser would, or connect from another loopback address
// (127.0.0.6 is where Istio's sidecar forwards the mesh's traffic from).
import { connect } from 'node:net';

export interface RawRequest {
  method?: string;
  path: string;
  /** Sent as given, in this order; `host` defaults to the address connected to. */
  headers?: Record<string, string>;
  body?: string;
  /** Source address of the connection (default: the kernel's choice, 127.0.0.1). */
  localAddress?: string;
}

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** body parsed as JSON, or undefined. */
  json: unknown;
}

export function rawRequest(port: number, req: RawRequest): Promise<RawReply> {
  const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...req.headers };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  headers.connection = 'close';
  const head = `${req.method ?? 'GET'} ${req.path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ...(req.localAddress ? { localAddress: req.localAddress } : {}),
    });
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('end', () => {
      try {
        resolve(parseResponse(Buffer.concat(chunks).toString('utf8')));
      } catch (err) {
        reject(err);
      }
    });
    socket.write(head + (req.body ?? ''));
  });
}

function parseResponse(text: string): RawReply {
  const split = text.indexOf('\r\n\r\n');
  if (split < 0) throw new Error(`no HTTP response: ${JSON.stringify(text.slice(0, 200))}`);
  const [statusLine, ...lines] = text.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]);
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = text.slice(split + 4);
  if (headers['transfer-encoding'] === 'chunked') body = unchunk(body);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  return { status, headers, body, json };
}

function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    const size = Number.parseInt(rest.slice(0, eol), 16);
    if (!size) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}
