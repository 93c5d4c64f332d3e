// Live updates over SSE, fed from the journal: the stream polls `events` after the last sequence number it
// sent, so it shows runs that any worker process executes. This process's engine events and the web's
// own actions only make it look sooner. Each batch of journal rows is followed by the current state of
// the runs it touched (read from their step rows): the graph is always redrawn from the store, never
// inferred from event types. The timeline rows are best effort (a row committed out of sequence order by
// a racing writer can be skipped until the page is reloaded); the state snapshots are not.
import type { EventEmitter } from 'node:events';
import type { Context } from 'hono';
import { type SSEStreamingApi, streamSSE } from 'hono/streaming';
import { eventName } from '../core/journal-text.ts';
import type { Logger } from '../core/logger.ts';
import { isTerminalRun, type RunStatus } from '../core/status.ts';
import type { EngineEventMap, EngineEvents } from '../engine/events.ts';
import type { EventRecord } from '../store/records.ts';
import type { Store } from '../store/store.ts';
import { eventDetail, type Tone, tone } from './format.ts';

export const POLL_MS = 500;
const KEEPALIVE_MS = 15_000;
/** Quiet this long with a run still going: send a fresh snapshot anyway. */
const RESYNC_MS = 5_000;
/** A stream ends after this; EventSource reconnects with Last-Event-ID and loses nothing. */
const MAX_STREAM_MS = 10 * 60_000;

/** The engine events that are about one run (the circuit breakers' are about a host). */
type RunEventName = {
  [K in keyof EngineEventMap]: EngineEventMap[K] extends { runId: string } ? K : never;
}[keyof EngineEventMap];

const WAKING: RunEventName[] = [
  'step.started',
  'step.finished',
  'step.retrying',
  'run.finished',
  'run.parked',
  'approval.requested',
  'mitigation.applied',
  'mitigation.reverted',
];

export interface LiveDeps {
  store: Store;
  events: EngineEvents;
  /** The web's own actions (a decision, a cancel) poke the streams so they look at once. */
  pokes: EventEmitter;
  /** Aborted when the server closes: open streams end so the HTTP server can stop. */
  shutdown?: AbortSignal | undefined;
  logger: Logger;
  /** What a journal row carries (default journalRow: what the page shows; the API adds the data). */
  row?: (e: EventRecord) => unknown;
}

export type LiveFilter = { runId: string } | { incidentId: string };

export interface RunState {
  runId: string;
  status: string;
  /** The colour class of the status (format.ts), so the page script needs no table of its own. */
  tone: Tone;
  steps: { name: string; status: string; tone: Tone; attempt: number }[];
}

export interface JournalRow {
  seq: number;
  at: string;
  type: string;
  /** The name shown (journal-text.ts): a verify's start reads `verify.started`. */
  event: string;
  runId: string | null;
  stepKey: string | null;
  detail: string;
}

export function journalRow(e: EventRecord): JournalRow {
  return {
    seq: e.seq,
    at: e.at.toISOString(),
    type: e.type,
    event: eventName(e),
    runId: e.runId,
    stepKey: e.stepKey,
    detail: eventDetail(e),
  };
}

/** The sequence number to continue after: Last-Event-ID on a reconnect, else what the page was rendered at. */
export function resumeAfter(c: Context): number {
  const raw = c.req.header('last-event-id') ?? c.req.query('after') ?? '0';
  const n = Number(raw);
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function liveStream(
  c: Context,
  deps: LiveDeps,
  filter: LiveFilter,
  runIds: () => Promise<string[]>,
): Response {
  const after = resumeAfter(c);
  return streamSSE(
    c,
    async (stream) => {
      const waker = new Waker();
      stream.onAbort(() => waker.stop());
      // Only this process's events about the runs on screen cut the wait short; the poll sees the rest.
      const watched = new Set<string>();
      const offs = WAKING.map((name) =>
        deps.events.on(name, (e) => {
          if (watched.has(e.runId)) waker.wake();
        }),
      );
      const poke = () => waker.wake();
      deps.pokes.on('poke', poke);
      const onShutdown = () => waker.stop();
      deps.shutdown?.addEventListener('abort', onShutdown);
      try {
        const row = deps.row ?? journalRow;
        await follow(stream, { store: deps.store, row }, filter, after, runIds, waker, watched);
      } finally {
        for (const off of offs) off();
        deps.pokes.off('poke', poke);
        deps.shutdown?.removeEventListener('abort', onShutdown);
      }
    },
    async (err) => {
      // The page's EventSource reconnects and resumes after the last sequence number it got.
      deps.logger.warn('live stream failed', { path: c.req.path, error: err.message });
    },
  );
}

async function follow(
  stream: SSEStreamingApi,
  { store, row }: { store: Store; row: (e: EventRecord) => unknown },
  filter: LiveFilter,
  afterSeq: number,
  runIds: () => Promise<string[]>,
  waker: Waker,
  watched: Set<string>,
): Promise<void> {
  const deadline = Date.now() + MAX_STREAM_MS;
  let seq = afterSeq;
  let lastWrite = Date.now();
  let lastState = Date.now();
  let states: RunState[] = [];
  const send = async (fresh: RunState[]) => {
    states = fresh;
    for (const s of fresh) watched.add(s.runId);
    await stream.writeSSE({ event: 'state', data: JSON.stringify(fresh) });
  };
  await send(await snapshot(store, await runIds()));
  while (!waker.stopped && Date.now() < deadline) {
    const events = await store.listEvents({ ...filter, afterSeq: seq, limit: 500 });
    if (events.length > 0) {
      for (const e of events) {
        await stream.writeSSE({ event: 'journal', id: String(e.seq), data: JSON.stringify(row(e)) });
      }
      seq = events.at(-1)!.seq;
      const touched = [...new Set(events.map((e) => e.runId).filter((id): id is string => id !== null))];
      await send(merge(states, await snapshot(store, touched)));
      lastWrite = lastState = Date.now();
      continue;
    }
    const running = states.some((s) => !isTerminalRun(s.status as RunStatus));
    if ('runId' in filter && !running) {
      await stream.writeSSE({ event: 'end', data: 'the run is final' });
      return;
    }
    if (running && Date.now() - lastState > RESYNC_MS) {
      await send(await snapshot(store, await runIds()));
      lastWrite = lastState = Date.now();
    }
    if (Date.now() - lastWrite > KEEPALIVE_MS) {
      await stream.write(': keepalive\n\n');
      lastWrite = Date.now();
    }
    await waker.sleep(POLL_MS);
  }
}

async function snapshot(store: Store, runIds: string[]): Promise<RunState[]> {
  return Promise.all(
    runIds.map(async (runId) => {
      const [run, steps] = await Promise.all([store.getRun(runId), store.getSteps(runId)]);
      const status = run?.status ?? 'unknown';
      return {
        runId,
        status,
        tone: tone(status),
        steps: steps.map((s) => ({
          name: s.stepKey,
          status: s.status,
          tone: tone(s.status),
          attempt: s.attempt,
        })),
      };
    }),
  );
}

function merge(old: RunState[], fresh: RunState[]): RunState[] {
  const byId = new Map(old.map((s) => [s.runId, s]));
  for (const s of fresh) byId.set(s.runId, s);
  return [...byId.values()];
}

/** A sleep that a wake-up cuts short, and a stop flag for an aborted stream or a closing server. */
class Waker {
  stopped = false;
  private pending: (() => void) | null = null;
  private woken = false;

  wake(): void {
    this.woken = true;
    this.pending?.();
  }

  stop(): void {
    this.stopped = true;
    this.wake();
  }

  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pending = null;
        this.woken = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pending = done;
    });
  }
}
