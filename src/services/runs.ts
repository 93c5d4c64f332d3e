// Runs as every edge uses them (API, web, CLI through the API, Slack): start, cancel, retry, view and
// list. One module, so a cancel and a retry take the same road whichever surface asks: the engine for
// what a worker of this process must learn at once (a cancel reaches its executor, a retry pokes the
// claim loop), the store for the rest.
import type { RunStatus } from '../core/status.ts';
import type { Engine, StartOptions } from '../engine/engine.ts';
import type {
  EventRecord,
  EvidenceRecord,
  RunRecord,
  StepAttemptRecord,
  StepRecord,
} from '../store/records.ts';
import type { RunFilter, Store } from '../store/store.ts';

export interface RunView {
  run: RunRecord;
  steps: StepRecord[];
  attempts: StepAttemptRecord[];
  events: EventRecord[];
}

export type RetryOutcome =
  | { outcome: 'queued' }
  | { outcome: 'not_found' }
  /** Only failed or compensated runs can be retried; `status` is what the run is. */
  | { outcome: 'not_retryable'; status: RunStatus };

export interface RunsDeps {
  engine: Engine;
  store: Store;
}

export class Runs {
  constructor(private readonly deps: RunsDeps) {}

  /** Starts a run of a loaded runbook; an idempotency key that names a run returns it (`created: false`). */
  start(runbookId: string, input: unknown, opts: StartOptions = {}) {
    return this.deps.engine.start(runbookId, input, opts);
  }

  /** Asks the run to stop; its applied mitigations are reverted unless `keepMitigations`. */
  cancel(runId: string, opts: { keepMitigations?: boolean } = {}): Promise<RunRecord> {
    return this.deps.engine.cancel(runId, opts);
  }

  /** Queues a failed or compensated run again from its first failed step. */
  async retry(runId: string): Promise<RetryOutcome> {
    const { engine, store } = this.deps;
    const { previous, retried } = await store.retryRun(runId, engine.clock.now());
    if (previous === null) return { outcome: 'not_found' };
    if (!retried) return { outcome: 'not_retryable', status: previous };
    engine.poke();
    return { outcome: 'queued' };
  }

  get(runId: string): Promise<RunRecord | null> {
    return this.deps.store.getRun(runId);
  }

  /** The run with its checkpoints, attempts and journal; null when there is no such run. */
  async view(runId: string): Promise<RunView | null> {
    const { store } = this.deps;
    const run = await store.getRun(runId);
    if (!run) return null;
    const [steps, attempts, events] = await Promise.all([
      store.getSteps(runId),
      store.getAttempts(runId),
      store.listEvents({ runId }),
    ]);
    return { run, steps, attempts, events };
  }

  list(filter: RunFilter = {}): Promise<RunRecord[]> {
    return this.deps.store.listRuns(filter);
  }

  /** The run's journal, oldest first. */
  events(runId: string): Promise<EventRecord[]> {
    return this.deps.store.listEvents({ runId });
  }

  steps(runId: string): Promise<StepRecord[]> {
    return this.deps.store.getSteps(runId);
  }

  evidence(filter: { runId?: string; incidentId?: string }): Promise<EvidenceRecord[]> {
    return this.deps.store.listEvidence(filter);
  }

  /** Runs under way (running, then waiting), at most `limit` of each. */
  async active(limit = 100): Promise<{ running: RunRecord[]; waiting: RunRecord[] }> {
    const [running, waiting] = await Promise.all([
      this.list({ status: 'running', limit }),
      this.list({ status: 'waiting', limit }),
    ]);
    return { running, waiting };
  }
}

/** The runs service over a firebreak's engine and store (it holds no state: build it where needed). */
export function runsOf(fb: RunsDeps): Runs {
  return new Runs(fb);
}
