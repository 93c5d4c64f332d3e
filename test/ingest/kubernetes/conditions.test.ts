import { describe, expect, test } from 'vitest';
import { ALERTNAMES, evaluate, locate } from '../../../src/ingest/kubernetes/conditions.ts';
import { deployment, node, pod } from '../../support/fake-kubernetes.ts';

const now = new Date('2026-01-01T01:00:00Z');

describe('which Kubernetes states are alerts', () => {
  test('a container in CrashLoopBackOff: KubePodCrashLooping, grouped by its Deployment', () => {
    const [alert, ...rest] = evaluate(
      'pods',
      pod('prod', 'checkout-7d9f8b6c4-x2x9z', { waiting: 'CrashLoopBackOff' }),
      now,
    ).alerts;
    expect(rest).toEqual([]);
    expect(alert?.labels).toEqual({
      alertname: 'KubePodCrashLooping',
      namespace: 'prod',
      pod: 'checkout-7d9f8b6c4-x2x9z',
      container: 'app',
      reason: 'CrashLoopBackOff',
      deployment: 'checkout',
      severity: 'warning',
    });
    expect(alert?.groupKey).toBe('KubePodCrashLooping/prod/checkout');
    expect(alert?.objectKey).toBe('pods/prod/checkout-7d9f8b6c4-x2x9z');
    expect(locate(alert!.labels)).toEqual({ resource: 'pods', objectKey: alert?.objectKey });
  });

  test('OOMKilled as the last termination, and image pulls whose reason flips keep one identity', () => {
    const oom = evaluate('pods', pod('prod', 'api-6b5f-abcde', { lastTerminated: 'OOMKilled' }), now).alerts;
    expect(oom.map((a) => [a.labels.alertname, a.labels.reason])).toEqual([
      [ALERTNAMES.oomKilled, 'OOMKilled'],
    ]);
    const [err] = evaluate('pods', pod('prod', 'api-6b5f-abcde', { waiting: 'ErrImagePull' }), now).alerts;
    const [backoff] = evaluate(
      'pods',
      pod('prod', 'api-6b5f-abcde', { waiting: 'ImagePullBackOff' }),
      now,
    ).alerts;
    expect(err?.labels.alertname).toBe('KubePodImagePullBackOff');
    expect(err?.fingerprint).toBe(backoff?.fingerprint);
    expect(evaluate('pods', pod('prod', 'api-6b5f-abcde'), now).alerts).toEqual([]);
  });

  test('a Node NotReady is an alert after a minute of the injected clock, not before', () => {
    const thirty = evaluate('nodes', node('node-1', 'False', new Date(now.getTime() - 30_000)), now);
    expect(thirty.alerts).toEqual([]);
    expect(thirty.recheckAt).toEqual(new Date(now.getTime() + 30_000));
    const later = evaluate('nodes', node('node-1', 'Unknown', new Date(now.getTime() - 61_000)), now);
    expect(later.alerts.map((a) => a.labels)).toEqual([
      {
        alertname: 'KubeNodeNotReady',
        node: 'node-1',
        reason: 'NodeStatusUnknown',
        status: 'Unknown',
        severity: 'warning',
      },
    ]);
    expect(evaluate('nodes', node('node-1', 'True', now), now)).toEqual({ alerts: [], recheckAt: null });
  });

  test('a Deployment past its progress deadline: KubeDeploymentRolloutStuck (kubernetes-mixin)', () => {
    const [alert] = evaluate('deployments', deployment('prod', 'checkout', true), now).alerts;
    expect(alert?.labels).toMatchObject({
      alertname: 'KubeDeploymentRolloutStuck',
      namespace: 'prod',
      deployment: 'checkout',
      reason: 'ProgressDeadlineExceeded',
    });
    expect(evaluate('deployments', deployment('prod', 'checkout', false), now).alerts).toEqual([]);
  });
});
