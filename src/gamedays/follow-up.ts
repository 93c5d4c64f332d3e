// What happens to a fired drill after its run starts, on whichever replica looks first: detection of the
// real alert, automatic approval of its gates, the rollback of a live drill, and the scorecard. Each step
// is a conditional write, so replicas following the same drill up at once settle it once.
import type { Clock } from '../core/clock.ts';
import { isTerminalRun } from '../core/status.ts';
import { matches } from '../dsl/triggers.ts';
import type { FireRecord } from '../store/gameday-records.ts';
import type { GameDayStore } from '../store/gamedays.ts';
import type { Store } from '../store/store.ts';
import type { GameDayEvents } from './events.ts';
import { compileMatcherSpecs } from './game-days.ts';
import { INJECT_TIMEOUT_MS } from './inject.ts';
import { DRILL_ROLLBACK_ERROR, scorecardWrite, scoreDrill } from './scorecard.ts';

/** An inject the firing replica never reported after this long is lost (that replica stopped). */
export const INJECT_LOST_AFTER_MS = 2 * INJECT_TIMEOUT_MS;
/** After the detect deadline, alerts still committing (stamped before it) get this long to show up. */
export const DETECT_SETTLE_MS = 1_000;

export const GAMEDAY_IDENTITY = 'gameday';

export interface FollowUpDeps {
  store: GameDayStore;
  runs: Store;
  clock: Clock;
  events: GameDayEvents;
  /** The run became due (approval decided, rollback requested): wake the workers. */
  wake: () => void;
}

/** Moves every drill under way on; returns them (as they were read, before this pass). */
export async function followUpDrills(
  deps: FollowUpDeps,
  onError: (fire: FireRecord, err: Error) => void,
): Promise<FireRecord[]> {
  const now = deps.clock.now();
  await deps.store.markInjectsLost(new Date(now.getTime() - INJECT_LOST_AFTER_MS), now);
  const fires = await deps.store.openFires();
  for (const fire of fires) {
    try {
      await followUp(deps, fire);
    } catch (err) {
      onError(fire, err as Error);
    }
  }
  return fires;
}

async function followUp(deps: FollowUpDeps, fire: FireRecord): Promise<void> {
  if (fire.settings.detect && fire.detectedAt === null) await detect(deps, fire);
  if (fire.settings.autoApprove && fire.runStatus !== null && !isTerminalRun(fire.runStatus))
    await autoApprove(deps, fire);
  if (needsRollback(fire)) {
    const now = deps.clock.now();
    if (await deps.store.requestRollback(fire, DRILL_ROLLBACK_ERROR, now)) {
      deps.events.emit('rollback.requested', { fireId: fire.id, runId: fire.runId! });
      deps.wake();
      return;
    }
  }
  await score(deps, fire);
}

function needsRollback(fire: FireRecord): boolean {
  return (
    fire.mode === 'live' &&
    fire.settings.rollback &&
    fire.runStatus === 'succeeded' &&
    fire.rollbackRequestedAt === null
  );
}

/** The first firing alert after the inject whose labels match, arrived before the deadline. */
async function detect(deps: FollowUpDeps, fire: FireRecord): Promise<void> {
  const spec = fire.settings.detect!;
  if (fire.detectFromSeq === null || fire.inject === 'pending' || fire.inject === 'failed') return;
  if (fire.inject === 'lost') return;
  const from = fire.injectedAt ?? fire.recordedAt;
  const deadline = fire.detectDeadline ?? new Date(from.getTime() + spec.withinMs);
  const matchers = compileMatcherSpecs(spec.matchers);
  const arrivals = await deps.store.alertsAfter(fire.detectFromSeq, from, deadline);
  const alert = arrivals.find((a) => matches(matchers, a.labels));
  if (!alert) return;
  const timeToDetectMs = alert.at.getTime() - from.getTime();
  if (await deps.store.recordDetection(fire, alert, timeToDetectMs, deps.clock.now())) {
    deps.events.emit('detected', { fireId: fire.id, timeToDetectMs });
  }
  fire.detectedAt = alert.at;
}

/** autoApprove: each gate the drill's run parks at is approved as identity "gameday", policy aside. */
async function autoApprove(deps: FollowUpDeps, fire: FireRecord): Promise<void> {
  const pending = await deps.runs.listApprovals({ status: 'pending', runId: fire.runId! });
  for (const gate of pending) {
    const now = deps.clock.now();
    const result = await deps.runs.decideApproval(
      gate.id,
      {
        by: GAMEDAY_IDENTITY,
        via: 'gameday',
        decision: 'approve',
        reason: 'game day autoApprove',
        at: now.toISOString(),
      },
      () => 'approved',
      now,
    );
    if (result.outcome === 'recorded') {
      deps.events.emit('approved', { fireId: fire.id, approval: result.approval });
      deps.wake();
    }
  }
}

async function score(deps: FollowUpDeps, fire: FireRecord): Promise<void> {
  const now = deps.clock.now();
  if (!detectionSettled(fire, now)) return;
  // The pass read the run's status with the fire: a run still going is not worth the whole snapshot
  // (every second, on every replica). One that ends during this pass is scored on the next.
  if (fire.runStatus !== null && !isTerminalRun(fire.runStatus)) return;
  const snapshot = await deps.store.drillSnapshot(fire.runId!);
  if (!snapshot || !isTerminalRun(snapshot.run.status)) return;
  const { run, steps, approvals } = snapshot;
  // A live drill that succeeded with mitigations still applied waits for its rollback first.
  const unreverted = steps.some(
    (s) => s.kind === 'mitigation' && s.appliedSeq !== null && s.status === 'succeeded',
  );
  if (fire.mode === 'live' && fire.settings.rollback && run.status === 'succeeded' && unreverted) return;
  const scorecard = scoreDrill({
    scheduleId: fire.scheduleId,
    mode: fire.mode,
    trigger: fire.trigger,
    dueAt: fire.dueAt,
    startedAt: fire.recordedAt,
    settings: fire.settings,
    inject: fire.inject,
    injectedAt: fire.injectedAt,
    detectedAt: fire.detectedAt,
    run,
    steps,
    approvals,
    now,
  });
  if (await deps.store.writeScorecard(fire, scorecardWrite(fire, scorecard), now)) {
    deps.events.emit('scored', { fireId: fire.id, incidentId: fire.incidentId!, scorecard });
  }
}

function detectionSettled(fire: FireRecord, now: Date): boolean {
  if (fire.inject === 'pending') return false;
  if (!fire.settings.detect || fire.detectedAt !== null) return true;
  if (fire.inject === 'failed' || fire.inject === 'lost') return true;
  const from = fire.injectedAt ?? fire.recordedAt;
  const deadline = fire.detectDeadline ?? new Date(from.getTime() + fire.settings.detect.withinMs);
  return now.getTime() > deadline.getTime() + DETECT_SETTLE_MS;
}
