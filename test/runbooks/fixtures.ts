// API answers the runbook tests stub: the shapes Prometheus and Kubernetes really send, cut down to the
// fields the runbooks read.
import type { StubReply } from 'firebreak/testing';

/** A Prometheus instant-query answer with one sample per value (none: an empty vector). */
export function vector(...values: (number | { labels: Record<string, string>; value: number })[]): StubReply {
  return {
    json: {
      status: 'success',
      data: {
        resultType: 'vector',
        result: values.map((v) =>
          typeof v === 'number'
            ? { metric: {}, value: [1767225600, String(v)] }
            : { metric: v.labels, value: [1767225600, String(v.value)] },
        ),
      },
    },
  };
}

export function podTemplate(app: string, image: string, hash: string) {
  return {
    metadata: { labels: { app, 'pod-template-hash': hash } },
    spec: { containers: [{ name: app, image }] },
  };
}

export function deployment(ns: string, name: string, revision: number, image: string): StubReply {
  return {
    json: {
      kind: 'Deployment',
      metadata: {
        name,
        namespace: ns,
        annotations: { 'deployment.kubernetes.io/revision': String(revision) },
      },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: name } },
        template: podTemplate(name, image, 'x'),
      },
    },
  };
}

export interface Rev {
  revision: number;
  image: string;
  created: string;
}

/** The ReplicaSets of a Deployment, one per revision. */
export function replicaSets(ns: string, name: string, revs: readonly Rev[]): StubReply {
  return {
    json: {
      kind: 'ReplicaSetList',
      items: revs.map((r) => ({
        metadata: {
          name: `${name}-${r.revision}abc`,
          namespace: ns,
          creationTimestamp: r.created,
          annotations: { 'deployment.kubernetes.io/revision': String(r.revision) },
          ownerReferences: [{ kind: 'Deployment', name }],
        },
        spec: { template: podTemplate(name, r.image, `h${r.revision}`) },
      })),
    },
  };
}

export interface PodSpec {
  name: string;
  restarts: number;
  reason?: string;
}

export function pods(list: readonly PodSpec[]): StubReply {
  return {
    json: {
      kind: 'PodList',
      items: list.map((p) => ({
        metadata: { name: p.name },
        spec: { nodeName: 'node-a' },
        status: {
          phase: 'Running',
          containerStatuses: [
            {
              name: 'app',
              restartCount: p.restarts,
              state: p.reason ? { waiting: { reason: p.reason } } : { running: {} },
              lastState: p.restarts > 0 ? { terminated: { reason: 'Error', exitCode: 1 } } : {},
            },
          ],
        },
      })),
    },
  };
}
