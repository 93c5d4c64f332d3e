// The two calls the watcher makes to the Kubernetes API server: a list, and a watch whose answer is a
// chunked stream of JSON lines ({"type": ADDED|MODIFIED|DELETED|BOOKMARK|ERROR, "object": …}).
// https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes
// node:http(s) rather than fetch: the CA of an in-cluster API server goes straight to the request, and
// the stream is read line by line as it arrives.
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { FirebreakError } from '../../core/errors.ts';
import { bearerToken, type KubernetesEndpoint } from '../../integrations/kubernetes/endpoint.ts';
import type { KubeObject } from './conditions.ts';

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string; reason?: string };
}

/** An API answer other than 200 (or a watch ERROR event); 410 Gone means "list again". */
export class KubernetesApiError extends FirebreakError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super('kubernetes_api', message, { details: { status } });
  }
  get gone(): boolean {
    return this.status === 410;
  }
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
}

export class KubernetesApi {
  constructor(
    private readonly endpoint: KubernetesEndpoint,
    /** A watch that sends nothing (not even a bookmark) for this long is taken as dead. */
    private readonly idleMs = 5 * 60_000,
  ) {}

  /** Every page of a list (`limit` + `continue`), and the list's resourceVersion to watch from. */
  async list(path: string, signal: AbortSignal): Promise<ListResult> {
    const items: KubeObject[] = [];
    let next: string | undefined;
    for (;;) {
      const query = new URLSearchParams({ limit: '500', ...(next ? { continue: next } : {}) });
      const res = await this.open(`${path}?${query}`, signal);
      const body = JSON.parse(await readAll(res)) as {
        items?: KubeObject[];
        metadata?: { resourceVersion?: string; continue?: string };
      };
      items.push(...(body.items ?? []));
      next = body.metadata?.continue || undefined;
      if (!next) return { items, resourceVersion: body.metadata?.resourceVersion ?? '' };
    }
  }

  /**
   * Watches from `resourceVersion`, calling `onEvent` for each event in order (awaited: a slow consumer
   * slows the stream, nothing is dropped). Resolves when the server ends the stream (its timeout); an
   * ERROR event or a broken connection rejects.
   */
  async watch(
    path: string,
    resourceVersion: string,
    signal: AbortSignal,
    onEvent: (e: WatchEvent) => Promise<void>,
  ): Promise<void> {
    const query = new URLSearchParams({
      watch: '1',
      resourceVersion,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(Math.max(1, Math.floor(this.idleMs / 1000) - 30)),
    });
    const res = await this.open(`${path}?${query}`, signal);
    res.setEncoding('utf8');
    let buffer = '';
    for await (const chunk of res as AsyncIterable<string>) {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (line === '') continue;
        const event = JSON.parse(line) as WatchEvent;
        if (event.type === 'ERROR') {
          const status = event.object.code ?? 500;
          throw new KubernetesApiError(
            status,
            `watch ${path}: ${event.object.message ?? event.object.reason ?? 'error'}`,
          );
        }
        await onEvent(event);
      }
    }
    if (!res.complete) throw new KubernetesApiError(0, `watch ${path}: the connection was cut`);
  }

  private async open(pathAndQuery: string, signal: AbortSignal): Promise<IncomingMessage> {
    const url = new URL(`${this.endpoint.url}${pathAndQuery}`);
    // Read now: a rotated service-account token (or CA) is picked up at the next connection.
    const token = await bearerToken(this.endpoint);
    const ca = this.endpoint.caFile ? await readFile(this.endpoint.caFile) : undefined;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = send(url, { method: 'GET', headers, signal, ...(ca ? { ca } : {}) }, resolve);
      req.setTimeout(this.idleMs, () =>
        req.destroy(new KubernetesApiError(0, `${url.pathname}: no data for ${this.idleMs} ms`)),
      );
      req.once('error', reject);
      req.end();
    });
    if (res.statusCode !== 200) {
      const text = await readAll(res).catch(() => '');
      throw new KubernetesApiError(
        res.statusCode ?? 0,
        `GET ${url.pathname} answered ${res.statusCode}: ${statusMessage(text)}`,
      );
    }
    return res;
  }
}

async function readAll(res: IncomingMessage): Promise<string> {
  res.setEncoding('utf8');
  let text = '';
  for await (const chunk of res as AsyncIterable<string>) text += chunk;
  return text;
}

/** The API server answers a Status object; keep its message, never the request (it has no secret, but stay short). */
function statusMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    if (typeof m === 'string') return m.slice(0, 300);
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}
