// The programmatic API: open the database, load runbooks, and get an engine, from code. The CLI, the
// server and the tests all start here.
import { type Config, configOptionsOf } from './config/config.ts';
import type { Clock } from './core/clock.ts';
import { NonRetryableError } from './core/errors.ts';
import type { Logger } from './core/logger.ts';
import { MIN_SECRET_LENGTH, type Redactor, redactor } from './core/redact.ts';
import type { AnyRunbook } from './dsl/runbook.ts';
import { compileEngineOptions, Engine, type EngineConfig, type StartOptions } from './engine/engine.ts';
import type { Notifier } from './engine/notifier.ts';
import type { FetchLike } from './engine/step-context.ts';
import { sshClient } from './integrations/ssh/client.ts';
import { defaultSshSettings, type SshSettings, sshSecrets } from './integrations/ssh/settings.ts';
import type { SshTransport } from './integrations/ssh/transport.ts';
import { beginLoading, beginOpening, type Opening } from './opening.ts';
import { builtinRunbooks } from './runbooks/builtin.ts';
import type { LoadReport } from './runbooks/loader.ts';
import { RunbookRegistry } from './runbooks/registry.ts';
import { Runs } from './services/runs.ts';
import { databaseUnavailable, type PoolMode } from './store/open.ts';
import type { EventRecord, RunRecord, StepAttemptRecord, StepRecord } from './store/records.ts';
import type { Store } from './store/store.ts';

export interface FirebreakOptions {
  /** postgres:// URL; unset opens PGlite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** PGlite data directory (default ./.firebreak); `memory://` for tests. */
  dataDir?: string | undefined;
  poolSize?: number | undefined;
  /** A direct connection for LISTEN and migrations when `databaseUrl` is a pooler; 'none' polls. */
  listenUrl?: string | undefined;
  /** 'transaction' behind a pooler in transaction mode (see ConnectOptions.poolMode); default 'session'. */
  poolMode?: PoolMode | undefined;
  /** How long an unreachable database is retried at start before giving up (default 60 s). */
  startupTimeoutMs?: number | undefined;
  /** Runbooks given as values (tests, embedding)… */
  runbooks?: readonly AnyRunbook[];
  /** …and/or loaded from a folder. */
  runbooksDir?: string | undefined;
  clock?: Clock;
  logger?: Logger;
  /** A function gets the store and the runbooks first (Slack's notifier writes to its outbox table). */
  notifier?: Notifier | ((deps: { store: Store; registry: RunbookRegistry }) => Notifier);
  engine?: Partial<EngineConfig>;
  /** Claim and execute runs in this process (default true). */
  work?: boolean;
  migrate?: boolean;
  /** Configured secret values: redacted from everything written to the database. */
  secrets?: readonly string[];
  /** One redactor shared with the server's logger, ingest and Slack (default: built from `secrets`). */
  redactor?: Redactor;
  /** Where runbooks' credentials come from (`secrets` on a runbook, `ctx.secret`); default none. */
  env?: Readonly<Record<string, string>>;
  /** Behind every step's `ctx.http` (default global fetch); `firebreak/testing` passes a stub. */
  fetch?: FetchLike;
  /** How steps' `ctx.ssh` reaches hosts (SSH_* settings; default: no host key pinned, so none is reached). */
  ssh?: SshSettings;
  /** Under `ctx.ssh` (default ssh2); `firebreak/testing` passes its stub. */
  sshTransport?: SshTransport;
  /** The database and runbooks, already being opened (`serve` begins that first); default: begun here. */
  opening?: Opening;
}

export interface RunView {
  run: RunRecord;
  steps: StepRecord[];
  attempts: StepAttemptRecord[];
  events: EventRecord[];
}

export interface Firebreak {
  engine: Engine;
  store: Store;
  registry: RunbookRegistry;
  loadReport: LoadReport;
  start(runbookId: string, input: unknown, opts?: StartOptions): Promise<{ runId: string; created: boolean }>;
  /** Starts a run and waits for its final state. */
  run(runbookId: string, input: unknown, opts?: StartOptions & { timeoutMs?: number }): Promise<RunRecord>;
  result(runId: string, opts?: { timeoutMs?: number }): Promise<RunRecord>;
  view(runId: string): Promise<RunView | null>;
  cancel(runId: string, opts?: { keepMitigations?: boolean }): Promise<RunRecord>;
  /** Stops the engine (running steps get up to `graceMs`, default 5 s, then their leases are released). */
  close(opts?: { graceMs?: number }): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `serve` and every CLI command open firebreak with: the configured options and firebreak's own runbooks. */
export function firebreakOptionsOf(config: Config) {
  return {
    ...configOptionsOf(config),
    // firebreak's own runbooks (the "Silence this alert" button's): in every process that executes runs.
    runbooks: builtinRunbooks(config),
  } satisfies FirebreakOptions;
}

export async function createFirebreak(opts: FirebreakOptions = {}): Promise<Firebreak> {
  compileEngineOptions(opts.engine); // impossible engine options are refused before the database opens
  const opening = opts.opening ?? beginOpening(opts);
  const loading = opening.loading ?? beginLoading(opts.runbooksDir);
  const database = await opening.database;
  const redact = opts.redactor ?? redactor(opts.secrets ?? []);
  // However the SSH settings came (configuration, the testing kit), their key is never written anywhere.
  if (opts.ssh) redact.add(sshSecrets(opts.ssh));
  const store = database.openStore({ redactor: redact });
  let loadReport: LoadReport;
  try {
    loadReport = await loading;
  } catch (err) {
    await database.close();
    throw err;
  }
  const registry = new RunbookRegistry([...loadReport.loaded, ...(opts.runbooks ?? [])]);
  const env = opts.env ?? {};
  declareSecrets(registry, env, redact, opts.logger);
  const notifier = typeof opts.notifier === 'function' ? opts.notifier({ store, registry }) : opts.notifier;
  const engine = new Engine({
    store,
    registry,
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(notifier ? { notifier } : {}),
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
    secret: (name) => {
      const value = env[name];
      if (value === undefined) throw new NonRetryableError(`secret ${name} is not set in the environment`);
      redact.add([value]);
      return value;
    },
    // The engine's own redactor: a command's output is redacted before it is capped, so a cut never
    // leaves part of a credential behind.
    ssh: sshClient(opts.ssh ?? defaultSshSettings(), {
      redact: redact.text,
      ...(opts.sshTransport ? { transport: opts.sshTransport } : {}),
    }).run,
    ...(opts.engine ? { config: opts.engine } : {}),
  });
  if (opts.work !== false) {
    try {
      await engine.work();
    } catch (err) {
      // LISTEN could not be set up in time: nothing may stay open, or the process would idle for good.
      await store.close();
      throw databaseUnavailable(
        err,
        opts.startupTimeoutMs ?? 60_000,
        'the LISTEN connection (FIREBREAK_LISTEN_URL)',
      );
    }
  }
  let closed = false;
  const close = async (o: { graceMs?: number } = {}) => {
    if (closed) return;
    closed = true;
    await engine.stop(o);
    await store.close();
  };
  const runs = new Runs({ engine, store });
  return {
    engine,
    store,
    registry,
    loadReport,
    start: (id, input, o) => engine.start(id, input, o),
    async run(id, input, o = {}) {
      const { runId } = await engine.start(id, input, o);
      return engine.result(runId, o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs });
    },
    result: (runId, o) => engine.result(runId, o),
    view: (runId) => runs.view(runId),
    cancel: (runId, o) => engine.cancel(runId, o),
    close,
    [Symbol.asyncDispose]: () => close(),
  };
}

/** The credentials runbooks declare (`secrets: [...]`) are redacted from the moment they load. */
function declareSecrets(
  registry: RunbookRegistry,
  env: Readonly<Record<string, string>>,
  redact: Redactor,
  logger: Logger | undefined,
): void {
  for (const rb of registry.list()) {
    for (const name of rb.runbook.options.secrets ?? []) {
      const value = env[name];
      if (value === undefined) logger?.warn('runbook secret not set', { runbook: rb.id, secret: name });
      else if (value.length < MIN_SECRET_LENGTH)
        logger?.warn('runbook secret too short to redact safely', { runbook: rb.id, secret: name });
      redact.add([value]);
    }
  }
}
