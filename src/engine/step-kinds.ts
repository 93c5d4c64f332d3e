// What each step kind does when it is ready. Every branch ends in a commit (done), a park (the run
// waits as a row) or a failure that hands the run to the saga.
import { parseDuration } from '../core/duration.ts';
import { FirebreakError, type SerializedError, serializeError } from '../core/errors.ts';
import { describeSerialized } from '../core/failure.ts';
import { retryPolicy } from '../core/retry.ts';
import type { ApprovalPolicy, StepDef } from '../dsl/types.ts';
import type { EvidenceWrite, Transition } from '../store/store.ts';
import { approvalGate } from './approval-gate.ts';
import { type AttemptResult, attempt, policyFor, timeoutFor } from './attempts.ts';
import type { RunExecutor, StepKindHandlers, StepOutcome, StepState } from './executor.ts';
import { checkBudget } from './mitigation-budget.ts';
import { invoke } from './step-context.ts';

const done: StepOutcome = { type: 'done' };

export const stepKinds: StepKindHandlers = {
  async run(ex, def) {
    const st = ex.state(def.name, def.kind);
    if (await skippedByWhen(ex, def, st)) return done;
    switch (def.kind) {
      case 'diagnostic':
        return runFunctionStep(ex, def, st, (ctx) => def.run!(ctx));
      case 'notify':
        return runFunctionStep(ex, def, st, async (ctx) => {
          const n = def.notify!;
          const message = typeof n.message === 'function' ? await n.message(ctx) : n.message;
          return { delivered: await ex.deps.notifier.notify(ex.info, message, n.channel), message };
        });
      case 'mitigation':
        return runMitigation(ex, def, st);
      case 'approval':
        return runApproval(ex, def, st);
      case 'sleep':
        return runSleep(ex, def, st);
      case 'forEach':
        return runForEach(ex, def, st);
    }
  },
};

type Ctx = Parameters<NonNullable<StepDef['run']>>[0];

async function runFunctionStep(
  ex: RunExecutor,
  def: StepDef,
  st: StepState,
  fn: (ctx: Ctx) => unknown,
): Promise<StepOutcome> {
  const res = await attempt(ex, st, phase(ex, def, 'run'), (inv) => fn(inv.ctx));
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  if (!res.ok) return fail(ex, st, res.error, res, 'run');
  await succeed(ex, def.name, st, res.value, res, 'run');
  return done;
}

function phase(ex: RunExecutor, def: StepDef, name: 'run' | 'apply' | 'items') {
  return { phase: name, policy: policyFor(ex, def), timeoutMs: timeoutFor(def), stepName: def.name };
}

/** `when` is evaluated once, on the step's first visit; false commits the step as skipped. */
/** Calls a small function of the step (when, an approval summary) with the step's context, once. */
function evaluate<T>(ex: RunExecutor, def: StepDef, st: StepState, fn: (ctx: Ctx) => T | Promise<T>) {
  return invoke(ex.scope(def.name, st, timeoutFor(def)), (inv) => fn(inv.ctx));
}

async function skippedByWhen(ex: RunExecutor, def: StepDef, st: StepState): Promise<boolean> {
  if (!def.when || st.status !== 'pending' || st.state.when !== undefined) return false;
  const res = await evaluate(ex, def, st, (ctx) => def.when!(ctx));
  if ('error' in res) throw res.error;
  st.state.when = Boolean(res.value);
  if (st.state.when) return false;
  const now = ex.deps.clock.now();
  Object.assign(st, { status: 'skipped', finishedAt: now, output: null });
  await ex.commit(
    merge(
      {
        steps: [ex.stepWrite(st)],
        events: [ex.event('step.skipped', st.key, { reason: 'when returned false' })],
      },
      ex.completionFor(def.name, undefined),
    ),
  );
  ex.stepFinished(st);
  return true;
}

/** Attempts of one phase of the step so far (attempts.ts counts them in the step's state). */
function triesOf(st: StepState, phaseName: string): number | undefined {
  return (st.state.tries as Record<string, number> | undefined)?.[phaseName];
}

export async function succeed(
  ex: RunExecutor,
  stepName: string,
  st: StepState,
  output: unknown,
  res: { evidence: EvidenceWrite[]; startedAt: Date },
  /** null when no attempt ends here (a mitigation completing after apply and verify, a timer, a gate). */
  phaseName: string | null,
  completes = true,
): Promise<void> {
  const now = ex.deps.clock.now();
  Object.assign(st, { status: 'succeeded', output: output ?? null, error: null, finishedAt: now });
  const t: Omit<Transition, 'runId' | 'incidentId'> = {
    steps: [ex.stepWrite(st)],
    attempts: phaseName ? [attemptRow(st, phaseName, 'succeeded', null, res.startedAt, now)] : [],
    evidence: res.evidence,
    // The phase that ended (`complete`: a mitigation done after apply and verify), so the journal's
    // reader counts tries within it (journal-text.ts).
    events: [
      ex.event('step.succeeded', st.key, {
        attempt: st.attempt,
        phase: phaseName ?? 'complete',
        ...(phaseName ? { try: triesOf(st, phaseName) } : {}),
      }),
    ],
  };
  await ex.commit(completes ? merge(t, ex.completionFor(stepName, output ?? null)) : t);
  ex.stepFinished(st);
}

export async function fail(
  ex: RunExecutor,
  st: StepState,
  error: SerializedError,
  res: { evidence: EvidenceWrite[]; startedAt: Date } | null,
  phaseName: string,
): Promise<StepOutcome> {
  const now = ex.deps.clock.now();
  Object.assign(st, { status: 'failed', error, finishedAt: now });
  await ex.commit({
    steps: [ex.stepWrite(st)],
    attempts: res ? [attemptRow(st, phaseName, 'failed', error, res.startedAt, now)] : [],
    evidence: res?.evidence ?? [],
    events: [
      ex.event('step.failed', st.key, {
        attempt: st.attempt,
        phase: phaseName,
        try: triesOf(st, phaseName),
        error,
      }),
    ],
  });
  ex.stepFinished(st, describeSerialized(error));
  return { type: 'failed', error };
}

export function attemptRow(
  st: StepState,
  phaseName: string,
  status: 'succeeded' | 'failed',
  error: SerializedError | null,
  startedAt: Date,
  finishedAt: Date,
) {
  return { stepKey: st.key, attempt: st.attempt, phase: phaseName, status, error, startedAt, finishedAt };
}

export function merge(
  a: Omit<Transition, 'runId' | 'incidentId'>,
  b: Partial<Transition>,
): Omit<Transition, 'runId' | 'incidentId'> {
  const out = { ...a };
  if (b.run) out.run = { ...a.run, ...b.run };
  if (b.events) out.events = [...(a.events ?? []), ...b.events];
  return out;
}

async function runMitigation(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome> {
  const m = def.mitigation!;
  if (ex.run.dryRun) {
    // A dry run applies nothing, so there is nothing to approve or revert.
    const res = await attempt(ex, st, phase(ex, def, 'run'), (inv) => (m.dryRun ? m.dryRun(inv.ctx) : null));
    if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
    if (!res.ok) return fail(ex, st, res.error, res, 'dry-run');
    await succeed(ex, def.name, st, { dryRun: true, wouldApply: res.value ?? 'would apply' }, res, 'dry-run');
    return done;
  }
  if (st.state.phase !== 'applied') {
    if (await ex.db('kill-switch read', () => ex.deps.isPaused())) return holdForKillSwitch(ex, st);
    if (m.approval && !st.state.approvedBy) {
      const gate = await approvalGate(
        ex,
        st,
        def.name,
        m.approval,
        await gateSummary(ex, def, st, m.approval),
      );
      if (gate.type !== 'approved') return gate.outcome;
      st.state.approvedBy = gate.by;
      st.status = 'pending';
    }
    const budget = await checkBudget(ex, def, st);
    if (budget.type === 'outcome') return budget.outcome;
    if (budget.type === 'fail') return fail(ex, st, budget.error, null, 'apply');
    const applied = await applyMitigation(ex, def, st);
    if (applied) return applied;
  }
  if (m.verify && st.state.verified === undefined) {
    const verified = await verifyMitigation(ex, def, st);
    if (verified) return verified;
  }
  await succeed(
    ex,
    def.name,
    st,
    st.state.applied ?? null,
    { evidence: [], startedAt: ex.deps.clock.now() },
    null,
  );
  return done;
}

async function holdForKillSwitch(ex: RunExecutor, st: StepState): Promise<StepOutcome> {
  const wakeAt = new Date(ex.deps.clock.now().getTime() + ex.deps.config.killSwitchRecheckMs);
  if (!st.state.held) {
    st.state.held = true;
    await ex.commit({
      steps: [ex.stepWrite(st)],
      events: [ex.event('mitigation.held', st.key, { reason: 'kill switch: new mitigations are paused' })],
    });
  }
  return { type: 'parked', wakeAt };
}

/** Returns an outcome when the step cannot go on to verify now. */
async function applyMitigation(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome | null> {
  const m = def.mitigation!;
  const res = await attempt(ex, st, phase(ex, def, 'apply'), (inv) => m.apply(inv.ctx));
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  if (!res.ok) return fail(ex, st, res.error, res, 'apply');
  const now = ex.deps.clock.now();
  Object.assign(st.state, { phase: 'applied', applied: res.value ?? null, appliedAt: now.toISOString() });
  delete st.state.held;
  st.status = 'running';
  ex.markApplied(st);
  await ex.commit({
    steps: [ex.stepWrite(st, { applied: true })],
    attempts: [attemptRow(st, 'apply', 'succeeded', null, res.startedAt, now)],
    evidence: res.evidence,
    events: [ex.event('mitigation.applied', st.key, { attempt: st.attempt, applied: res.value ?? null })],
  });
  ex.deps.events.emit('mitigation.applied', { runId: ex.runId, step: st.key });
  return null;
}

async function verifyMitigation(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome | null> {
  const v = def.mitigation!.verify!;
  const dueAt = new Date(new Date(String(st.state.appliedAt)).getTime() + parseDuration(v.after ?? 0));
  const parked = await ex.waitOrPark(dueAt);
  if (parked) return { type: 'parked', wakeAt: parked };
  const res: AttemptResult<unknown> = await attempt(
    ex,
    st,
    { ...phase(ex, def, 'run'), phase: 'verify', extra: { applied: st.state.applied } },
    (inv) => v.check(inv.ctx as Parameters<typeof v.check>[0]),
  );
  if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
  const passed = res.ok && res.value === true;
  st.state.verified = passed;
  if (passed) return null;
  const error = res.ok
    ? serializeError(
        new FirebreakError('verify_failed', `verification of ${def.name} failed`, { nonRetryable: true }),
      )
    : res.error;
  if (v.onFail === 'continue') {
    await ex.commit({
      steps: [ex.stepWrite(st)],
      events: [ex.event('mitigation.verify_failed', st.key, { error, onFail: 'continue' })],
    });
    return null;
  }
  // Failing the step hands the run to the saga, which reverts this mitigation and every earlier one.
  return fail(ex, st, error, res, 'verify');
}

/** The gate's summary for approvers; a function is called once, when the gate opens. */
async function gateSummary(
  ex: RunExecutor,
  def: StepDef,
  st: StepState,
  a: ApprovalPolicy,
): Promise<string | null> {
  if (typeof a.summary !== 'function') return a.summary ?? null;
  if (st.state.approvalId) return null;
  const fn = a.summary;
  const res = await evaluate(ex, def, st, (ctx) => fn(ctx));
  return 'error' in res ? `(summary failed: ${(res.error as Error).message})` : String(res.value);
}

async function runApproval(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome> {
  const a = def.approval!;
  const gate = await approvalGate(ex, st, def.name, a, await gateSummary(ex, def, st, a));
  if (gate.type !== 'approved') return gate.outcome;
  const output = { approved: true, approvalId: gate.approvalId, by: gate.by, via: gate.via };
  await succeed(ex, def.name, st, output, { evidence: [], startedAt: ex.deps.clock.now() }, null);
  return done;
}

async function runSleep(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome> {
  if (typeof st.state.until !== 'string') {
    const now = ex.deps.clock.now();
    const until = new Date(now.getTime() + parseDuration(def.sleep!.duration));
    Object.assign(st, { status: 'running', startedAt: now });
    st.state.until = until.toISOString();
    // The due time is committed first: a crash while sleeping resumes the same timer, not a new one.
    await ex.commit({
      steps: [ex.stepWrite(st)],
      events: [ex.event('timer.started', st.key, { until: st.state.until })],
    });
  }
  const parked = await ex.waitOrPark(new Date(String(st.state.until)));
  if (parked) return { type: 'parked', wakeAt: parked };
  await succeed(
    ex,
    def.name,
    st,
    { until: st.state.until },
    { evidence: [], startedAt: ex.deps.clock.now() },
    null,
  );
  return done;
}

async function runForEach(ex: RunExecutor, def: StepDef, st: StepState): Promise<StepOutcome> {
  const f = def.forEach!;
  if (!Array.isArray(st.state.items)) {
    const res = await attempt(ex, st, phase(ex, def, 'items'), (inv) => f.items(inv.ctx));
    if ('parked' in res) return { type: 'parked', wakeAt: res.parked };
    if (!res.ok) return fail(ex, st, res.error, res, 'items');
    const items = [...(res.value as unknown[])];
    st.state.items = items;
    st.status = 'running';
    // The list is fixed once: a resumed run works through the same items even if the source changed.
    await ex.commit({
      steps: [ex.stepWrite(st)],
      evidence: res.evidence,
      events: [ex.event('foreach.items', st.key, { count: items.length })],
    });
  }
  const items = st.state.items as unknown[];
  const outcome = await forEachPool(ex, def, items);
  if (outcome) return outcome.type === 'failed' ? fail(ex, st, outcome.error, null, 'items') : outcome;
  const output = items.map((_, i) => ex.state(`${def.name}[${i}]`, 'item').output);
  await succeed(ex, def.name, st, output, { evidence: [], startedAt: ex.deps.clock.now() }, null);
  return done;
}

/** Runs the items not yet committed, at most `concurrency` at once; each item commits on its own. */
async function forEachPool(ex: RunExecutor, def: StepDef, items: unknown[]): Promise<StepOutcome | null> {
  const f = def.forEach!;
  const todo = items
    .map((_, i) => i)
    .filter((i) => ex.state(`${def.name}[${i}]`, 'item').status !== 'succeeded');
  let failed: SerializedError | null = null;
  const parkedAt: Date[] = [];
  const policy = retryPolicy({ ...ex.rb.runbook.options.retry, ...def.retry });
  const worker = async () => {
    for (let i = todo.shift(); i !== undefined && !failed; i = todo.shift()) {
      const item = items[i];
      const itemSt = ex.state(`${def.name}[${i}]`, 'item');
      const res = await attempt(
        ex,
        itemSt,
        { phase: 'run', policy, timeoutMs: timeoutFor(def), stepName: def.name, extra: { item, index: i } },
        (inv) => f.run(inv.ctx as Parameters<typeof f.run>[0]),
      );
      if ('parked' in res) parkedAt.push(res.parked);
      else if (!res.ok) {
        failed = res.error;
        await fail(ex, itemSt, res.error, res, 'run');
      } else await succeed(ex, def.name, itemSt, res.value, res, 'run', false);
    }
  };
  const width = Math.max(1, Math.min(f.concurrency ?? 4, todo.length));
  await Promise.all(Array.from({ length: width }, worker));
  if (failed) return { type: 'failed', error: failed };
  if (parkedAt.length > 0)
    return { type: 'parked', wakeAt: new Date(Math.min(...parkedAt.map((d) => d.getTime()))) };
  return null;
}
