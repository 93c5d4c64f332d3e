// Load-time checks of a runbook: each problem is reported with a reason instead of failing at run time.
import { describe, expect, test } from 'vitest';
import type { AnyRunbook } from '../../src/dsl/runbook.ts';
import type { StepDef } from '../../src/dsl/types.ts';
import { runbookProblems } from '../../src/dsl/validate.ts';
import { Runbook, runbook, z } from '../../src/index.ts';

const options = { id: 'checkout-errors', title: 'Checkout errors', input: z.object({ service: z.string() }) };
const noop = async () => ({ ok: true });

/** A runbook built without the typed builder, to express graphs the types would refuse. */
function handBuilt(steps: Partial<StepDef>[], opts: Partial<typeof options> = {}): AnyRunbook {
  const defs = steps.map((s) => ({ kind: 'diagnostic', needs: undefined, run: noop, ...s }) as StepDef);
  return new Runbook({ ...options, ...opts }, defs) as unknown as AnyRunbook;
}

const problems = (rb: unknown) => runbookProblems(rb as AnyRunbook);

describe('runbookProblems', () => {
  test('a well-formed runbook has none', () => {
    const rb = runbook(options)
      .diagnostic('errorRatio', noop)
      .diagnostic('recentDeploy', { needs: [] }, noop)
      .sleep('settle', { duration: '30s' })
      .mitigation('rollback', {
        needs: ['errorRatio', 'recentDeploy'],
        approval: { approvers: ['U1'], timeout: '15m' },
        apply: noop,
        revert: noop,
        verify: { after: '2m', check: () => true },
      });
    expect(problems(rb)).toEqual([]);
  });

  test('circuitBreaker: false, settings, or each bad field named', () => {
    const withBreaker = (circuitBreaker: unknown) =>
      problems(handBuilt([{ name: 'probe' }], { circuitBreaker } as Partial<typeof options>));
    expect(withBreaker(false)).toEqual([]);
    expect(withBreaker({ failures: 5, coolDown: '30s', maxWait: '10m' })).toEqual([]);
    expect(withBreaker({ failures: 0, coolDown: 'soon', retries: 2 })).toEqual([
      'circuitBreaker.failures: Too small: expected number to be >=1',
      'circuitBreaker.coolDown: invalid duration "soon" (use e.g. 500ms, 30s, 15m, 1h30m)',
      'circuitBreaker: Unrecognized key: "retries"',
    ]);
    expect(withBreaker(true)).toHaveLength(1);
  });

  test('a runbook without steps', () => {
    expect(problems(runbook(options))).toEqual(['runbook has no steps']);
  });

  test('duplicate step names', () => {
    const rb = runbook(options).diagnostic('probe', noop).diagnostic('probe', noop);
    expect(problems(rb)).toEqual(['step name "probe" is used twice']);
  });

  test('a need that names no step', () => {
    const rb = runbook(options)
      .diagnostic('a', noop)
      .diagnostic('b', { needs: ['ghost' as never] }, noop);
    expect(problems(rb)).toEqual(['step "b" needs "ghost", which does not exist']);
  });

  test('a cycle, named step by step', () => {
    const rb = handBuilt([
      { name: 'a', needs: ['c'] },
      { name: 'b', needs: ['a'] },
      { name: 'c', needs: ['b'] },
    ]);
    expect(problems(rb)).toEqual(['steps form a cycle: a -> c -> b -> a']);
  });

  test('a step that needs itself', () => {
    expect(problems(handBuilt([{ name: 'loop', needs: ['loop'] }]))).toEqual([
      'step "loop" needs itself',
      'steps form a cycle: loop -> loop',
    ]);
  });

  test('a step name that does not start with a letter', () => {
    expect(problems(handBuilt([{ name: '1st' }]))).toEqual(['step name "1st" must start with a letter']);
  });

  test.each([
    ['a step timeout', { name: 'a', timeout: '5 minutes' }, 'step "a" timeout: invalid duration "5 minutes"'],
    ['a negative timeout', { name: 'a', timeout: -5 }, 'step "a" timeout: invalid duration -5'],
    ['a sleep without duration', { name: 'nap', kind: 'sleep', sleep: {} }, 'step "nap" needs duration'],
    [
      'a sleep duration',
      { name: 'nap', kind: 'sleep', sleep: { duration: '1 hour' } },
      'step "nap" duration: invalid duration "1 hour"',
    ],
    [
      'an approval timeout',
      { name: 'gate', kind: 'approval', approval: { timeout: 'soon' } },
      'step "gate" timeout: invalid duration "soon"',
    ],
    [
      'a verify delay',
      {
        name: 'fix',
        kind: 'mitigation',
        mitigation: { apply: noop, revert: noop, verify: { after: '2x', check: noop } },
      },
      'step "fix" verify.after: invalid duration "2x"',
    ],
    [
      'a mitigation approval timeout',
      {
        name: 'fix',
        kind: 'mitigation',
        mitigation: { apply: noop, revert: noop, approval: { timeout: '' } },
      },
      'step "fix" approval.timeout: invalid duration ""',
    ],
  ] as [string, Partial<StepDef>, string][])('an invalid duration: %s', (_, step, problem) => {
    const [message] = problems(handBuilt([step]));
    expect(message).toContain(problem);
  });

  test('a mitigation without revert, a forEach concurrency below 1, a concurrency limit below 1', () => {
    const withoutRevert = { apply: noop } as unknown as NonNullable<StepDef['mitigation']>;
    const rb = handBuilt(
      [
        { name: 'fix', kind: 'mitigation', mitigation: withoutRevert },
        { name: 'each', kind: 'forEach', forEach: { items: () => [], run: noop, concurrency: 0 } },
      ],
      { concurrency: { key: () => 'k', limit: 0 } } as Partial<typeof options>,
    );
    expect(problems(rb)).toEqual([
      'mitigation "fix" has no revert function',
      'forEach "each" concurrency must be ≥ 1',
      'concurrency.limit must be ≥ 1',
    ]);
  });

  test('triggers and game-day schedules must parse', () => {
    const input = { service: 'checkout' };
    const rb = runbook({
      ...options,
      triggers: [{ alertname: 'HighErrorRate' }, { service: { op: '=~', value: '(unclosed' } }, {}],
      gameDays: [
        { id: 'ok', cron: '0 10 * * 3', timezone: 'Europe/Berlin', mode: 'dry-run', input },
        { id: 'typo', cron: '0 10 * *', mode: 'dry-run', input },
        { id: 'mars', cron: '0 10 * * 3', timezone: 'Mars/Olympus_Mons', mode: 'live', input },
      ],
    }).diagnostic('a', noop);
    const found = problems(rb);
    expect(found).toHaveLength(4);
    expect(found[0]).toMatch(/^trigger 2: .*unclosed/i);
    expect(found[1]).toBe('trigger 3 has no matchers (it would match every alert)');
    expect(found[2]).toMatch(/^game day typo: /);
    expect(found[3]).toMatch(/^game day mars: unknown time zone "Mars\/Olympus_Mons"/);
  });

  test('runbook id, title and input are checked', () => {
    const rb = handBuilt([{ name: 'a' }], { id: 'has spaces', title: '', input: {} as never });
    expect(problems(rb)).toEqual([
      'runbook id "has spaces" must be letters, digits, - _ .',
      'runbook title is empty',
      'input must be a zod schema',
    ]);
  });
});
