// What one fire writes: the drill incident and the run it starts, built from the runbook a replica loaded.
// The write itself is one SQL call (src/db/functions/firebreak_gameday_fire.sql).
import { randomUUID } from 'node:crypto';
import { ValidationError } from '../core/errors.ts';
import { uuidv7 } from '../core/uuid.ts';
import type { FirePayload } from '../store/gameday-records.ts';
import { type DeclaredGameDay, fireSettings } from './game-days.ts';

export interface FireRequest {
  trigger: 'schedule' | 'manual';
  dueAt: Date;
  /** scheduled: "gameday:<schedule>"; manual: the caller ("api:alice", "cli:bob"). */
  requestedBy: string;
}

/** The run's input: the game day's, or the runbook input schema's defaults. Refused like any input. */
export function drillInput(decl: DeclaredGameDay): unknown {
  const parsed = decl.rb.runbook.options.input.safeParse(decl.gameDay.input ?? {});
  if (parsed.success) return parsed.data;
  throw new ValidationError(`input for game day ${decl.scheduleId} is invalid`, {
    issues: parsed.error.issues,
  });
}

export function firePayload(decl: DeclaredGameDay, req: FireRequest): NonNullable<FirePayload['fire']> {
  const { rb, gameDay, scheduleId } = decl;
  const fireId = randomUUID();
  const input = drillInput(decl);
  const dryRun = gameDay.mode === 'dry-run';
  const concurrency = rb.runbook.options.concurrency;
  // A dry-run drill changes nothing, so it does not take a slot from the real incidents of that key;
  // a live one does, as it applies real mitigations.
  const concurrencyKey = concurrency ? `${dryRun ? 'drill:' : ''}${rb.id}:${concurrency.key(input)}` : null;
  const settings = fireSettings(gameDay);
  return {
    id: fireId,
    due_at: req.dueAt.toISOString(),
    settings,
    inject: settings.inject,
    detect_within_ms: settings.detect?.withinMs ?? null,
    incident: {
      id: uuidv7(),
      title: `${rb.runbook.options.title}: game day ${gameDay.id}`,
      labels: { runbook: rb.id, gameday: gameDay.id, mode: gameDay.mode },
      group_key:
        req.trigger === 'schedule'
          ? `gameday:${scheduleId}:${req.dueAt.toISOString()}`
          : `gameday:${scheduleId}:manual:${fireId}`,
    },
    run: {
      id: uuidv7(),
      runbook_id: rb.id,
      runbook_version: rb.version,
      plan: rb.plan,
      input,
      dry_run: dryRun,
      idempotency_key: `gameday:${fireId}`,
      concurrency_key: concurrencyKey,
      requested_by: req.requestedBy,
    },
  };
}
