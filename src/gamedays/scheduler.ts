// The game-day scheduler of one process. Schedules live in the database (gameday_schedules); every tick
// plans each schedule with planCatchUp on the engine clock and fires what is due through one SQL call that
// claims the due time, opens the drill incident and creates its run together. Any number of replicas may
// tick at once: the claim lets exactly one of them fire each due time. Between fires the same tick follows
// drills under way up to their scorecard (follow-up.ts). Tests drive it with a ManualClock and tick().
import type { Clock } from '../core/clock.ts';
import { parseSchedule } from '../core/cron.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Engine } from '../engine/engine.ts';
import type { RunbookRegistry } from '../runbooks/registry.ts';
import { runWakeupOf } from '../store/database.ts';
import type { FireRecord, ScheduleRecord } from '../store/gameday-records.ts';
import { type GameDayStore, gameDayStoreOf } from '../store/gamedays.ts';
import type { Store } from '../store/store.ts';
import { type CatchUpPlan, planCatchUp } from './catch-up.ts';
import { GameDayEvents } from './events.ts';
import { firePayload } from './fire.ts';
import { followUpDrills } from './follow-up.ts';
import { type GameDayView, listGameDays } from './game-day-view.ts';
import { type DeclaredGameDay, declaredGameDays, findGameDay } from './game-days.ts';
import { callInject } from './inject.ts';

export interface GameDaySchedulerOptions {
  /** How late the most recent missed due time may be and still fire (catch-up.ts). Default 5 minutes. */
  graceMs?: number;
  /** How often drills under way are followed up when nothing else wakes the loop. Default 1 s. */
  followUpMs?: number;
  logger?: Logger;
}

export const DEFAULT_GRACE_MS = 5 * 60_000;

export type { GameDayView } from './game-day-view.ts';

export interface Fired {
  fireId: string;
  incidentId: string;
  runId: string;
}

interface SchedulerDeps {
  engine: Engine;
  store: Store;
  registry: RunbookRegistry;
}

export class GameDayScheduler {
  readonly events = new GameDayEvents();
  readonly store: GameDayStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly graceMs: number;
  private readonly followUpMs: number;
  private readonly notifyWorkers: () => void;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly stopping = new AbortController();
  private loopDone: Promise<void> | null = null;
  private wakeLoop: (() => void) | null = null;
  private readonly injects = new Set<Promise<void>>();
  private readonly unsubscribe: (() => void)[] = [];
  /** Set by nudge(): the loop ticks again before it sleeps. */
  private nudged = false;
  /** Runs of the drills under way, and whether one waits for an alert, as the last pass saw them. */
  private drillRuns = new Set<string>();
  private awaitingAlert = false;
  /**
   * Schedules whose last plan had nothing due, with the row as it was then. Planning walks cron times
   * through the time zone's rules (cron-parser, luxon): every second, for every schedule, that was most
   * of what an idle server did (2 MB/s of garbage, which also kept V8 from ever shrinking its heap).
   * Until nextDueAt, the same row plans the same: nothing due in (since, now] and none before nextDueAt.
   */
  private readonly quiet = new Map<string, { key: string; nextDueAt: Date }>();

  constructor(
    private readonly deps: SchedulerDeps,
    opts: GameDaySchedulerOptions = {},
  ) {
    this.store = gameDayStoreOf(deps.store);
    this.clock = deps.engine.clock;
    this.logger = (opts.logger ?? deps.engine.logger).child({ component: 'gamedays' });
    this.graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
    this.followUpMs = opts.followUpMs ?? 1_000;
    this.notifyWorkers = runWakeupOf(deps.store);
  }

  /** Writes the loaded runbooks' game days to gameday_schedules. */
  async sync(): Promise<void> {
    const declared = declaredGameDays(this.deps.registry);
    await this.store.sync(
      declared.map((d) => ({
        id: d.scheduleId,
        runbookId: d.rb.id,
        gameDayId: d.gameDay.id,
        cron: d.schedule.expression,
        timezone: d.schedule.timezone,
        mode: d.gameDay.mode,
      })),
      this.deps.registry.list().map((rb) => rb.id),
      this.clock.now(),
    );
  }

  /** Syncs, then ticks until stop(): at each due time, and every followUpMs for drills under way. */
  async start(): Promise<void> {
    if (this.loopDone) return;
    await this.sync();
    // A gate to approve or a finished run moves a drill on: look at once rather than at the next tick.
    const events = this.deps.engine.events;
    const ofDrill = (e: { runId: string }) => {
      if (this.drillRuns.has(e.runId)) this.nudge();
    };
    this.unsubscribe.push(events.on('approval.requested', ofDrill));
    this.unsubscribe.push(events.on('run.finished', ofDrill));
    this.loopDone = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    for (const off of this.unsubscribe.splice(0)) off();
    this.wakeLoop?.();
    await this.loopDone;
    await this.chain.catch(() => {});
    await Promise.allSettled([...this.injects]);
  }

  /** Looks again now (a gate opened, a drill's run ended); the loop does it, so ticks never overlap. */
  nudge(): void {
    this.nudged = true;
    this.wakeLoop?.();
  }

  /** An alert was committed (ingest observer): look at once if a drill waits for one. */
  alertArrived(): void {
    if (this.awaitingAlert) this.nudge();
  }

  /**
   * One pass: fires (and records skips of) every due schedule, then follows drills under way up.
   * Passes run one at a time. Returns the next due time of the schedules this process can fire.
   */
  tick(): Promise<Date | null> {
    return this.serially(async () => {
      const next = await this.fireDue();
      await this.followUpPass();
      return next;
    });
  }

  /** Only the follow-up part of a tick: moves drills under way on, fires nothing. */
  followUp(): Promise<void> {
    return this.serially(() => this.followUpPass());
  }

  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const pass = this.chain.then(fn);
    this.chain = pass.catch(() => {});
    return pass;
  }

  private async followUpPass(): Promise<void> {
    const fires = await followUpDrills(
      {
        store: this.store,
        runs: this.deps.store,
        clock: this.clock,
        events: this.events,
        wake: () => this.wake(),
      },
      (fire, err) => this.logger.warn('game day follow-up failed', { fireId: fire.id, error: err.message }),
    );
    this.drillRuns = new Set(fires.map((f) => f.runId).filter((id): id is string => id !== null));
    this.awaitingAlert = fires.some((f) => f.settings.detect !== null && f.detectedAt === null);
  }

  private async loop(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      this.nudged = false;
      let next: Date | null = null;
      try {
        next = await this.tick();
      } catch (err) {
        this.logger.warn('game day tick failed', { error: (err as Error).message });
      }
      if (signal.aborted) return;
      if (this.nudged) continue;
      const now = this.clock.now().getTime();
      const untilDue = next === null ? Number.POSITIVE_INFINITY : next.getTime() - now;
      const waitMs = Math.max(1, Math.min(this.followUpMs, untilDue));
      const woken = new Promise<void>((resolve) => {
        this.wakeLoop = resolve;
      });
      await Promise.race([this.clock.sleep(waitMs, signal).catch(() => {}), woken]);
      this.wakeLoop = null;
    }
  }

  private async fireDue(): Promise<Date | null> {
    const declared = new Map(declaredGameDays(this.deps.registry).map((d) => [d.scheduleId, d]));
    let next: Date | null = null;
    for (const row of await this.store.schedules()) {
      const decl = declared.get(row.id);
      // Another replica that loaded this runbook fires it.
      if (!decl) continue;
      const now = this.clock.now();
      // Nothing was due at the last look and the row is as it was: nothing is due before nextDueAt.
      const key = `${row.cron}\n${row.timezone}\n${row.createdAt.getTime()}\n${row.handledUntil?.getTime()}`;
      const quiet = this.quiet.get(row.id);
      if (quiet && quiet.key === key && now < quiet.nextDueAt) {
        if (next === null || quiet.nextDueAt < next) next = quiet.nextDueAt;
        continue;
      }
      const parsed = parseSchedule(row.cron, row.timezone);
      if (!parsed.ok) continue;
      const plan = planCatchUp({
        schedule: parsed.schedule,
        createdAt: row.createdAt,
        lastFiredAt: row.handledUntil,
        now,
        graceMs: this.graceMs,
      });
      if (plan.fire === null && plan.skippedCount === 0) {
        this.quiet.set(row.id, { key, nextDueAt: plan.nextDueAt });
      } else {
        this.quiet.delete(row.id);
        try {
          await this.handleDue(row, decl, plan, now);
        } catch (err) {
          this.logger.error('game day could not fire', { schedule: row.id, error: (err as Error).message });
        }
      }
      if (next === null || plan.nextDueAt < next) next = plan.nextDueAt;
    }
    return next;
  }

  private async handleDue(row: ScheduleRecord, decl: DeclaredGameDay, plan: CatchUpPlan, now: Date) {
    const fire =
      plan.fire === null
        ? null
        : firePayload(decl, {
            trigger: 'schedule',
            dueAt: plan.fire,
            requestedBy: `gameday:${decl.scheduleId}`,
          });
    const result = await this.store.fire(
      {
        schedule_id: row.id,
        trigger: 'schedule',
        mode: decl.gameDay.mode,
        fired_by: this.deps.engine.workerId,
        expected_handled_until: row.handledUntil?.toISOString() ?? null,
        handled_until: now.toISOString(),
        skipped: plan.skipped.map((d) => d.toISOString()),
        skipped_count: plan.skippedCount,
        skipped_exact: plan.skippedCountExact,
        fire,
      },
      now,
    );
    if (result.outcome === 'raced' || result.outcome === 'duplicate') return;
    if (plan.skippedCount > 0) {
      this.logger.warn('game day due times missed beyond the catch-up rule were skipped', {
        schedule: row.id,
        count: plan.skippedCount,
      });
      this.events.emit('skipped', { scheduleId: row.id, count: plan.skippedCount, dueAt: plan.skipped });
    }
    if (result.outcome === 'fired' && fire) this.afterFire(decl, 'schedule', plan.fire!, fire, result);
  }

  /** Starts a drill of the game day now, whatever its schedule ("firebreak gameday run"). */
  async runNow(scheduleId: string, requestedBy: string): Promise<Fired> {
    const decl = findGameDay(this.deps.registry, scheduleId);
    if (!decl) throw new NotFoundError('game day', scheduleId);
    const now = this.clock.now();
    const fire = firePayload(decl, { trigger: 'manual', dueAt: now, requestedBy });
    const result = await this.store.fire(
      {
        schedule_id: scheduleId,
        trigger: 'manual',
        mode: decl.gameDay.mode,
        fired_by: this.deps.engine.workerId,
        expected_handled_until: null,
        handled_until: null,
        skipped: [],
        skipped_count: 0,
        skipped_exact: true,
        fire,
      },
      now,
    );
    if (result.outcome !== 'fired') throw new Error(`game day ${scheduleId} did not fire: ${result.outcome}`);
    return this.afterFire(decl, 'manual', now, fire, result);
  }

  private afterFire(
    decl: DeclaredGameDay,
    trigger: string,
    dueAt: Date,
    fire: NonNullable<Parameters<GameDayStore['fire']>[0]['fire']>,
    result: Awaited<ReturnType<GameDayStore['fire']>>,
  ): Fired {
    const fired = { fireId: result.fireId!, incidentId: result.incidentId!, runId: result.runId! };
    this.drillRuns.add(fired.runId);
    if (fire.detect_within_ms !== null) this.awaitingAlert = true;
    this.wake();
    this.logger.info('game day fired', { schedule: decl.scheduleId, trigger, dueAt, ...fired });
    this.events.emit('fired', { ...fired, scheduleId: decl.scheduleId, dueAt, trigger });
    if (fire.inject) this.track(this.inject(decl, dueAt, fired, fire.detect_within_ms));
    return fired;
  }

  private async inject(
    decl: DeclaredGameDay,
    dueAt: Date,
    fired: Fired,
    detectWithinMs: number | null,
  ): Promise<void> {
    const result = await callInject(
      decl.gameDay,
      {
        runbookId: decl.rb.id,
        gameDayId: decl.gameDay.id,
        incidentId: fired.incidentId,
        runId: fired.runId,
        dueAt,
      },
      { clock: this.clock, logger: this.logger, stop: this.stopping.signal },
    );
    // Time to detect counts from the inject, so the deadline does too.
    const detectDeadline =
      result.status === 'injected' && detectWithinMs !== null
        ? new Date(result.at.getTime() + detectWithinMs)
        : null;
    await this.store.recordInject(
      fired.fireId,
      { status: result.status, at: result.at, error: result.error, detectDeadline },
      { result: result.result, ...(result.error ? { error: result.error } : {}) },
    );
    this.events.emit('injected', { fireId: fired.fireId, status: result.status, at: result.at });
    this.nudge();
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err) =>
        this.logger.error('recording a game day inject failed', { error: (err as Error).message }),
      )
      .finally(() => this.injects.delete(tracked));
    this.injects.add(tracked);
  }

  private wake(): void {
    this.deps.engine.poke();
    this.notifyWorkers();
  }

  /** Every schedule with its next due time, last fire and last scorecard (GET /api/gamedays). */
  list(): Promise<GameDayView[]> {
    return listGameDays(this.store, this.deps.registry, this.clock.now());
  }

  /**
   * Follows the drill up until it has its scorecard, for `gameday run`, which must not fire schedules:
   * it polls in real time, with the follow-up part of a tick only.
   */
  async waitForScorecard(fireId: string, timeoutMs: number, pollMs = 250): Promise<FireRecord> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.followUp();
      const fire = await this.store.fireById(fireId);
      if (!fire) throw new NotFoundError('game day fire', fireId);
      if (fire.scoredAt !== null) return fire;
      if (Date.now() > deadline) throw new Error(`drill ${fireId} has no scorecard after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
}
