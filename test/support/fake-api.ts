// The HTTP part shared by the fakes of SaaS APIs (PagerDuty, Grafana): a server on 127.0.0.1 with an
// OS-chosen port that records every request with what it answered, can be told to fail the next calls
// (429 with Retry-After, 500, or a 502 after applying the call: an answer lost on the way back), and lets
// tests wait for a request instead of sleeping.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  raw: string;
  /** The body parsed as JSON; undefined when absent or not JSON. */
  json: unknown;
  status: number;
  response: unknown;
  at: Date;
}

export type FakeFailure =
  | { status: 429; retryAfterS?: number }
  | { status: 500 | 503 }
  /** The call is applied, then answered 502: the client cannot know it landed. */
  | { status: 502; afterApplying: true };

export interface Answer {
  status: number;
  body?: unknown;
}

export interface FakeApi {
  url: string;
  requests: FakeRequest[];
  failNext(n: number, failure: FakeFailure): void;
  /** Resolves with the first request (past or future) that was answered 2xx and matches. */
  waitFor(match: (r: FakeRequest) => boolean, timeoutMs?: number): Promise<FakeRequest>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function fakeApi(
  handle: (r: Omit<FakeRequest, 'status' | 'response' | 'at'>) => Answer,
): Promise<FakeApi> {
  const requests: FakeRequest[] = [];
  const failures: FakeFailure[] = [];
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    let json: unknown;
    try {
      json = raw ? JSON.parse(raw) : undefined;
    } catch {
      json = undefined;
    }
    const base = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      raw,
      json,
    };
    const failure = failures.shift();
    let answer: Answer;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (!failure) answer = handle(base);
    else if (failure.status === 502) {
      handle(base);
      answer = { status: 502, body: { error: { message: 'Bad Gateway' } } };
    } else if (failure.status === 429) {
      if (failure.retryAfterS !== undefined) headers['retry-after'] = String(failure.retryAfterS);
      answer = { status: 429, body: { error: { message: 'Rate Limit Exceeded', code: 2020 } } };
    } else answer = { status: failure.status, body: { error: { message: 'Internal Server Error' } } };
    const recorded: FakeRequest = {
      ...base,
      status: answer.status,
      response: answer.body ?? null,
      at: new Date(),
    };
    requests.push(recorded);
    res.writeHead(answer.status, headers);
    res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    emitter.emit('request', recorded);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  const ok = (r: FakeRequest) => r.status >= 200 && r.status < 300;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(n, failure) {
      for (let i = 0; i < n; i++) failures.push(failure);
    },
    waitFor(match, timeoutMs = 15_000) {
      const seen = requests.find((r) => ok(r) && match(r));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          emitter.off('request', on);
          reject(new Error(`no matching request within ${timeoutMs} ms`));
        }, timeoutMs);
        const on = (r: FakeRequest) => {
          if (!ok(r) || !match(r)) return;
          clearTimeout(timer);
          emitter.off('request', on);
          resolve(r);
        };
        emitter.on('request', on);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
