// The runbook `npm run bench:ingest` points the server at: every bench alert group starts it once, and
// its one step does nothing, so the figures measure ingest plus the runs it starts, not runbook work.
import { runbook, z } from 'firebreak';

export const benchIngestAck = runbook({
  id: 'bench-ingest-ack',
  title: 'Acknowledge a bench alert (no-op)',
  triggers: [{ alertname: 'BenchIngest' }],
  input: z.object({ service: z.string() }),
  fromAlert: (alert) => ({ service: alert.labels.service ?? 'unknown' }),
}).diagnostic('ack', async ({ input }) => ({ service: input.service }));
