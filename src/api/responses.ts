// Response schemas of the HTTP API, for /openapi.json and for the handlers' types: a handler whose JSON
// does not fit its declared response does not compile. Dates travel as ISO 8601 strings. Records name
// their main fields and admit more (`looseObject`), so a new column is not a breaking change here.
import { z } from '@hono/zod-openapi';
import { roles } from '../config/config.ts';
import { runStatuses } from '../core/status.ts';

const date = z.iso.datetime({ offset: true });
const labels = z.record(z.string(), z.string());

export const runFailure = z
  .object({ step: z.string().nullable(), cause: z.string(), summary: z.string(), code: z.string() })
  .nullable()
  .openapi('RunFailure', {
    description: 'Why the run did not succeed: the failing step, the innermost cause',
  });

export const run = z
  .looseObject({
    id: z.string(),
    runbookId: z.string(),
    runbookVersion: z.string(),
    status: z.enum(runStatuses),
    input: z.unknown(),
    output: z.unknown(),
    dryRun: z.boolean(),
    idempotencyKey: z.string().nullable(),
    incidentId: z.string().nullable(),
    requestedBy: z.string().nullable(),
    createdAt: date,
    updatedAt: date,
    finishedAt: date.nullable(),
  })
  .openapi('Run');

export const runWithFailure = run.extend({ failure: runFailure }).openapi('RunWithFailure');

const step = z.looseObject({
  runId: z.string(),
  stepKey: z.string(),
  kind: z.string(),
  status: z.string(),
  attempt: z.number(),
  output: z.unknown(),
});
const attempt = z.looseObject({
  runId: z.string(),
  stepKey: z.string(),
  attempt: z.number(),
  status: z.string(),
});

export const event = z
  .looseObject({
    seq: z.number(),
    runId: z.string().nullable(),
    incidentId: z.string().nullable(),
    stepKey: z.string().nullable(),
    type: z.string(),
    data: z.unknown(),
    at: date,
  })
  .openapi('Event');

export const evidence = z
  .looseObject({
    id: z.string(),
    runId: z.string().nullable(),
    incidentId: z.string().nullable(),
    kind: z.enum(['text', 'markdown', 'json', 'table', 'link', 'image']),
    title: z.string(),
    content: z.unknown(),
    createdAt: date,
  })
  .openapi('Evidence');

export const incident = z
  .looseObject({
    id: z.string(),
    source: z.string(),
    groupKey: z.string(),
    status: z.enum(['firing', 'resolved']),
    title: z.string(),
    severity: z.string().nullable(),
    labels,
    drill: z.boolean(),
    openedAt: date,
    resolvedAt: date.nullable(),
  })
  .openapi('Incident');

const alert = z.looseObject({
  fingerprint: z.string(),
  status: z.string(),
  labels,
  annotations: labels,
});

export const approval = z
  .looseObject({
    id: z.string(),
    runId: z.string(),
    stepKey: z.string(),
    status: z.enum(['pending', 'approved', 'rejected', 'expired']),
    decisions: z.array(
      z.object({
        by: z.string(),
        via: z.string(),
        decision: z.enum(['approve', 'reject']),
        reason: z.string().nullable(),
        at: z.string(),
      }),
    ),
    requestedAt: date,
    expiresAt: date.nullable(),
  })
  .openapi('Approval');

const deadLetter = z.looseObject({
  id: z.string(),
  source: z.string(),
  reason: z.string(),
  body: z.string(),
  receivedAt: date,
  replayedAt: date.nullable(),
});

/** What ingesting one delivery came to (POST /webhooks/{source} answers its accepted form). */
const incidentOutcome = z.object({
  incidentId: z.string(),
  outcome: z.string(),
  runIds: z.array(z.string()),
});
const ingestResult = z.discriminatedUnion('kind', [
  incidentOutcome.extend({ kind: z.literal('accepted'), groups: z.array(incidentOutcome).optional() }),
  z.object({ kind: z.literal('schema'), issues: z.array(z.unknown()) }),
  z.object({ kind: z.literal('dead_letter'), deadLetterId: z.string(), reason: z.string() }),
  z.object({ kind: z.literal('unroutable'), reason: z.string() }),
]);

const runbookStep = z.object({ name: z.string(), kind: z.string(), needs: z.array(z.string()).readonly() });
const runbookSummary = {
  id: z.string(),
  title: z.string(),
  version: z.string(),
  steps: z.array(runbookStep),
  triggers: z
    .array(labels)
    .openapi({ description: 'Each label matcher as `=value`, `=~regex` or `<op><value>`' }),
  gameDays: z.array(z.unknown()).readonly(),
};

export const runList = z.object({ runs: z.array(runWithFailure) });
export const runView = z
  .object({ run: runWithFailure, steps: z.array(step), attempts: z.array(attempt), events: z.array(event) })
  .openapi('RunView');
export const runStarted = z.object({ runId: z.string(), created: z.boolean() });
export const runCancelled = z.object({ run });
export const runRetried = z.object({ runId: z.string(), status: z.literal('queued') });

export const incidentList = z.object({ incidents: z.array(incident) });
export const incidentView = z.object({
  incident,
  alerts: z.array(alert),
  runs: z.array(runWithFailure),
  timeline: z.array(event),
  evidence: z.array(evidence),
});
export const silenceRequested = z.object({ runId: z.string(), created: z.boolean(), labels });

export const runbookList = z.object({
  runbooks: z.array(z.object(runbookSummary)),
  failed: z.array(z.unknown()).openapi({ description: 'Runbook files that did not load, with why' }),
});
export const runbookView = z.object({
  ...runbookSummary,
  description: z.string().nullable(),
  source: z.string().nullable(),
  graph: z.string().openapi({ description: 'The step graph as a Mermaid flowchart' }),
  recentRuns: z.array(run),
});

export const deadLetterList = z.object({ deadLetters: z.array(deadLetter) });
export const deadLetterReplayed = z.object({ deadLetterId: z.string(), result: ingestResult });

export const approvalList = z.object({ approvals: z.array(approval) });
export const approvalDecided = z.object({ approval });

export const caller = z.object({
  identity: z.string(),
  role: z.enum(roles),
  via: z.enum(['token', 'loopback']),
  note: z.string().optional(),
});
export const killSwitch = z.object({
  paused: z.boolean(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  reason: z.string().nullable(),
});

export const gameDayList = z.object({
  gamedays: z.array(z.looseObject({ id: z.string(), runbookId: z.string() })),
});
export const gameDayFired = z.object({ fireId: z.string(), incidentId: z.string(), runId: z.string() });
export const gameDayFire = z.object({ fire: z.looseObject({ id: z.string() }) });

export const postmortemJson = z.looseObject({ edited: z.unknown(), markdown: z.string() });
export const postmortemSaved = z.object({ incidentId: z.string(), edited: z.unknown() });
export const postmortemRegenerated = z.object({
  incidentId: z.string(),
  edited: z.unknown(),
  markdown: z.string(),
});

export const webhookAccepted = z.union([
  incidentOutcome.extend({ incidents: z.array(incidentOutcome).optional() }),
  z.object({ deadLetterId: z.string(), reason: z.string() }),
]);

export const health = z.object({ ok: z.literal(true) });
export const readiness = z.looseObject({ warnings: z.array(z.string()).optional() });
