// Typed lifecycle events of one scheduler process. Tests and `gameday run` wait on these; the database
// (gameday_fires, the timeline) is the durable record.
import { TypedEvents } from '../core/typed-events.ts';
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

export class GameDayEvents extends TypedEvents<GameDayEventMap> {
  constructor() {
    super('game day event');
  }
}
