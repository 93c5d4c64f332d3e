// The step graph: reading order as the default dependency, which steps may start, and drawing layers.
import { describe, expect, test } from 'vitest';
import { type GraphStep, layers, type ResolvedStep, readySteps, resolveNeeds } from '../../src/core/graph.ts';
import type { StepStatus } from '../../src/core/status.ts';

const step = (name: string, needs?: readonly string[]): GraphStep => ({ name, kind: 'diagnostic', needs });

/** errorRatio and recentDeploy fan out, rollback joins them, notify follows in reading order. */
const incident: ResolvedStep[] = resolveNeeds([
  step('errorRatio'),
  step('recentDeploy', []),
  step('rollback', ['errorRatio', 'recentDeploy']),
  step('notify'),
]);

const ready = (statuses: Record<string, StepStatus>) =>
  readySteps(incident, (name) => statuses[name]).map((s) => s.name);

describe('resolveNeeds', () => {
  test('a step without needs follows the one declared before it; the first starts at once', () => {
    expect(incident.map((s) => [s.name, s.needs])).toEqual([
      ['errorRatio', []],
      ['recentDeploy', []],
      ['rollback', ['errorRatio', 'recentDeploy']],
      ['notify', ['rollback']],
    ]);
  });

  test('keeps the kind', () => {
    expect(resolveNeeds([{ name: 'gate', kind: 'approval', needs: undefined }])).toEqual([
      { name: 'gate', kind: 'approval', needs: [] },
    ]);
  });
});

describe('readySteps', () => {
  test('at the start, every step without unmet needs is ready, in declaration order', () => {
    expect(ready({})).toEqual(['errorRatio', 'recentDeploy']);
  });

  test('a join waits for all of its needs', () => {
    expect(ready({ errorRatio: 'succeeded', recentDeploy: 'running' })).toEqual(['recentDeploy']);
    expect(ready({ errorRatio: 'succeeded', recentDeploy: 'succeeded' })).toEqual(['rollback']);
  });

  test('a skipped need counts as met', () => {
    expect(ready({ errorRatio: 'skipped', recentDeploy: 'succeeded' })).toEqual(['rollback']);
    expect(ready({ errorRatio: 'succeeded', recentDeploy: 'succeeded', rollback: 'skipped' })).toEqual([
      'notify',
    ]);
  });

  test('a failed, rejected or expired need blocks what needs it', () => {
    for (const blocked of ['failed', 'rejected', 'expired', 'pending'] as const) {
      expect(ready({ errorRatio: 'succeeded', recentDeploy: blocked })).not.toContain('rollback');
    }
  });

  test('a step that has finished is never ready again', () => {
    const done = { errorRatio: 'succeeded', recentDeploy: 'succeeded', rollback: 'succeeded' } as const;
    for (const finished of ['succeeded', 'skipped', 'failed', 'reverted', 'revert_failed'] as const) {
      expect(ready({ ...done, notify: finished })).toEqual([]);
    }
  });

  test('a step left running or awaiting approval by an earlier pass is ready to resume', () => {
    expect(ready({ errorRatio: 'running', recentDeploy: 'awaiting_approval' })).toEqual([
      'errorRatio',
      'recentDeploy',
    ]);
  });
});

describe('layers', () => {
  test('a step sits one layer below the deepest step it needs', () => {
    expect(Object.fromEntries(layers(incident))).toEqual({
      errorRatio: 0,
      recentDeploy: 0,
      rollback: 1,
      notify: 2,
    });
  });

  test('a cycle does not hang the drawing', () => {
    const cyclic = resolveNeeds([step('a', ['b']), step('b', ['a'])]);
    expect([...layers(cyclic).keys()].sort()).toEqual(['a', 'b']);
  });
});
