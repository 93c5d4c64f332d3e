// A three-step runbook whose steps do one observable thing each: they hand their context to `effect`,
// which records the call (a side_effects row in worker processes, a list in memory in-process). The
// step bodies are the same text in every process, so every process computes the same runbook version.
import { runbook, type StepContext, z } from '../../src/index.ts';

export const SIDE_EFFECT_STEPS = ['one', 'two', 'three'] as const;
export type SideEffectStep = (typeof SIDE_EFFECT_STEPS)[number];

export type StepEffect = (
  step: SideEffectStep,
  ctx: StepContext<{ i: number }, unknown>,
) => Promise<{ step: SideEffectStep; pid: number }>;

export function sideEffectRunbook(effect: StepEffect) {
  return runbook({
    id: 'side-effects',
    title: 'Three steps with recorded side effects',
    input: z.object({ i: z.number() }),
  })
    .diagnostic('one', (ctx) => effect('one', ctx))
    .diagnostic('two', (ctx) => effect('two', ctx))
    .diagnostic('three', (ctx) => effect('three', ctx));
}

/** Where worker processes record each step call; the test (or bench) creates it before workers start. */
export const createSideEffectsTableSql = `
CREATE TABLE IF NOT EXISTS side_effects (
  id bigserial PRIMARY KEY,
  run_id uuid NOT NULL,
  step text NOT NULL,
  idempotency_key text NOT NULL,
  attempt int NOT NULL,
  pid int NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
)`;

export interface SideEffectRow {
  runId: string;
  step: string;
  idempotencyKey: string;
  attempt: number;
  pid: number;
}

export const selectSideEffectsSql = `
SELECT run_id::text AS "runId", step, idempotency_key AS "idempotencyKey", attempt, pid
FROM side_effects ORDER BY id`;
