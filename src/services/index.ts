// The use cases every edge shares (API, web, CLI through the API, Slack), built once from the wiring the
// server hands over: an edge asks these, never the store or the engine directly.
import type { Engine } from '../engine/engine.ts';
import type { GameDayScheduler } from '../gamedays/scheduler.ts';
import type { Ingestor } from '../ingest/ingest.ts';
import type { IncidentStore } from '../store/incidents.ts';
import type { Store } from '../store/store.ts';
import type { Approvals } from './approvals/decide.ts';
import { DeadLetterService } from './dead-letters.ts';
import { GameDays } from './gamedays.ts';
import { IncidentService } from './incidents.ts';
import type { Postmortems } from './postmortem/postmortems.ts';
import { Runs } from './runs.ts';
import { Settings } from './settings.ts';

export interface Services {
  runs: Runs;
  incidents: IncidentService;
  deadLetters: DeadLetterService;
  approvals: Approvals;
  settings: Settings;
  /** Only where a game-day scheduler runs (serve, --local). */
  gameDays?: GameDays | undefined;
}

export interface ServicesWiring {
  fb: { engine: Engine; store: Store };
  incidents: IncidentStore;
  ingestor: Ingestor;
  approvals: Approvals;
  postmortems: Postmortems;
  gamedays?: GameDayScheduler | undefined;
}

export function createServices(w: ServicesWiring): Services {
  const { engine, store } = w.fb;
  return {
    runs: new Runs({ engine, store }),
    incidents: new IncidentService({ incidents: w.incidents, store, postmortems: w.postmortems }),
    deadLetters: new DeadLetterService({ incidents: w.incidents, ingestor: w.ingestor, clock: engine.clock }),
    approvals: w.approvals,
    settings: new Settings({ engine, store }),
    gameDays: w.gamedays ? new GameDays(w.gamedays) : undefined,
  };
}
