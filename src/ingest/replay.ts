// Replaying a dead letter: its stored body goes through ingestion again (after a runbook or a parser was
// fixed); the dead letter is kept and marked with the outcome. The API and the web UI both replay here.
import type { AlertSource } from '../core/alert.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import type { IncidentStore } from '../store/incidents.ts';
import type { Ingestor, IngestResult } from './ingest.ts';

export async function replayDeadLetter(
  deps: { incidents: IncidentStore; ingestor: Ingestor },
  id: string,
  now: () => Date,
): Promise<IngestResult> {
  const dl = await deps.incidents.deadLetter(id);
  if (!dl) throw new NotFoundError('dead letter', id);
  let body: unknown;
  try {
    body = JSON.parse(dl.body);
  } catch {
    throw new ConflictError('the stored body is not JSON');
  }
  const result = await deps.ingestor.ingest(
    dl.source as AlertSource,
    dl.body,
    body,
    new Headers(dl.headers),
    {
      keepDeadLetter: false,
    },
  );
  await deps.incidents.markReplayed(dl.id, result, now());
  return result;
}
