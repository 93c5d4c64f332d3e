// Typed lifecycle events of one scheduler process. Tests and `gameday run` wait on these; the database
// (gameday_fires, the timeline) is the durable record.
import { EventEmitter } from 'node:events';
import type { ApprovalRecord } from '../store/records.ts';
import type { Scorecard } from './scorecard.ts';

export interface GameDayEventMap {
  fired: {
    fireId: string;
    scheduleId: string;
    dueAt: Date;
    trigger: string;
    incidentId: string;
    runId: string;
  };
  skipped: { scheduleId: string; count: number; dueAt: Date[] };
  injected: { fireId: string; status: 'injected' | 'failed'; at: Date };
  detected: { fireId: string; timeToDetectMs: number };
  approved: { fireId: string; approval: ApprovalRecord };
  'rollback.requested': { fireId: string; runId: string };
  scored: { fireId: string; incidentId: string; scorecard: Scorecard };
}

export class GameDayEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof GameDayEventMap>(name: K, payload: GameDayEventMap[K]): void {
    this.emitter.emit(name, payload);
  }

  on<K extends keyof GameDayEventMap>(name: K, fn: (payload: GameDayEventMap[K]) => void): () => void {
    this.emitter.on(name, fn);
    return () => this.emitter.off(name, fn);
  }

  /** Resolves with the first event for which `match` holds. */
  waitFor<K extends keyof GameDayEventMap>(
    name: K,
    match: (payload: GameDayEventMap[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<GameDayEventMap[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for game day event ${name}`));
      }, timeoutMs);
      const off = this.on(name, (p) => {
        if (!match(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}
