// A local fake of the Slack Web API on 127.0.0.1: records the calls firebreak makes and answers like Slack
// does. It can be told to answer the next calls with a 429 (Retry-After) or a 500, so tests see retries.
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackCall {
  method: string;
  /** Arguments as Slack reads them: form fields, with JSON-valued fields (blocks, view) parsed. */
  args: Record<string, unknown>;
  token: string | null;
  /** What the fake answered: the HTTP status and, for 200s, the body (`ts` of a posted message). */
  status: number;
  response: Record<string, unknown> | null;
  at: Date;
}

type Failure = { status: 429; retryAfterS: number } | { status: 500 } | { status: 200; error: string };

export interface FakeSlack {
  /** Base URL for SLACK_API_URL (ends in /api/). */
  url: string;
  /** Every call so far, in arrival order (failed ones included, with their status). */
  calls: SlackCall[];
  /** Calls of one method that were answered ok (a Slack error such as channel_not_found is not ok). */
  delivered(method: string): SlackCall[];
  /** Answer the next `n` calls (any method) with this failure instead. */
  failNext(n: number, failure: Failure): void;
  /** Forget the failures still queued: Slack is back. */
  heal(): void;
  /** Resolves with the first call (answered ok, past or future) for which `match` holds. */
  waitFor(method: string, match?: (call: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'metadata']);

export async function fakeSlack(): Promise<FakeSlack> {
  const calls: SlackCall[] = [];
  const failures: Failure[] = [];
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  let seq = 0;

  const answer = (method: string, args: Record<string, unknown>): Record<string, unknown> => {
    const ts = () => `1757485900.${String(++seq).padStart(6, '0')}`;
    switch (method) {
      case 'chat.postMessage':
        return { ok: true, channel: args.channel, ts: ts(), message: { text: args.text } };
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts, text: args.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'views.open':
        return { ok: true, view: { id: `V${++seq}` } };
      case 'auth.test':
        return { ok: true, user_id: 'U07BOTUSER', bot_id: 'B07BOT', team_id: 'T024BE7LD' };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
    const args = parseArgs(raw, req.headers['content-type'] ?? '');
    const auth = req.headers.authorization ?? null;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : ((args.token as string | undefined) ?? null);
    const failure = failures.shift();
    const status = failure?.status ?? 200;
    const body =
      failure?.status === 200 ? { ok: false, error: failure.error } : failure ? null : answer(method, args);
    const call: SlackCall = { method, args, token, status, response: body, at: new Date() };
    calls.push(call);
    if (failure?.status === 429) {
      res.writeHead(429, { 'retry-after': String(failure.retryAfterS), 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    if (failure?.status === 500) {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
    if (body?.ok) emitter.emit('ok', call);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });

  return {
    url: `http://127.0.0.1:${port}/api/`,
    calls,
    delivered: (method) => calls.filter((c) => c.method === method && c.response?.ok === true),
    failNext(n, failure) {
      for (let i = 0; i < n; i++) failures.push(failure);
    },
    heal() {
      failures.length = 0;
    },
    waitFor(method, match = () => true, timeoutMs = 15_000) {
      const test = (c: SlackCall) => c.method === method && c.response?.ok === true && match(c);
      const seen = calls.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          emitter.off('ok', on);
          const got = calls.map((c) => `${c.method}(${c.status}) ${String(c.args.text ?? '')}`).join('\n  ');
          reject(new Error(`no matching ${method} within ${timeoutMs} ms; calls:\n  ${got}`));
        }, timeoutMs);
        const on = (c: SlackCall) => {
          if (!test(c)) return;
          clearTimeout(timer);
          emitter.off('ok', on);
          resolve(c);
        };
        emitter.on('ok', on);
      });
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function parseArgs(raw: string, contentType: string): Record<string, unknown> {
  if (contentType.startsWith('application/json')) return JSON.parse(raw || '{}') as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    out[k] = JSON_FIELDS.has(k) ? JSON.parse(v) : v;
  }
  return out;
}
