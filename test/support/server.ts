// A real firebreak server for one test, on the test's database, bound to an ephemeral loopback port:
// requests go through fetch and the HTTP stack, not app.request().
import { fileURLToPath } from 'node:url';
import { parseConfig, secretsOf } from '../../src/config/config.ts';
import { jsonLogger, type Logger } from '../../src/core/logger.ts';
import { redactor } from '../../src/core/redact.ts';
import { isTerminalRun } from '../../src/core/status.ts';
import type { RunView } from '../../src/firebreak.ts';
import { type Server, type ServerOptions, startServer } from '../../src/server.ts';
import type { AlertRecord, DeadLetterRecord, IncidentRecord } from '../../src/store/incidents.ts';
import type { EventRecord, EvidenceRecord, RunRecord } from '../../src/store/records.ts';
import { type TestDatabase, testDatabase } from './db.ts';
import { until } from './until.ts';

/** The runbooks of test/fixtures/runbooks, triggered by the fixtures' labels. */
export const TEST_RUNBOOKS = fileURLToPath(new URL('../fixtures/runbooks', import.meta.url));

/** A record as it arrives over HTTP: dates are ISO strings. */
export type Wire<T> = T extends Date
  ? string
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

export interface ErrorBody {
  error: { code: string; message: string; issues?: { path: PropertyKey[]; message: string; code: string }[] };
}

export type IncidentView = Wire<{
  incident: IncidentRecord;
  alerts: AlertRecord[];
  runs: RunRecord[];
  timeline: EventRecord[];
  evidence: EvidenceRecord[];
}>;

export type RunViewWire = Wire<RunView>;
export type DeadLetterWire = Wire<DeadLetterRecord>;

export interface Reply<T> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body (undefined when the body is not JSON). */
  body: T;
}

export interface TestServerOptions {
  /** Environment overrides, as `firebreak serve` would read them. */
  env?: Record<string, string | undefined>;
  /** Default: test/fixtures/runbooks. */
  runbooksDir?: string;
  /** Default: a fresh test database, dropped on close. */
  db?: TestDatabase;
  /** Default: a JSON logger at LOG_LEVEL (warn) that redacts like the server's and writes to `logs`. */
  logger?: Logger;
  /** The server builds its own logger (the one `firebreak serve` uses), writing to `logs`. */
  serverLogger?: boolean;
  /** Sent with every request (an API token, say); a request's own `undefined` value leaves one out. */
  headers?: Record<string, string>;
  /** More startServer options: a ManualClock, runbooks as values, game-day scheduler settings. */
  server?: Pick<ServerOptions, 'clock' | 'runbooks' | 'gamedays' | 'httpLimits'>;
}

export type RequestHeaders = Record<string, string | undefined>;

export interface TestServer {
  url: string;
  server: Server;
  fb: Server['fb'];
  db: TestDatabase;
  /** Lines startServer printed at start. */
  printed: string[];
  /** Log lines of the default logger. */
  logs: string[];
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: RequestHeaders,
  ): Promise<Reply<T>>;
  /** A string or bytes body is sent as is; anything else as JSON. */
  post<T = unknown>(path: string, body?: unknown, headers?: RequestHeaders): Promise<Reply<T>>;
  get<T = unknown>(path: string, headers?: RequestHeaders): Promise<Reply<T>>;
  incident(id: string): Promise<IncidentView>;
  /** Polls GET /api/runs/:id until the run is final, or fails at the deadline. */
  finalRun(id: string, timeoutMs?: number): Promise<RunViewWire>;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function testServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const db = opts.db ?? (await testDatabase());
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    RUNBOOKS_DIR: opts.runbooksDir ?? TEST_RUNBOOKS,
    DATABASE_URL: db.databaseUrl,
    FIREBREAK_LISTEN_URL: db.listenUrl,
    FIREBREAK_DB_POOL_MODE: db.poolMode,
    FIREBREAK_DATA_DIR: db.dataDir,
    FIREBREAK_DB_POOL: '4',
    FIREBREAK_POLL_MS: '100',
    FIREBREAK_LEASE_MS: '2000',
    ...opts.env,
  });
  const printed: string[] = [];
  const logs: string[] = [];
  const logger = opts.serverLogger
    ? undefined
    : (opts.logger ??
      jsonLogger(config.LOG_LEVEL, {}, (line) => logs.push(line), redactor(secretsOf(config)).text));
  let server: Server;
  try {
    server = await startServer(config, {
      ...opts.server,
      print: (line) => printed.push(line),
      ...(logger ? { logger } : { logWrite: (line: string) => logs.push(line) }),
    });
  } catch (err) {
    if (!opts.db) await db.drop();
    throw err;
  }

  const request = async <T>(
    method: string,
    path: string,
    body?: unknown,
    headers: RequestHeaders = {},
  ): Promise<Reply<T>> => {
    const payload =
      body === undefined || typeof body === 'string' || body instanceof Uint8Array
        ? body
        : JSON.stringify(body);
    const all: RequestHeaders = {
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
      ...headers,
    };
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: Object.fromEntries(
        Object.entries(all).filter((e): e is [string, string] => e[1] !== undefined),
      ),
      ...(payload === undefined ? {} : { body: payload as string | Uint8Array }),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, headers: res.headers, text, body: parsed as T };
  };

  const get = <T>(path: string, headers?: RequestHeaders) => request<T>('GET', path, undefined, headers);

  const close = async () => {
    await server.close();
    if (!opts.db) await db.drop();
  };

  return {
    url: server.url,
    server,
    fb: server.fb,
    db,
    printed,
    logs,
    request,
    post: (path, body, headers) => request('POST', path, body, headers),
    get,
    async incident(id) {
      const r = await get<IncidentView>(`/api/incidents/${id}`);
      if (r.status !== 200) throw new Error(`GET /api/incidents/${id}: ${r.status} ${r.text}`);
      return r.body;
    },
    finalRun: (id, timeoutMs = 20_000) =>
      until(async () => {
        const r = await get<RunViewWire>(`/api/runs/${id}`);
        if (r.status !== 200) throw new Error(`GET /api/runs/${id}: ${r.status} ${r.text}`);
        return isTerminalRun(r.body.run.status) ? r.body : null;
      }, timeoutMs),
    close,
    [Symbol.asyncDispose]: close,
  };
}
