// The game days the loaded runbooks declare, and what a drill records about its game day when it fires
// (settings): later steps of the drill (detection, approvals, rollback, scorecard) read that snapshot, so
// any replica can follow a drill up, and a runbook edited meanwhile does not change a drill under way.

import { parseSchedule, type Schedule } from '../core/cron.ts';
import { type Duration, parseDuration } from '../core/duration.ts';
import { compileTrigger, type Matcher } from '../dsl/triggers.ts';
import type { GameDay, Trigger } from '../dsl/types.ts';
import type { LoadedRunbook, RunbookRegistry } from '../runbooks/registry.ts';
import type { FireSettings, MatcherSpec } from '../store/gameday-records.ts';

export type { FireSettings, MatcherSpec } from '../store/gameday-records.ts';

export interface DeclaredGameDay {
  /** "<runbook id>:<game day id>". */
  scheduleId: string;
  rb: LoadedRunbook;
  gameDay: GameDay;
  schedule: Schedule;
}

export function scheduleIdOf(runbookId: string, gameDayId: string): string {
  return `${runbookId}:${gameDayId}`;
}

/** Every game day of the registry whose schedule parses (validation reported the others at load). */
export function declaredGameDays(registry: RunbookRegistry): DeclaredGameDay[] {
  const out: DeclaredGameDay[] = [];
  for (const rb of registry.list()) {
    for (const gameDay of rb.runbook.options.gameDays ?? []) {
      const parsed = parseSchedule(gameDay.cron, gameDay.timezone ?? 'UTC');
      if (!parsed.ok) continue;
      out.push({ scheduleId: scheduleIdOf(rb.id, gameDay.id), rb, gameDay, schedule: parsed.schedule });
    }
  }
  return out;
}

export function findGameDay(registry: RunbookRegistry, scheduleId: string): DeclaredGameDay | null {
  return declaredGameDays(registry).find((d) => d.scheduleId === scheduleId) ?? null;
}

const ms = (d: Duration | undefined): number | null => (d === undefined ? null : parseDuration(d));

export function fireSettings(gameDay: GameDay): FireSettings {
  const t = gameDay.targets ?? {};
  return {
    autoApprove: gameDay.autoApprove === true,
    rollback: gameDay.rollback !== false,
    inject: typeof gameDay.inject === 'function',
    detect: gameDay.detect
      ? { matchers: matcherSpecs(gameDay.detect.labels), withinMs: parseDuration(gameDay.detect.within) }
      : null,
    targets: {
      detectWithinMs: ms(t.detectWithin),
      mitigateWithinMs: ms(t.mitigateWithin),
      approvalWithinMs: ms(t.approvalWithin),
      maxFailedSteps: t.maxFailedSteps ?? 0,
    },
  };
}

function matcherSpecs(labels: Trigger): MatcherSpec[] {
  return compileTrigger(labels).map((m) => ({
    label: m.label,
    op: m.op,
    value: m.value,
    flags: m.regex?.flags ?? '',
  }));
}

/** The matchers of a stored snapshot, with the semantics of src/triggers/match.ts. */
export function compileMatcherSpecs(specs: readonly MatcherSpec[]): Matcher[] {
  return specs.flatMap((s) =>
    compileTrigger({ [s.label]: s.op === '=~' && s.flags ? new RegExp(s.value, s.flags) : s }),
  );
}
