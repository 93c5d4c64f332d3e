// Compile-time checks of the runbook DSL. Not a test file: `npm run typecheck` (tsc --noEmit) checks it,
// and typing.test.ts compiles a copy without the @ts-expect-error lines to prove each marks a real error.
import { runbook, z } from '../../src/index.ts';

/** True only when A and B are the same type (not merely assignable, so `any` does not pass). */
type Exact<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export const highErrorRate = runbook({
  id: 'high-error-rate',
  title: 'Elevated 5xx ratio',
  input: z.object({ service: z.string(), replicas: z.number() }),
  // @ts-expect-error replicas is a number, not a string
  fromAlert: (alert) => ({ service: alert.labels.service ?? 'api', replicas: '3' }),
})
  .diagnostic('errorRatio', async () => ({ ratio: 0.12 }))
  .diagnostic('recentDeploy', { needs: [] }, async ({ input }) => ({ sha: input.service, minutesAgo: 7 }))
  .diagnostic('summary', { needs: ['errorRatio', 'recentDeploy'] }, async ({ steps, input }) => {
    const ratio: number = steps.errorRatio.ratio;
    const ratioIsNumber: Exact<typeof steps.errorRatio.ratio, number> = true;
    const shaIsString: Exact<typeof steps.recentDeploy.sha, string> = true;
    // @ts-expect-error a number is not a string
    const asText: string = steps.errorRatio.ratio;
    // @ts-expect-error service is a string, not a number
    const replicas: number = input.service;
    return { ratio, ratioIsNumber, shaIsString, asText, replicas };
  })
  .mitigation('rollback', {
    needs: ['errorRatio', 'recentDeploy'],
    when: ({ steps }) => steps.recentDeploy.minutesAgo < 30 && steps.errorRatio.ratio > 0.05,
    apply: async ({ steps }) => ({ from: steps.recentDeploy.sha, to: 'previous' }),
    revert: async ({ applied }) => applied.from.toUpperCase(),
  });

// @ts-expect-error nope is not a step of this runbook
highErrorRate.diagnostic('late', { needs: ['nope'] }, async () => 1);

highErrorRate.diagnostic('later', async ({ steps }) => {
  const rolledBackTo: string = steps.rollback.to;
  // @ts-expect-error no step is called nope
  return [rolledBackTo, steps.nope];
});

highErrorRate.diagnostic('readsTooMuch', async ({ steps }) => {
  // @ts-expect-error the output of errorRatio has no count
  return steps.errorRatio.count;
});

highErrorRate.diagnostic('narrowed', { needs: ['errorRatio'] }, async ({ steps }) => {
  // @ts-expect-error recentDeploy is not among this step's needs
  return [steps.errorRatio.ratio, steps.recentDeploy.sha];
});

highErrorRate.mitigation('scaleUp', {
  // @ts-expect-error nope is not a step of this runbook
  needs: ['errorRatio', 'nope'],
  apply: async () => ({ replicas: 6 }),
  revert: async () => {},
});

// One approval policy for both places: a mitigation's gate takes the summary an approval step takes,
// built from the same typed steps (docs/authoring.md shows it on a mitigation).
highErrorRate.mitigation('rollbackAgain', {
  needs: ['errorRatio', 'recentDeploy'],
  approval: {
    groups: ['sre-oncall'],
    summary: ({ steps }) => `roll back ${steps.recentDeploy.sha} (5xx ${steps.errorRatio.ratio})`,
  },
  apply: async () => ({ to: 'previous' }),
  revert: async () => {},
});

highErrorRate.mitigation('rollbackBadSummary', {
  needs: ['errorRatio'],
  approval: {
    // @ts-expect-error the summary is built from this step's needs: recentDeploy is not among them
    summary: ({ steps }) => `roll back ${steps.recentDeploy.sha}`,
  },
  apply: async () => ({ to: 'previous' }),
  revert: async () => {},
});

// A budget's scope is a function of the typed input, and returns a string.
highErrorRate.mitigation('scaleUp', {
  budget: { max: 3, per: '1h', scope: (input) => input.service },
  apply: async () => ({}),
  revert: async () => {},
});
highErrorRate.mitigation('scaleDown', {
  // @ts-expect-error the input has no namespace
  budget: { max: 3, per: '1h', scope: (input) => input.namespace },
  apply: async () => ({}),
  revert: async () => {},
});
highErrorRate.mitigation('restart', {
  // @ts-expect-error a scope is a string (replicas is a number)
  budget: { max: 3, per: '1h', scope: (input) => input.replicas },
  apply: async () => ({}),
  revert: async () => {},
});
