// Parking: a run with nothing to do but wait releases its lease and costs a row until `wake_at`.
// Short waits (retry backoff, short sleeps, verify delays) happen in memory under the lease instead.
import type { Clock } from '../core/clock.ts';
import type { RunStatus } from '../core/status.ts';
import type { EventWrite } from '../store/store.ts';
import type { EngineEvents } from './events.ts';
import { Interrupted, type RunTransition } from './run-commits.ts';

export interface ParkingDeps {
  runId: string;
  clock: Clock;
  events: EngineEvents;
  /** Waits up to this long happen in memory under the lease. */
  inlineWaitMaxMs: number;
  /** wake_at as the executor saw it when it took the run; parking only overwrites that value. */
  seenWakeAt: Date | null;
  commit: (t: RunTransition) => Promise<void>;
  event: (type: string, stepKey: string | null, data?: unknown) => EventWrite;
  /** The signal an in-memory wait stops on (the executor replaces it when compensation starts). */
  signal: () => AbortSignal;
}

export class Parking {
  constructor(private readonly deps: ParkingDeps) {}

  /** Releases the lease; the run costs a row until `wakeAt` (or an approval, cancel or slot wake-up). */
  async park(wakeAt: Date | null, events: EventWrite[], status: RunStatus = 'waiting'): Promise<void> {
    const { commit, event, seenWakeAt } = this.deps;
    await commit({
      run: { status, wakeAt, expectWakeAt: seenWakeAt, releaseLease: true },
      events: [...events, event('run.waiting', null, { wakeAt: wakeAt?.toISOString() ?? null })],
    });
    this.deps.events.emit('run.parked', { runId: this.deps.runId, wakeAt });
  }

  /** Waits in memory until `dueAt` if that is soon (then null), else returns the time to park until. */
  async waitOrPark(dueAt: Date): Promise<Date | null> {
    const { clock } = this.deps;
    const ms = dueAt.getTime() - clock.now().getTime();
    if (ms <= 0) return null;
    if (ms > this.deps.inlineWaitMaxMs) return dueAt;
    await clock.sleep(ms, this.deps.signal()).catch(() => {
      throw new Interrupted('aborted while waiting');
    });
    return null;
  }
}
