// The runbook `npm run bench:ingest` points the server at: every bench alert group starts it once, and
// its one step does nothing but note when it started, so the figures measure ingest plus the runs it
// starts, not runbook work.
// `startedMonoMs` is CLOCK_MONOTONIC (process.hrtime, the same clock in every process on the machine) in
// milliseconds with microsecond digits: the bench sets it against the load tool's reading of the same
// clock when it sent the delivery that started the run (first_step_p50_ms / first_step_p99_ms).
import { runbook, z } from 'firebreak';

export const benchIngestAck = runbook({
  id: 'bench-ingest-ack',
  title: 'Acknowledge a bench alert (no-op)',
  triggers: [{ alertname: 'BenchIngest' }],
  input: z.object({ service: z.string() }),
  fromAlert: (alert) => ({ service: alert.labels.service ?? 'unknown' }),
}).diagnostic('ack', async ({ input }) => ({
  service: input.service,
  startedMonoMs: Number(process.hrtime.bigint() / 1000n) / 1000,
}));
