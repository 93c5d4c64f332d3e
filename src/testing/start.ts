// Starting a runbook under test: in-process, on in-memory PGlite, with a manual clock, stubbed HTTP and
// an incident of its own, the way an alert would start it.
import type { z } from 'zod';
import { ManualClock } from '../core/clock.ts';
import type { Logger } from '../core/logger.ts';
import type { AnyRunbook, Runbook } from '../dsl/runbook.ts';
import type { AlertLike, GameDay, Outputs } from '../dsl/types.ts';
import { createFirebreak } from '../firebreak.ts';
import { defaultSshSettings, type SshSettings } from '../integrations/ssh/settings.ts';
import type { ApprovalRules } from './approvals.ts';
import { type BudgetsUsed, recordBudgetUses } from './budgets.ts';
import { type HttpStub, type StubRoutes, stubHttp } from './http-stub.ts';
import { openIncident, type TestIncident } from './incident.ts';
import { recordingNotifier, type SentMessage } from './notifier.ts';
import { RunbookTest } from './runbook-test.ts';
import { type SshStub, type SshStubRoutes, stubSsh } from './ssh-stub.ts';

/** An alert as a test writes it: its labels (and annotations) go through the runbook's `fromAlert`. */
export interface TestAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface TestRunbookOptions<Input> {
  /** The run's input (checked by the runbook's schema, as the API would). */
  input?: Input;
  /** Or an alert: the input is what `fromAlert` makes of it, and the incident carries its labels. */
  alert?: TestAlert;
  /** Routes answering the run's `ctx.http`, or a stub made with `stubHttp`. */
  http?: StubRoutes | HttpStub;
  /**
   * Routes answering the run's `ctx.ssh`, or a stub made with `stubSsh` (default: a stub without routes,
   * so no test reaches a host by accident); `{ hosts: settings }` reaches real hosts with those settings.
   */
  ssh?: SshStubRoutes | SshStub | { hosts: SshSettings };
  /** How `finish()` decides gates (default: it stops and lets the test decide). */
  approvals?: ApprovalRules;
  /** Run in dry-run mode: mitigations run `dryRun` instead of apply; gates do not open. */
  dryRun?: boolean;
  /** A clock to share, or the time to start at (default 2026-01-01T00:00:00Z). */
  clock?: ManualClock | Date;
  /** The incident the run belongs to (default: one is opened, titled after the runbook); false: none. */
  incident?: TestIncident | false;
  /**
   * Rehearse this game day of the runbook: its input and mode, a drill incident, its `inject` called
   * once through the stub, and its gates approved as "gameday" when it sets `autoApprove`.
   */
  gameDay?: string;
  /** Who asked for the run (default "test:runner"; a requester may not approve its own gate). */
  requestedBy?: string;
  /** Engine logs (default: silent). */
  logger?: Logger;
  /** The environment `ctx.secret(name)` and the runbook's declared `secrets` read (default: empty). */
  env?: Readonly<Record<string, string>>;
  /**
   * Applies already counted against mitigation budgets when the run starts, by mitigation name (in the
   * run's scope): `{ rollback: 3 }` with `budget: { max: 3, … }` makes the run meet a full budget.
   */
  budgetUsed?: BudgetsUsed;
  /** Real time allowed for the run to come to rest after each action. Default 20 s. */
  timeoutMs?: number;
}

/**
 * Starts `rb` once and returns when the run first comes to rest (finished, at a gate, or on a timer).
 * Close it afterwards (`await using t = await testRunbook(...)`).
 */
export async function testRunbook<Schema extends z.ZodType, S extends Outputs>(
  rb: Runbook<Schema, S>,
  opts: TestRunbookOptions<z.input<Schema>> = {},
): Promise<RunbookTest<S>> {
  const clock = opts.clock instanceof ManualClock ? opts.clock : new ManualClock(opts.clock);
  const http = isStub(opts.http) ? opts.http : stubHttp(opts.http);
  const real = opts.ssh !== undefined && 'hosts' in opts.ssh ? (opts.ssh.hosts as SshSettings) : undefined;
  const ssh = isSshStub(opts.ssh) ? opts.ssh : stubSsh(real ? {} : (opts.ssh as SshStubRoutes | undefined));
  const gameDay = opts.gameDay === undefined ? undefined : findGameDay(rb, opts.gameDay);
  const messages: SentMessage[] = [];
  const input = opts.input ?? (opts.alert ? inputFromAlert(rb, opts.alert) : (gameDay?.input ?? {}));
  const fb = await createFirebreak({
    dataDir: 'memory://',
    runbooks: [rb],
    clock,
    fetch: http.fetch,
    // A stub answers for hosts unless real ones were asked for; the client above it is the real one.
    ...(real
      ? { ssh: real }
      : {
          ssh: { ...defaultSshSettings(), user: opts.env?.SSH_USER ?? 'runbook-test' },
          sshTransport: ssh.transport,
        }),
    notifier: recordingNotifier(messages),
    work: false,
    ...(opts.logger ? { logger: opts.logger } : {}),
    ...(opts.env ? { env: opts.env } : {}),
    // Every wait (retry backoff, verify delay) parks the run on a timer row, so the test moves the
    // clock through it; leases outlast any jump of the manual clock.
    engine: { inlineWaitMaxMs: 0, pollIntervalMs: 50, heartbeatMs: 200, leaseMs: 24 * 3_600_000 },
  });
  try {
    const incidentId =
      opts.incident === false
        ? null
        : await openIncident(fb, clock, {
            title: gameDay ? `Game day ${gameDay.id}: ${rb.options.title}` : rb.options.title,
            labels: opts.alert?.labels ?? {},
            drill: gameDay !== undefined,
            ...opts.incident,
          });
    if (opts.budgetUsed) {
      await recordBudgetUses(fb, rb as unknown as AnyRunbook, input, opts.budgetUsed, clock.now());
    }
    const requestedBy = opts.requestedBy ?? (gameDay ? `gameday:${rb.id}:${gameDay.id}` : 'test:runner');
    const { runId } = await fb.start(rb.id, input, {
      dryRun: opts.dryRun ?? gameDay?.mode === 'dry-run',
      incidentId,
      requestedBy,
    });
    const t = new RunbookTest<S>(fb, runId, clock, http, ssh, messages, {
      rules: opts.approvals ?? (gameDay?.autoApprove ? 'approve' : undefined),
      decider: gameDay?.autoApprove ? { by: 'gameday', role: 'admin' } : {},
      timeoutMs: opts.timeoutMs ?? 20_000,
    });
    if (gameDay?.inject) t.injected = await inject(rb.id, gameDay, incidentId, runId, clock, http);
    await fb.engine.work();
    await t.idle();
    return t;
  } catch (err) {
    await fb.close();
    throw err;
  }
}

/** The input the runbook's `fromAlert` makes of an alert, checked by its schema (throws the zod error). */
export function inputFromAlert<Schema extends z.ZodType>(
  rb: Runbook<Schema, Outputs>,
  alert: TestAlert,
): z.output<Schema> {
  const a: AlertLike = { labels: alert.labels, annotations: alert.annotations ?? {} };
  const raw = rb.options.fromAlert ? rb.options.fromAlert(a) : a.labels;
  return rb.options.input.parse(raw) as z.output<Schema>;
}

function isSshStub(s: TestRunbookOptions<unknown>['ssh']): s is SshStub {
  return typeof (s as SshStub | undefined)?.transport?.exec === 'function';
}

function isStub(h: StubRoutes | HttpStub | undefined): h is HttpStub {
  return typeof (h as HttpStub | undefined)?.fetch === 'function';
}

function findGameDay(rb: Runbook<z.ZodType, Outputs>, id: string): GameDay {
  const g = rb.options.gameDays?.find((x) => x.id === id);
  if (!g) throw new Error(`runbook ${rb.id} has no game day ${id}`);
  return g;
}

async function inject(
  runbookId: string,
  g: GameDay,
  incidentId: string | null,
  runId: string,
  clock: ManualClock,
  http: HttpStub,
): Promise<unknown> {
  const signal = AbortSignal.timeout(30_000);
  return g.inject!({
    runbookId,
    gameDayId: g.id,
    incidentId: incidentId ?? '',
    runId,
    dueAt: clock.now(),
    signal,
    http: (url, init) => http.fetch(url, { ...init, signal }),
    log: () => {},
  });
}
