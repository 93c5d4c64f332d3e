// The CLI's side of the HTTP API. Every command that reads or changes a running firebreak goes through
// here: the token's identity acts, the server's policy decides, and nothing opens the database behind
// the server's back. What goes wrong is one line with an exit code: 3 when the server cannot be reached
// or refuses the token, 1 when it answers with an error (not found, a refused decision, a bad input).
import { describeError } from '../core/failure.ts';
import { CliError, EXIT } from './io.ts';
import { VERSION } from './version.ts';

export interface ClientOptions {
  /** FIREBREAK_URL. */
  baseUrl: string;
  /** FIREBREAK_TOKEN. */
  token?: string | undefined;
  /** Default global fetch; `--local` passes the in-process app. */
  fetch?: (request: Request) => Promise<Response>;
  /** Per request, not for streams. Default 30 s. */
  timeoutMs?: number;
}

/** An error answer of the API, in its one JSON shape. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { path?: unknown[]; message: string }[] = [],
  ) {
    super(message, EXIT.failed);
  }
}

interface WireError {
  code?: string;
  message?: string;
  issues?: { path?: unknown[]; message: string }[];
}

export interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

export class ApiClient {
  private readonly fetch: (request: Request) => Promise<Response>;

  constructor(private readonly opts: ClientOptions) {
    this.fetch = opts.fetch ?? ((r) => fetch(r));
  }

  get baseUrl(): string {
    return this.opts.baseUrl;
  }

  get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
    return this.json<T>('GET', withQuery(path, query));
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.json<T>('POST', path, body);
  }

  /** A body that is not JSON (the postmortem's Markdown). */
  async text(path: string): Promise<string> {
    const res = await this.send('GET', path, undefined, 'text/markdown, application/json');
    if (!res.ok) throw await this.failure(res, path);
    return res.text();
  }

  /** Server-sent events of `path` until the server ends the stream (or `signal` aborts). */
  async *events(path: string, signal?: AbortSignal): AsyncGenerator<SseMessage> {
    const res = await this.send('GET', path, undefined, 'text/event-stream', signal, false);
    if (!res.ok || !res.body) throw await this.failure(res, path);
    const decoder = new TextDecoder();
    let buffered = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
      for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
        const block = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const message = parseSse(block);
        if (message) yield message;
      }
    }
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body, 'application/json');
    if (!res.ok) throw await this.failure(res, path);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw this.notFirebreak(res);
    }
  }

  private async send(
    method: string,
    path: string,
    body: unknown,
    accept: string,
    signal?: AbortSignal,
    timeout = true,
  ): Promise<Response> {
    const headers: Record<string, string> = { accept, 'user-agent': `firebreak-cli/${VERSION}` };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const signals = [
      ...(signal ? [signal] : []),
      ...(timeout ? [AbortSignal.timeout(this.opts.timeoutMs ?? 30_000)] : []),
    ];
    const request = new Request(new URL(path, this.opts.baseUrl), {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}),
    });
    try {
      return await this.fetch(request);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new CliError(
        `cannot reach the firebreak server at ${this.opts.baseUrl}: ${describeError(err)}. ` +
          'Start it (firebreak serve, npm start), set FIREBREAK_URL to where it runs, ' +
          'or use --local to open the database here.',
        EXIT.unreachable,
      );
    }
  }

  private async failure(res: Response, path: string): Promise<CliError> {
    const text = await res.text().catch(() => '');
    let error: WireError | null = null;
    try {
      error = (JSON.parse(text) as { error?: WireError }).error ?? null;
    } catch {}
    if (!error?.code) return this.notFirebreak(res, path);
    if (res.status === 401) {
      const fix = this.opts.token
        ? 'FIREBREAK_TOKEN is not one of its API_TOKENS'
        : 'set FIREBREAK_TOKEN to one of its API_TOKENS';
      return new CliError(
        `the server at ${this.opts.baseUrl} refused the request (401): ${error.message}; ${fix}`,
        EXIT.unreachable,
      );
    }
    if (res.status === 403 && error.code === 'forbidden') {
      return new CliError(
        `the server at ${this.opts.baseUrl} refused the token (403): ${error.message}; use a token whose role allows it`,
        EXIT.unreachable,
      );
    }
    return new ApiError(res.status, error.code, error.message ?? `HTTP ${res.status}`, error.issues ?? []);
  }

  private notFirebreak(res: Response, path = ''): CliError {
    return new CliError(
      `${this.opts.baseUrl} did not answer ${path || 'the request'} as a firebreak server does ` +
        `(HTTP ${res.status}, ${res.headers.get('content-type') ?? 'no content type'}); check FIREBREAK_URL`,
      EXIT.unreachable,
    );
  }
}

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

function parseSse(block: string): SseMessage | null {
  let event = 'message';
  let id: string | null = null;
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'id') id = value;
    else if (field === 'data') data.push(value);
  }
  return data.length === 0 ? null : { event, id, data: data.join('\n') };
}
