// Which runbooks an alert batch starts, and with what input. Pure: the incident write happens later,
// in one transaction with the runs (see src/db/functions/firebreak_ingest.sql).
import type { Alert, AlertBatch } from '../core/alert.ts';
import { parseDuration } from '../core/duration.ts';
import { uuidv7 } from '../core/uuid.ts';
import { compileTrigger, type Matcher, matches } from '../dsl/triggers.ts';
import type { LoadedRunbook, RunbookRegistry } from '../runbooks/registry.ts';

export interface RunCandidate {
  id: string;
  runbook_id: string;
  runbook_version: string;
  plan: unknown;
  input: unknown;
  dry_run: boolean;
  idempotency_key: string;
  concurrency_key: string | null;
  /** The runbook's cooldown: on a reopen, held back if its last run ended within it (src/db/functions/firebreak_ingest.sql). */
  cooldown_ms?: number | null;
  cooldown?: string | null;
}

export interface InputProblem {
  runbookId: string;
  reason: string;
  issues: unknown;
}

interface Compiled {
  rb: LoadedRunbook;
  triggers: Matcher[][];
}

/** Trigger matchers compiled once per registry. */
export class Router {
  private readonly compiled: Compiled[];

  constructor(registry: RunbookRegistry) {
    this.compiled = registry
      .list()
      .filter((rb) => (rb.runbook.options.triggers ?? []).length > 0)
      .map((rb) => ({ rb, triggers: (rb.runbook.options.triggers ?? []).map(compileTrigger) }));
  }

  /** Runs to start if this batch opens (or reopens) an incident; the idempotency key is incident + runbook. */
  route(batch: AlertBatch, incidentId: string): { runs: RunCandidate[]; problems: InputProblem[] } {
    const runs: RunCandidate[] = [];
    const problems: InputProblem[] = [];
    const firing = batch.alerts.filter((a) => a.status === 'firing');
    for (const { rb, triggers } of this.compiled) {
      const { sources } = rb.runbook.options;
      if (sources && !sources.includes(batch.source)) continue;
      const alert = firing.find((a) =>
        triggers.some((t) => matches(t, { ...batch.commonLabels, ...a.labels })),
      );
      if (!alert) continue;
      const result = inputFor(rb, batch, alert);
      if (!result.ok) {
        problems.push({ runbookId: rb.id, reason: result.reason, issues: result.issues });
        continue;
      }
      const { concurrency, cooldown } = rb.runbook.options;
      runs.push({
        id: uuidv7(),
        runbook_id: rb.id,
        runbook_version: rb.version,
        plan: rb.plan,
        input: result.input,
        dry_run: false,
        idempotency_key: `${incidentId}:${rb.id}`,
        concurrency_key: concurrency ? `${rb.id}:${concurrency.key(result.input)}` : null,
        cooldown_ms: cooldown === undefined ? null : parseDuration(cooldown),
        cooldown: cooldown === undefined ? null : String(cooldown),
      });
    }
    return { runs, problems };
  }
}

function inputFor(
  rb: LoadedRunbook,
  batch: AlertBatch,
  alert: Alert,
): { ok: true; input: unknown } | { ok: false; reason: string; issues: unknown } {
  const o = rb.runbook.options;
  const labels = { ...batch.commonLabels, ...alert.labels };
  let raw: unknown;
  try {
    raw = o.fromAlert ? o.fromAlert({ labels, annotations: alert.annotations }) : labels;
  } catch (err) {
    return { ok: false, reason: `fromAlert of ${rb.id} threw: ${(err as Error).message}`, issues: [] };
  }
  const parsed = o.input.safeParse(raw);
  if (parsed.success) return { ok: true, input: parsed.data };
  return { ok: false, reason: `input for runbook ${rb.id} is invalid`, issues: parsed.error.issues };
}
