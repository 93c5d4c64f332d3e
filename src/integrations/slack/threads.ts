// Where a run's messages go, and the one queue that puts them in the outbox in the order things happened.
//
// An incident gets a message in the incident channel (the drill channel for drills) and each of its runs
// reports in that message's thread. A run without an incident, or of a runbook with its own
// `slack.channel`, gets a message of its own to thread under. The first caller posts a thread's first
// message; keys make that idempotent across processes and restarts.
import type { Logger } from '../../core/logger.ts';
import type { RunInfo } from '../../dsl/types.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import type { IncidentRecord } from '../../store/incidents.ts';
import type { Store } from '../../store/store.ts';
import { clip, esc, incidentMessage, runRootMessage, runStartedLine } from './messages.ts';
import type { SlackBody, SlackOutbox } from './outbox.ts';
import { silencesOn } from './silence-action.ts';

export interface SlackChannels {
  incident: string;
  /** Drill incidents (game days); null: the incident channel. */
  drill: string | null;
}

export interface SlackThreadsDeps {
  outbox: SlackOutbox;
  store: Store;
  registry: RunbookRegistry;
  incidents: { get(id: string): Promise<IncidentRecord | null> };
  channels: SlackChannels;
  logger: Logger;
}

/** The outbox thread a run reports in: rows are ordered by `thread`, replies go under `root`. */
export interface Thread {
  thread: string;
  root: string;
  channel: string;
}

const CACHE_LIMIT = 10_000;

export class SlackThreads {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly runs = new Map<string, RunInfo>();
  private readonly threads = new Map<string, Thread>();
  private closed = false;

  constructor(readonly deps: SlackThreadsDeps) {}

  /** One at a time, in the order asked: a thread then reads in the order things happened. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.chain.then(fn);
    this.chain = p.catch(() => {});
    return p;
  }

  /** For event listeners: a failure is logged, never thrown back at the engine. */
  later(what: string, fn: () => Promise<unknown>): void {
    if (this.closed) return;
    this.serial(fn).catch((err) =>
      this.deps.logger.warn('slack message not queued', { what, error: (err as Error).message }),
    );
  }

  /** Waits until everything asked so far is queued; later events are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await this.chain;
  }

  /** A line in the run's thread. */
  async say(run: RunInfo, body: SlackBody): Promise<void> {
    const t = await this.threadOf(run);
    // Several runs may share an incident's thread: each line says whose it is.
    const own = t.thread === `run:${run.id}`;
    const text = clip(own ? body.text : `\`${esc(run.runbookId)}\` › ${body.text}`, 3000);
    await this.deps.outbox.enqueue({
      kind: 'post',
      thread: t.thread,
      replyTo: t.root,
      channel: t.channel,
      body: { ...body, text },
      ...ids(run),
    });
  }

  /** Renders a gate's request message again from the gate's state, after the rows before it. */
  async refresh(run: RunInfo, approvalId: string): Promise<void> {
    const t = await this.threadOf(run);
    await this.deps.outbox.enqueueRefresh({ approvalId, thread: t.thread, ...ids(run) });
  }

  async runInfo(runId: string): Promise<RunInfo | null> {
    const known = this.runs.get(runId);
    if (known) return known;
    const r = await this.deps.store.getRun(runId);
    if (!r) return null;
    if (this.runs.size > CACHE_LIMIT) this.runs.clear();
    const info: RunInfo = {
      id: r.id,
      runbookId: r.runbookId,
      dryRun: r.dryRun,
      incidentId: r.incidentId,
      requestedBy: r.requestedBy,
    };
    this.runs.set(runId, info);
    return info;
  }

  /** A finished run's thread is not needed in memory any more (it is found again if asked). */
  forget(runId: string): void {
    this.runs.delete(runId);
    this.threads.delete(runId);
  }

  kindOf(run: RunInfo, stepKey: string): string | undefined {
    return this.deps.registry.get(run.runbookId)?.defs.get(stepKey)?.kind;
  }

  titleOf(run: RunInfo): string {
    return this.deps.registry.get(run.runbookId)?.runbook.options.title ?? run.runbookId;
  }

  channelOf(incident: IncidentRecord | null): string {
    const { channels } = this.deps;
    return incident?.drill ? (channels.drill ?? channels.incident) : channels.incident;
  }

  /** The incident's message, posted once, whoever asks first (ingest or one of its runs). */
  async incidentRoot(incident: IncidentRecord): Promise<{ channel: string; root: string }> {
    const channel = this.channelOf(incident);
    const root = `incident:${incident.id}`;
    await this.deps.outbox.enqueue({
      kind: 'post',
      key: root,
      thread: root,
      channel,
      body: incidentMessage(incident, { silence: silencesOn(this.deps.registry) }),
      incidentId: incident.id,
    });
    return { channel, root };
  }

  async threadOf(run: RunInfo): Promise<Thread> {
    const known = this.threads.get(run.id);
    if (known) return known;
    const incident = run.incidentId ? await this.deps.incidents.get(run.incidentId) : null;
    const own = this.deps.registry.get(run.runbookId)?.runbook.options.slack?.channel;
    const key = `run:${run.id}`;
    let thread: Thread;
    if (incident && (!own || own === this.channelOf(incident))) {
      const { channel, root } = await this.incidentRoot(incident);
      const body = runStartedLine(run, this.titleOf(run));
      await this.deps.outbox.enqueue({
        kind: 'post',
        key,
        thread: root,
        replyTo: root,
        channel,
        body,
        ...ids(run),
      });
      thread = { thread: root, root, channel };
    } else {
      const channel = own ?? this.channelOf(incident);
      const body = runRootMessage(run, this.titleOf(run), incident);
      await this.deps.outbox.enqueue({ kind: 'post', key, thread: key, channel, body, ...ids(run) });
      thread = { thread: key, root: key, channel };
    }
    if (this.threads.size > CACHE_LIMIT) this.threads.clear();
    this.threads.set(run.id, thread);
    return thread;
  }
}

export function ids(run: RunInfo): { runId: string; incidentId: string | null } {
  return { runId: run.id, incidentId: run.incidentId };
}
