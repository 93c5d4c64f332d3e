// The store on SQL: one implementation for PostgreSQL and PGlite (the driver hides the difference).
import { budgetHasRoom, windowStart } from '../core/budget.ts';
import { LeaseLostError } from '../core/errors.ts';
import { type Redactor, redactor } from '../core/redact.ts';
import type { RunStatus } from '../core/status.ts';
import { uuidv7 } from '../core/uuid.ts';
import type { Queryable, Row, SqlDriver } from '../db/driver.ts';
import { WAKE_CHANNEL } from '../db/wake-channel.ts';
import { GroupCommit, type Pending } from './group-commit.ts';
import type { ApprovalDecision, ApprovalRecord, StepRecord } from './records.ts';
import { str, toApproval, toRun, toStep } from './rows.ts';
import { applyTransitions, applyTransitionsStatement } from './sql/apply-transitions.ts';
import { cancelRun } from './sql/cancel-run.ts';
import { claimRuns, heartbeat, releaseRuns, stepsOfRuns } from './sql/claim-runs.ts';
import { acquireSlot, wakeSlotWaiters } from './sql/concurrency-slot.ts';
import { createRunsStatement, newRunRow, runsByIdempotencyKey } from './sql/create-runs.ts';
import {
  approvalAudit,
  decideApproval,
  expireApproval,
  extendApproval,
  lockApproval,
} from './sql/decide-approval.ts';
import * as history from './sql/history.ts';
import { budgetWindow, insertBudgetUse, lockBudgetKey, lockLeasedRun } from './sql/mitigation-budget.ts';
import * as reads from './sql/reads.ts';
import { retryRun } from './sql/retry-run.ts';
import { getSetting, setSetting } from './sql/settings.ts';
import type {
  BudgetUse,
  BudgetVerdict,
  ClaimedRun,
  CommittedTransition,
  CreateRunResult,
  DecideResult,
  DecisionClaim,
  FirstCommit,
  Lease,
  NewRun,
  RunFilter,
  Store,
  Transition,
} from './store.ts';
import { buildPayload } from './transition-payload.ts';

/** Re-exported for the callers that import it from here. */
export { WAKE_CHANNEL };

/** How long close() lets queued writes finish before it ends the pool under them. */
const CLOSE_DRAIN_MS = 2_000;

type Item =
  | { kind: 'create'; run: NewRun; result?: CreateRunResult }
  | { kind: 'commit'; lease: Lease; transition: CommittedTransition }
  | {
      kind: 'budget';
      lease: Lease;
      runId: string;
      use: BudgetUse;
      transition: BudgetTransition;
      verdict?: BudgetVerdict;
    };

type BudgetTransition = (verdict: BudgetVerdict) => Transition;

export class SqlStore implements Store {
  private readonly writes: GroupCommit<Item>;

  private readonly redact: Redactor;

  constructor(
    readonly driver: SqlDriver,
    opts: { lazyFlushMs?: number; redactor?: Redactor } = {},
  ) {
    this.redact = opts.redactor ?? redactor([]);
    this.writes = new GroupCommit<Item>((batch) => this.flush(batch), opts);
  }

  async createRuns(runs: NewRun[]): Promise<CreateRunResult[]> {
    const items = runs.map(
      (run) => ({ kind: 'create' as const, run }) satisfies Item as Item & { kind: 'create' },
    );
    await Promise.all(items.map((item) => this.writes.enqueue(item, true)));
    return items.map((i) => i.result!);
  }

  commit(lease: Lease, transition: Transition, opts: { wait?: boolean } = {}): Promise<void> {
    const named = { ...transition, commitId: transition.commitId ?? uuidv7() };
    return this.writes.enqueue({ kind: 'commit', lease, transition: named }, opts.wait ?? true);
  }

  /**
   * Queued like any commit, so the run's writes queued before it (progress markers) land first; it then
   * runs in a transaction of its own after the batch's statement (mitigation-budget.ts).
   */
  async commitBudgeted(
    lease: Lease,
    runId: string,
    use: BudgetUse,
    transition: BudgetTransition,
  ): Promise<BudgetVerdict> {
    const item: Item & { kind: 'budget' } = { kind: 'budget', lease, runId, use, transition };
    await this.writes.enqueue(item, true);
    return item.verdict!;
  }

  private async flush(batch: Pending<Item>[]): Promise<void> {
    const budgets = batch.filter((p) => p.item.kind === 'budget') as Pending<Item & { kind: 'budget' }>[];
    if (budgets.length < batch.length)
      await this.flushStatements(batch.filter((p) => p.item.kind !== 'budget'));
    for (const b of budgets) {
      try {
        b.item.verdict = await this.budgeted(b.item);
        b.resolve();
      } catch (err) {
        b.reject(err);
      }
    }
  }

  private budgeted(item: Item & { kind: 'budget' }): Promise<BudgetVerdict> {
    const { lease, runId } = item;
    // A scope is made from the run's input, which may carry a credential: rows get it redacted.
    const scope = item.use.scope === null ? null : this.redact.text(item.use.scope);
    const use = { ...item.use, key: this.redact.text(item.use.key), scope };
    return this.driver.transaction(async (tx) => {
      if (!(await lockLeasedRun(tx, { runId, owner: lease.owner, epoch: lease.epoch })))
        throw new LeaseLostError(runId);
      await lockBudgetKey(tx, { key: use.key });
      const w = await budgetWindow(tx, {
        key: use.key,
        windowStart: windowStart(use.now, use.perMs),
        runId,
        stepKey: use.stepKey,
      });
      const { used, oldestAt } = w;
      const already = w.counted;
      if (!already && !budgetHasRoom(used, use.max) && use.overrideApprovalId === null) {
        return { admitted: false, already, used, oldestAt };
      }
      if (!already) {
        await insertBudgetUse(tx, {
          runId,
          stepKey: use.stepKey,
          key: use.key,
          runbookId: use.runbookId,
          mitigation: use.mitigation,
          scope: use.scope,
          at: use.now,
          approvalId: use.overrideApprovalId,
        });
      }
      const verdict: BudgetVerdict = {
        admitted: true,
        already,
        used: already ? used : used + 1,
        oldestAt: oldestAt ?? use.now,
      };
      const t = item.transition(verdict);
      await this.applyIn(tx, lease, runId, [{ ...t, commitId: t.commitId ?? uuidv7() }]);
      return verdict;
    });
  }

  private async flushStatements(batch: Pending<Item>[]): Promise<void> {
    const creates = batch.filter((p) => p.item.kind === 'create') as Pending<Item & { kind: 'create' }>[];
    const commits = batch.filter((p) => p.item.kind === 'commit') as Pending<Item & { kind: 'commit' }>[];
    const byOwner = new Map<string, Pending<Item & { kind: 'commit' }>[]>();
    for (const c of commits) byOwner.set(c.item.lease.owner, [...(byOwner.get(c.item.lease.owner) ?? []), c]);

    const statements = [];
    if (creates.length > 0) {
      statements.push(
        createRunsStatement({ rows: this.redact.json(creates.map((c) => newRunRow(c.item.run))) }),
      );
    }
    const owners = [...byOwner.entries()];
    const now = new Date().toISOString();
    for (const [owner, items] of owners) {
      const payload = buildPayload(items.map((i) => i.item));
      statements.push(applyTransitionsStatement({ owner, payload: this.redact.json(payload), now }));
    }
    const results = await this.driver.batch(statements);

    if (creates.length > 0) await this.settleCreates(creates, results[0]!);
    owners.forEach(([, items], i) => {
      const rows = results[i + (creates.length > 0 ? 1 : 0)] ?? [];
      // A run whose lease held took every transition; a commit seen before had landed on an earlier try.
      const owned = new Set(rows.filter((r) => r.commit_id == null).map((r) => String(r.id)));
      const landed = new Set(rows.filter((r) => r.commit_id != null).map((r) => String(r.commit_id)));
      for (const p of items) {
        const t = p.item.transition;
        if (owned.has(t.runId) || landed.has(t.commitId)) p.resolve();
        else p.reject(new LeaseLostError(t.runId));
      }
    });
  }

  private async settleCreates(creates: Pending<Item & { kind: 'create' }>[], inserted: Row[]): Promise<void> {
    const ids = new Set(inserted.map((r) => String(r.id)));
    const missingKeys = creates
      .filter((c) => !ids.has(c.item.run.id) && c.item.run.idempotencyKey !== null)
      .map((c) => c.item.run.idempotencyKey!);
    const existing = new Map<string, string>();
    if (missingKeys.length > 0) {
      const rows = await runsByIdempotencyKey(this.driver, { keys: missingKeys });
      for (const r of rows) existing.set(String(r.idempotency_key), String(r.id));
    }
    for (const c of creates) {
      const { run } = c.item;
      if (ids.has(run.id)) {
        c.item.result = { id: run.id, created: true };
        c.resolve();
        continue;
      }
      const id = run.idempotencyKey === null ? undefined : existing.get(run.idempotencyKey);
      if (id) {
        c.item.result = { id, created: false };
        c.resolve();
      } else c.reject(new Error(`run ${run.id} was not created`));
    }
  }

  async claimRuns(
    owner: string,
    now: Date,
    leaseMs: number,
    limit: number,
    among?: readonly string[],
  ): Promise<ClaimedRun[]> {
    const leaseExpiresAt = new Date(now.getTime() + leaseMs);
    const rows = await claimRuns(this.driver, { owner, now, leaseExpiresAt, limit, among });
    if (rows.length === 0) return [];
    // A run claimed for the first time has no checkpoints: steps are written only under a lease whose
    // epoch is the run's claim count, so none exist before its first claim (claims = 1 now).
    const resumed = rows.filter((r) => Number(r.claims) > 1).map((r) => String(r.id));
    const stepRows = resumed.length === 0 ? [] : await stepsOfRuns(this.driver, { runIds: resumed });
    const byRun = new Map<string, StepRecord[]>();
    for (const step of stepRows.map(toStep)) {
      const list = byRun.get(step.runId);
      if (list) list.push(step);
      else byRun.set(step.runId, [step]);
    }
    return rows.map((r) => ({
      run: toRun(r),
      previousOwner: r.prev_owner == null ? null : String(r.prev_owner),
      steps: byRun.get(String(r.id)) ?? [],
    }));
  }

  async heartbeat(owner: string, runIds: readonly string[], now: Date, leaseMs: number) {
    if (runIds.length === 0) return [];
    const rows = await heartbeat(this.driver, {
      owner,
      runIds,
      leaseExpiresAt: new Date(now.getTime() + leaseMs),
    });
    return rows.map((r) => ({ id: String(r.id), cancelRequested: Boolean(r.cancel_requested) }));
  }

  async releaseRuns(owner: string, now: Date): Promise<string[]> {
    await this.writes.drain();
    const rows = await releaseRuns(this.driver, { owner, now });
    return rows.map((r) => String(r.id));
  }

  async requestCancel(runId: string, keepMitigations: boolean, now: Date): Promise<RunStatus | null> {
    if (!isUuid(runId)) return null;
    const rows = await cancelRun(this.driver, { runId, keepMitigations, now });
    return rows[0] ? rows[0].status : null;
  }

  async acquireSlot(key: string, limit: number, runId: string): Promise<boolean> {
    const rows = await acquireSlot(this.driver, { key, limit, runId });
    return rows.length > 0;
  }

  async wakeSlotWaiters(key: string, now: Date): Promise<void> {
    await wakeSlotWaiters(this.driver, { key, now });
  }

  async retryRun(runId: string, now: Date) {
    if (!isUuid(runId)) return { previous: null, retried: false };
    return retryRun(this.driver, { runId, now });
  }

  async getRun(id: string) {
    if (!isUuid(id)) return null;
    const row = await reads.getRun(this.driver, { id });
    return row ? toRun(row) : null;
  }

  async listRuns(filter: RunFilter = {}) {
    return history.listRuns(this.driver, {
      status: filter.status ?? null,
      runbookId: filter.runbookId ?? null,
      incidentId: filter.incidentId ?? null,
      limit: filter.limit ?? 100,
    });
  }

  async getSteps(runId: string) {
    return (await reads.getSteps(this.driver, { runId })).map(toStep);
  }

  async getAttempts(runId: string) {
    return history.getAttempts(this.driver, { runId });
  }

  async listEvents(filter: { runId?: string; incidentId?: string; afterSeq?: number; limit?: number }) {
    return history.listEvents(this.driver, {
      runId: filter.runId ?? null,
      incidentId: filter.incidentId ?? null,
      afterSeq: filter.afterSeq ?? 0,
      limit: filter.limit ?? 10_000,
    });
  }

  async listEvidence(filter: { runId?: string; incidentId?: string }) {
    return history.listEvidence(this.driver, {
      runId: filter.runId ?? null,
      incidentId: filter.incidentId ?? null,
    });
  }

  async evidenceTitles(runId: string, stepKey: string) {
    if (!isUuid(runId)) return [];
    return history.evidenceTitles(this.driver, { runId, stepKey });
  }

  async getApproval(id: string) {
    if (!isUuid(id)) return null;
    const row = await reads.getApproval(this.driver, { id });
    return row ? toApproval(row) : null;
  }

  async listApprovals(filter: { status?: ApprovalRecord['status']; runId?: string } = {}) {
    return history.listApprovals(this.driver, {
      status: filter.status ?? null,
      runId: filter.runId ?? null,
    });
  }

  async decideApproval(
    id: string,
    decision: ApprovalDecision,
    decide: (current: ApprovalRecord) => ApprovalRecord['status'] | { refuse: string },
    now: Date,
    claim?: DecisionClaim,
  ): Promise<DecideResult | { outcome: 'refused'; reason: string }> {
    if (!isUuid(id)) return { outcome: 'not_found' };
    // The decider's first commit for the run it takes, told if the transaction writing it fails.
    let first = null as FirstCommit | null;
    try {
      return await this.decideIn(id, decision, decide, now, claim, (f) => {
        first = f;
      });
    } catch (err) {
      first?.failed(err);
      throw err;
    }
  }

  /** decideApproval's transaction; `started` is given the decider's first commit once it has it. */
  private decideIn(
    id: string,
    decision: ApprovalDecision,
    decide: (current: ApprovalRecord) => ApprovalRecord['status'] | { refuse: string },
    now: Date,
    claim: DecisionClaim | undefined,
    started: (first: FirstCommit) => void,
  ): Promise<DecideResult | { outcome: 'refused'; reason: string }> {
    // The row lock makes racing decisions (and the timeout) see each other: exactly one settles the gate.
    return this.driver.transaction(async (tx) => {
      const row = await lockApproval(tx, { id });
      if (!row) return { outcome: 'not_found' as const };
      const current = toApproval(row);
      if (current.status !== 'pending') return { outcome: 'already_decided' as const, approval: current };
      const next = decide(current);
      if (typeof next === 'object') return { outcome: 'refused' as const, reason: next.refuse };
      const updated = await decideApproval(tx, {
        id,
        decision: this.redact.json(decision),
        status: next,
        decidedAt: next === 'pending' ? null : now,
        reason: decision.reason,
        now,
        claim: claim && { owner: claim.owner, leaseExpiresAt: new Date(now.getTime() + claim.leaseMs) },
      });
      const approval = toApproval(updated!);
      if (updated!.taken_run == null) return { outcome: 'recorded' as const, approval };
      // Taken for the decider (decide-approval.ts): its checkpoints, read under the same locks.
      const run = toRun(updated!.taken_run as Row);
      const steps = (updated!.taken_steps as Row[]).map(toStep);
      const previousOwner = str((updated!.taken_run as Row).prev_owner);
      const claimed = { run, previousOwner, steps };
      // The decider's first commit for the run (the gate step's end), in this same commit.
      const first = claim?.firstCommit ? await claim.firstCommit(claimed, approval) : null;
      if (first) started(first);
      // The lease was taken in this transaction: losing it here would be a bug, not a race.
      if (first && first.transitions.length > 0)
        await this.applyIn(tx, { owner: claim!.owner, epoch: run.claims }, run.id, first.transitions);
      return { outcome: 'recorded' as const, approval, claimed };
    });
  }

  /**
   * Writes transitions of one run inside a transaction of its own (a budgeted apply, a decision), through
   * the group commit's function; LeaseLostError when the run is no longer `lease`'s.
   */
  private async applyIn(
    tx: Queryable,
    lease: Lease,
    runId: string,
    transitions: readonly CommittedTransition[],
  ): Promise<void> {
    const payload = buildPayload(transitions.map((transition) => ({ lease, transition })));
    const rows = await applyTransitions(tx, {
      owner: lease.owner,
      payload: this.redact.json(payload),
      now: new Date().toISOString(),
    });
    if (rows.length === 0) throw new LeaseLostError(runId);
  }

  async audit(approvalId: string, type: string, data: Record<string, unknown>, now: Date): Promise<void> {
    if (!isUuid(approvalId)) return;
    await approvalAudit(this.driver, { approvalId, type, data: this.redact.json(data), now });
  }

  async extendApproval(id: string, expiresAt: Date, escalatedTo: string): Promise<boolean> {
    return extendApproval(this.driver, { id, expiresAt, escalatedTo });
  }

  async expireApproval(id: string, status: 'expired' | 'approved', now: Date): Promise<boolean> {
    return expireApproval(this.driver, { id, status, now });
  }

  async getSetting<T>(key: string): Promise<T | null> {
    const row = await getSetting(this.driver, { key });
    return row ? (row.value as T) : null;
  }

  async setSetting(key: string, value: unknown, by: string | null, now: Date): Promise<void> {
    await setSetting(this.driver, { key, value: JSON.stringify(value), now, by });
  }

  onWake(listener: (payload: string) => void) {
    return this.driver.listen(WAKE_CHANNEL, listener, () => listener('restored'));
  }

  async close(): Promise<void> {
    // A write stuck on a dead connection must not hold the close up: ending the pool fails it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.writes.drain(), new Promise((r) => (timer = setTimeout(r, CLOSE_DRAIN_MS)))]);
    clearTimeout(timer);
    await this.driver.close();
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function isUuid(id: string): boolean {
  return UUID.test(id);
}
