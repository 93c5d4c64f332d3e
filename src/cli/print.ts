// How the CLI prints what the API returns: one line per thing, columns an SRE can scan and grep, and a
// failed run's reason (the failing step and the innermost cause) wherever a run is shown.
import type { SerializedError } from '../core/errors.ts';
import { describeSerialized, runFailure } from '../core/failure.ts';
import { dataOf, eventName, tryOf } from '../core/journal-text.ts';
import type { Io } from './io.ts';

/** A run as the API sends it (dates are strings). */
export interface WireRun {
  id: string;
  runbookId: string;
  status: string;
  dryRun: boolean;
  incidentId: string | null;
  requestedBy: string | null;
  createdAt: string;
  finishedAt: string | null;
  output: unknown;
  error: SerializedError | null;
}

/** A journal row of /api/runs/:id/events. */
export interface WireEvent {
  seq: number;
  at: string;
  type: string;
  stepKey: string | null;
  detail: string;
  data: unknown;
}

export function printJson(io: Io, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** Columns padded to their widest cell (the last column is left as is). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return rows.map((r) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** "  why: step recentDeploy: connect ECONNREFUSED 127.0.0.1:8001 (fetch failed)", when it failed. */
export function whyLine(run: Pick<WireRun, 'error'>): string | null {
  const f = runFailure(run.error);
  return f ? `  why: ${f.summary}` : null;
}

export function runRow(r: WireRun): string[] {
  return [
    r.id,
    r.status,
    r.runbookId + (r.dryRun ? ' (dry run)' : ''),
    r.createdAt,
    runFailure(r.error)?.summary ?? '',
  ];
}

/** One line of `run --follow` per journal event worth a line; null for the others. */
export function eventLine(e: Pick<WireEvent, 'type' | 'stepKey' | 'data'>): string | null {
  const d = dataOf(e);
  const again = tryOf(e);
  const tried = again ? ` (try ${again})` : '';
  const error = d.error as SerializedError | undefined;
  const err = error ? describeSerialized(error) : '';
  const step = e.stepKey ?? '';
  switch (eventName(e)) {
    case 'run.created':
      return 'run created';
    case 'step.started':
      return `  … ${step}${tried}`;
    case 'apply.started':
      return `  … apply ${step}${tried}`;
    case 'verify.started':
      return `  … verify ${step}${tried}`;
    case 'revert.started':
      return `  … revert ${step}${tried}`;
    case 'dry_run.started':
      return `  … dry run of ${step}${tried}`;
    case 'step.succeeded':
      return `  ✓ ${step}${tried}`;
    case 'step.skipped':
      return `  - ${step} skipped`;
    case 'step.retrying':
      return `  ↻ ${step}${tried} failed: ${err}; retrying in ${d.delayMs} ms`;
    case 'step.failed':
      return `  ✗ ${step}${tried}: ${err}`;
    case 'approval.requested':
      return `  ⏸ ${step} waits for approval ${d.approvalId}${d.summary ? `: ${d.summary}` : ''} (firebreak approve ${d.approvalId})`;
    case 'approval.decision':
      return `  ${d.decision === 'reject' ? '✗' : '✓'} ${step} ${d.decision} by ${d.by} via ${d.via}`;
    case 'mitigation.held':
      return `  ⏸ ${step} held: ${d.reason}`;
    case 'mitigation.applied':
      return `  ⚑ ${step} applied`;
    case 'mitigation.verify_failed':
      return `  ✗ verify of ${step} failed: ${err} (continuing)`;
    case 'mitigation.reverted':
      return `  ↶ ${step} reverted`;
    case 'mitigation.revert_failed':
      return `  ‼ ${step} REVERT FAILED: ${err}`;
    case 'run.waiting':
      return `  … waiting${d.wakeAt ? ` until ${d.wakeAt}` : ''}`;
    case 'run.cancel_requested':
      return '  cancel requested';
    default:
      return null;
  }
}
