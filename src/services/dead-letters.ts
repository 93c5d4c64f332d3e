// Dead letters as every edge shows them: the list, one of them, and a replay through ingestion
// (ingest/replay.ts). The API and the web UI both go through here.
import type { Clock } from '../core/clock.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Ingestor, IngestResult } from '../ingest/ingest.ts';
import { replayDeadLetter } from '../ingest/replay.ts';
import type { DeadLetterRecord, IncidentStore } from '../store/incidents.ts';

export interface DeadLetterServiceDeps {
  incidents: IncidentStore;
  ingestor: Ingestor;
  clock: Pick<Clock, 'now'>;
}

export class DeadLetterService {
  constructor(private readonly deps: DeadLetterServiceDeps) {}

  /** Newest first. */
  list(limit = 100): Promise<DeadLetterRecord[]> {
    return this.deps.incidents.deadLetters(limit);
  }

  /** NotFoundError when there is none with this id. */
  async get(id: string): Promise<DeadLetterRecord> {
    const dl = await this.deps.incidents.deadLetter(id);
    if (!dl) throw new NotFoundError('dead letter', id);
    return dl;
  }

  /** Its stored body through ingestion again; the dead letter is kept and marked with the outcome. */
  replay(id: string): Promise<IngestResult> {
    return replayDeadLetter(this.deps, id, () => this.deps.clock.now());
  }
}
