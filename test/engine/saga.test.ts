import { describe, expect, test } from 'vitest';
import { NonRetryableError, runbook, z } from '../../src/index.ts';
import { journal, testFirebreak } from '../support/engine.ts';

const input = z.object({});

/** A mitigation that records its apply and revert in `log`. */
function tracked(log: string[], name: string) {
  return {
    apply: async () => {
      log.push(`apply ${name}`);
      return { name };
    },
    revert: async ({ applied }: { applied: { name: string } }) => {
      log.push(`revert ${applied.name}`);
    },
  };
}

describe('the saga', () => {
  test('a failing step reverts the applied mitigations in reverse order of application', async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'saga', title: 'saga', input })
      .mitigation('drain', tracked(log, 'drain'))
      .mitigation('scale', tracked(log, 'scale'))
      .diagnostic('check', async () => {
        throw new NonRetryableError('still burning');
      });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('saga', {});
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ message: 'still burning' });
    expect(log).toEqual(['apply drain', 'apply scale', 'revert scale', 'revert drain']);

    const view = (await fb.view(run.id))!;
    const status = Object.fromEntries(view.steps.map((s) => [s.stepKey, s.status]));
    expect(status).toEqual({ drain: 'reverted', scale: 'reverted', check: 'failed' });
    const tail = view.events.filter((e) => e.type.startsWith('mitigation.') || e.type.startsWith('run.'));
    expect(tail.map((e) => [e.type, e.stepKey])).toEqual([
      ['run.created', null],
      ['mitigation.applied', 'drain'],
      ['mitigation.applied', 'scale'],
      ['run.compensating', null],
      ['mitigation.reverted', 'scale'],
      ['mitigation.reverted', 'drain'],
      ['run.compensated', null],
    ]);
  });

  test('a revert that keeps failing leaves the run revert_failed, loudly', async () => {
    let reverts = 0;
    const rb = runbook({ id: 'stuck', title: 'stuck', input })
      .mitigation('failover', {
        apply: async () => ({ to: 'eu-west' }),
        revert: async () => {
          reverts++;
          throw new Error('primary unreachable');
        },
        revertRetry: { maxAttempts: 2, initialDelayMs: 1 },
      })
      .diagnostic('check', async () => {
        throw new NonRetryableError('nope');
      });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('stuck', {});
    expect(run.status).toBe('revert_failed');
    expect(reverts).toBe(2);
    const view = (await fb.view(run.id))!;
    expect(view.steps.find((s) => s.stepKey === 'failover')).toMatchObject({
      status: 'revert_failed',
      error: { message: 'primary unreachable' },
    });
    const types = view.events.map((e) => e.type);
    expect(types).toContain('mitigation.revert_failed');
    expect(types.at(-1)).toBe('run.revert_failed');
    expect(view.attempts.filter((a) => a.phase === 'revert').map((a) => a.status)).toEqual([
      'failed',
      'failed',
    ]);
  });

  test('a failed verify reverts that mitigation and the earlier ones', async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'verify', title: 'verify', input })
      .mitigation('drain', tracked(log, 'drain'))
      .mitigation('restart', {
        ...tracked(log, 'restart'),
        verify: { check: async () => false },
      })
      .diagnostic('after', async () => {
        log.push('after');
        return 1;
      });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('verify', {});
    expect(run.status).toBe('compensated');
    expect(run.error).toMatchObject({ code: 'verify_failed' });
    expect(log).toEqual(['apply drain', 'apply restart', 'revert restart', 'revert drain']);
    const view = (await fb.view(run.id))!;
    expect(view.steps.map((s) => [s.stepKey, s.status]).sort()).toEqual([
      ['drain', 'reverted'],
      ['restart', 'reverted'],
    ]);
  });

  test("a failed verify with onFail 'continue' is recorded and the run goes on", async () => {
    const log: string[] = [];
    const rb = runbook({ id: 'lenient', title: 'lenient', input })
      .mitigation('restart', {
        ...tracked(log, 'restart'),
        verify: { check: async () => false, onFail: 'continue' },
      })
      .diagnostic('after', async () => {
        log.push('after');
        return 1;
      });
    await using fb = await testFirebreak([rb]);
    const run = await fb.run('lenient', {});
    expect(run.status).toBe('succeeded');
    expect(log).toEqual(['apply restart', 'after']);
    const types = await journal(fb, run.id);
    expect(types).toContain('mitigation.verify_failed');
    expect(types).not.toContain('mitigation.reverted');
  });
});
