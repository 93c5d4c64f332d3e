// Folds the transitions of one group commit into the JSON payload of firebreak_apply_transitions
// (sql/apply-transitions.ts). Writes to the same step or run within one batch are merged (later wins),
// since one statement may not touch a row twice.
import { isTerminalRun } from '../core/status.ts';
import type { CommittedTransition, Lease, RunWrite, StepWrite, Transition } from './store.ts';

type SqlType = 'uuid' | 'text' | 'int' | 'jsonb' | 'boolean' | 'timestamptz';

/**
 * The columns of each row list of the payload, with their SQL types: the one declaration of them. The
 * function reads each list with `jsonb_to_recordset(p->'<list>') AS t(<columns>)`, and those column lists
 * in src/db/functions/firebreak_apply_transitions.sql are rendered from this (`npm run db:functions`;
 * test/store/transition-payload-columns.test.ts fails while they differ). `cid` is the commit id.
 */
export const payloadColumns = {
  steps: {
    run_id: 'uuid',
    step_key: 'text',
    kind: 'text',
    status: 'text',
    attempt: 'int',
    output: 'jsonb',
    error: 'jsonb',
    state: 'jsonb',
    applied: 'boolean',
    idempotency_key: 'text',
    started_at: 'timestamptz',
    finished_at: 'timestamptz',
  },
  attempts: {
    run_id: 'uuid',
    step_key: 'text',
    attempt: 'int',
    phase: 'text',
    status: 'text',
    error: 'jsonb',
    started_at: 'timestamptz',
    finished_at: 'timestamptz',
    cid: 'uuid',
  },
  events: {
    run_id: 'uuid',
    incident_id: 'uuid',
    step_key: 'text',
    type: 'text',
    data: 'jsonb',
    at: 'timestamptz',
    ord: 'int',
    cid: 'uuid',
  },
  evidence: {
    id: 'uuid',
    run_id: 'uuid',
    incident_id: 'uuid',
    step_key: 'text',
    attempt: 'int',
    kind: 'text',
    title: 'text',
    content: 'jsonb',
    content_hash: 'text',
    created_at: 'timestamptz',
    cid: 'uuid',
  },
  approvals: {
    id: 'uuid',
    run_id: 'uuid',
    step_key: 'text',
    policy: 'jsonb',
    requested_by: 'text',
    requested_at: 'timestamptz',
    expires_at: 'timestamptz',
    cid: 'uuid',
  },
  runs: {
    id: 'uuid',
    status: 'text',
    output: 'jsonb',
    set_output: 'boolean',
    error: 'jsonb',
    set_error: 'boolean',
    wake_at: 'timestamptz',
    set_wake: 'boolean',
    expect_wake: 'timestamptz',
    release: 'boolean',
    runbook_version: 'text',
    finished_at: 'timestamptz',
  },
} as const satisfies Record<string, Record<string, SqlType>>;

export type PayloadList = keyof typeof payloadColumns;

type JsonOf<T extends SqlType> = T extends 'jsonb'
  ? unknown
  : T extends 'int'
    ? number | null
    : T extends 'boolean'
      ? boolean
      : string | null;

/** A row of one list: every declared column (timestamps as ISO strings), and no other. */
export type PayloadRow<L extends PayloadList> = {
  -readonly [C in keyof (typeof payloadColumns)[L]]: JsonOf<(typeof payloadColumns)[L][C] & SqlType>;
};

/** `name type, name type, …` of one list, as jsonb_to_recordset's AS t(…) takes it. */
export function payloadColumnList(list: PayloadList): string {
  return Object.entries(payloadColumns[list])
    .map(([name, type]) => `${name} ${type}`)
    .join(', ');
}

const AS_LIST = /(jsonb_to_recordset\(p->'(\w+)'\) AS t\()([^)]*)\)/g;

/**
 * The function's text with each list's AS t(…) made the declared one. A list whose columns are already
 * the declared ones keeps its text (and line breaks); one that changed is written anew, wrapped at 110.
 */
export function renderPayloadColumnLists(sql: string): string {
  return sql.replace(AS_LIST, (whole, open: string, list: string, columns: string, offset: number) => {
    if (!(list in payloadColumns)) return whole;
    const wanted = payloadColumnList(list as PayloadList);
    if (columns.replace(/\s+/g, ' ').trim() === wanted) return whole;
    const lineStart = sql.lastIndexOf('\n', offset) + 1;
    const indent = ' '.repeat(sql.slice(lineStart).search(/\S/) + 2);
    let line = sql.slice(lineStart, offset) + open;
    const lines: string[] = [];
    const parts = wanted.split(', ');
    parts.forEach((part, i) => {
      const piece = part + (i < parts.length - 1 ? ',' : ')');
      if (!line.endsWith('(') && line.length + 1 + piece.length > 110) {
        lines.push(line);
        line = indent + piece;
      } else line = line.endsWith('(') ? line + piece : `${line} ${piece}`;
    });
    lines.push(line);
    return lines.join('\n').slice(offset - lineStart);
  });
}

/** The column lists the function's text reads, by list (whitespace made single spaces). */
export function functionColumnLists(sql: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of sql.matchAll(AS_LIST)) out[m[2]!] = m[3]!.replace(/\s+/g, ' ').trim();
  return out;
}

export interface TransitionPayload {
  leases: { id: string; epoch: number }[];
  /** Each transition's commit id; its append-only rows carry it as `cid`. */
  commits: { id: string; run_id: string }[];
  steps: PayloadRow<'steps'>[];
  attempts: PayloadRow<'attempts'>[];
  events: PayloadRow<'events'>[];
  evidence: PayloadRow<'evidence'>[];
  approvals: PayloadRow<'approvals'>[];
  /** Only what a transition sets: an absent column reads as NULL. */
  runs: RunRow[];
  terminal: string[];
}

type RunRow = Partial<PayloadRow<'runs'>> & { id: string };

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
const json = (v: unknown) => (v === undefined ? null : v);

export function buildPayload(
  items: readonly { lease: Lease; transition: CommittedTransition }[],
): TransitionPayload {
  const leases = new Map<string, number>();
  const steps = new Map<string, PayloadRow<'steps'>>();
  const runs = new Map<string, RunRow>();
  const out: TransitionPayload = {
    leases: [],
    commits: [],
    steps: [],
    attempts: [],
    events: [],
    evidence: [],
    approvals: [],
    runs: [],
    terminal: [],
  };
  for (const { lease, transition: t } of items) {
    leases.set(t.runId, lease.epoch);
    const cid = t.commitId;
    out.commits.push({ id: cid, run_id: t.runId });
    for (const s of t.steps ?? []) mergeStep(steps, t.runId, s);
    for (const a of t.attempts ?? []) {
      out.attempts.push({
        run_id: t.runId,
        step_key: a.stepKey,
        attempt: a.attempt,
        phase: a.phase,
        status: a.status,
        error: json(a.error),
        started_at: iso(a.startedAt),
        finished_at: iso(a.finishedAt),
        cid,
      });
    }
    for (const e of t.events ?? []) {
      out.events.push({
        run_id: t.runId,
        incident_id: t.incidentId,
        step_key: e.stepKey ?? null,
        type: e.type,
        data: json(e.data),
        at: iso(e.at),
        ord: out.events.length,
        cid,
      });
    }
    for (const e of t.evidence ?? []) {
      out.evidence.push({
        id: e.id,
        run_id: t.runId,
        incident_id: t.incidentId,
        step_key: e.stepKey,
        attempt: e.attempt,
        kind: e.kind,
        title: e.title,
        content: json(e.content),
        content_hash: e.contentHash,
        created_at: iso(e.createdAt),
        cid,
      });
    }
    for (const a of t.approvals ?? []) {
      out.approvals.push({
        id: a.id,
        run_id: t.runId,
        step_key: a.stepKey,
        policy: a.policy,
        requested_by: a.requestedBy,
        requested_at: iso(a.requestedAt),
        expires_at: iso(a.expiresAt),
        cid,
      });
    }
    if (t.run) mergeRun(runs, t.runId, t.run);
    if (t.run?.status && isTerminalRun(t.run.status)) out.terminal.push(t.runId);
  }
  for (const [id, epoch] of leases) out.leases.push({ id, epoch });
  out.steps = [...steps.values()];
  out.runs = [...runs.values()];
  return out;
}

function mergeStep(into: Map<string, PayloadRow<'steps'>>, runId: string, s: StepWrite): void {
  const key = `${runId}\u0000${s.stepKey}`;
  const prev = into.get(key);
  into.set(key, {
    run_id: runId,
    step_key: s.stepKey,
    kind: s.kind,
    status: s.status,
    attempt: s.attempt,
    output: json(s.output),
    error: json(s.error),
    state: json(s.state),
    applied: Boolean(s.applied) || Boolean(prev?.applied),
    idempotency_key: s.idempotencyKey,
    started_at: iso(s.startedAt) ?? prev?.started_at ?? null,
    finished_at: iso(s.finishedAt),
  });
}

function mergeRun(into: Map<string, RunRow>, runId: string, w: RunWrite): void {
  const prev: RunRow = into.get(runId) ?? {
    id: runId,
    status: null,
    set_output: false,
    set_error: false,
    set_wake: false,
    release: false,
    runbook_version: null,
    finished_at: null,
  };
  const next: RunRow = { ...prev };
  if (w.status) next.status = w.status;
  if (w.output !== undefined) Object.assign(next, { output: json(w.output), set_output: true });
  if (w.error !== undefined) Object.assign(next, { error: json(w.error), set_error: true });
  if (w.wakeAt !== undefined) Object.assign(next, { wake_at: iso(w.wakeAt), set_wake: true });
  if (w.expectWakeAt !== undefined) next.expect_wake = iso(w.expectWakeAt);
  if (w.releaseLease) next.release = true;
  if (w.runbookVersion) next.runbook_version = w.runbookVersion;
  if (w.finishedAt) next.finished_at = iso(w.finishedAt);
  into.set(runId, next);
}
