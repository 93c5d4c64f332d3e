// Which Kubernetes object states are alerts. Pure: an object (as the API server returns it) and `now`
// in, the alerts that hold for it out. Alert names follow kube-prometheus (kubernetes-mixin) where it
// has one, so triggers written for Alertmanager's alerts (runbooks/crash-looping-pods.ts) match these.
import { stableLabelHash } from '../sources/common.ts';

export type KubeResource = 'pods' | 'nodes' | 'deployments';

/** A Node must be NotReady this long before it is an alert (kubelet restarts are shorter). */
export const NODE_NOT_READY_MS = 60_000;

export const ALERTNAMES = {
  crashLooping: 'KubePodCrashLooping',
  oomKilled: 'KubePodOOMKilled',
  imagePull: 'KubePodImagePullBackOff',
  nodeNotReady: 'KubeNodeNotReady',
  rolloutStuck: 'KubeDeploymentRolloutStuck',
} as const;

const RESOURCE_OF: Record<string, KubeResource> = {
  [ALERTNAMES.crashLooping]: 'pods',
  [ALERTNAMES.oomKilled]: 'pods',
  [ALERTNAMES.imagePull]: 'pods',
  [ALERTNAMES.nodeNotReady]: 'nodes',
  [ALERTNAMES.rolloutStuck]: 'deployments',
};

export interface KubeAlert {
  /** Identity of the alert: alertname, object and container, never the reason (ErrImagePull ⇄ ImagePullBackOff flips). */
  fingerprint: string;
  /** `<resource>/<namespace>/<name>`: the object the alert is about. */
  objectKey: string;
  /** One incident per alertname and workload (a Deployment's crash-looping pods are one incident). */
  groupKey: string;
  groupLabels: Record<string, string>;
  title: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date | null;
}

export interface Evaluation {
  alerts: KubeAlert[];
  /** When the object must be looked at again although nothing changes (a Node NotReady for < 1 min). */
  recheckAt: Date | null;
}

interface Meta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
}

interface ContainerStatus {
  name?: string;
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; finishedAt?: string };
  };
  lastState?: { terminated?: { reason?: string; finishedAt?: string; exitCode?: number } };
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

export interface KubeObject {
  metadata?: Meta & { resourceVersion?: string };
  status?: {
    containerStatuses?: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
    conditions?: Condition[];
  };
}

export function objectKey(resource: KubeResource, obj: KubeObject): string {
  return `${resource}/${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
}

/** The resource and object of an alert as stored (labels only), for alerts loaded from the database. */
export function locate(labels: Record<string, string>): { resource: KubeResource; objectKey: string } | null {
  const resource = RESOURCE_OF[labels.alertname ?? ''];
  if (!resource) return null;
  const name = resource === 'pods' ? labels.pod : resource === 'nodes' ? labels.node : labels.deployment;
  return {
    resource,
    objectKey: `${resource}/${resource === 'nodes' ? '' : (labels.namespace ?? '')}/${name ?? ''}`,
  };
}

export function evaluate(resource: KubeResource, obj: KubeObject, now: Date): Evaluation {
  if (resource === 'pods') return { alerts: podAlerts(obj, now), recheckAt: null };
  if (resource === 'nodes') return nodeAlerts(obj, now);
  return { alerts: deploymentAlerts(obj), recheckAt: null };
}

const clip = (s: string | undefined) => (s && s.length > 500 ? `${s.slice(0, 500)}…` : (s ?? ''));
const date = (s: string | undefined) => {
  const d = s ? new Date(s) : null;
  return d && !Number.isNaN(d.getTime()) ? d : null;
};

function build(
  resource: KubeResource,
  obj: KubeObject,
  groupLabels: Record<string, string>,
  labels: Record<string, string>,
  workload: string,
  summary: string,
  startsAt: Date | null,
): KubeAlert {
  const identity = { ...labels };
  delete identity.reason;
  const alertname = labels.alertname ?? '';
  return {
    fingerprint: stableLabelHash(identity),
    objectKey: objectKey(resource, obj),
    groupKey: [alertname, labels.namespace ?? '', workload].join('/'),
    groupLabels: { ...groupLabels, severity: 'warning' },
    title: `${alertname}: ${labels.namespace ? `${labels.namespace}/` : ''}${workload}`,
    labels: { ...labels, severity: 'warning' },
    annotations: { summary },
    startsAt,
  };
}

/** A Deployment's pod is owned by its ReplicaSet `<deployment>-<pod-template-hash>`. */
function workloadOf(meta: Meta): { deployment?: string; name: string } {
  const owner = meta.ownerReferences?.find((o) => o.controller) ?? meta.ownerReferences?.[0];
  const hash = meta.labels?.['pod-template-hash'];
  if (owner?.kind === 'ReplicaSet' && owner.name && hash && owner.name.endsWith(`-${hash}`)) {
    const deployment = owner.name.slice(0, -hash.length - 1);
    return { deployment, name: deployment };
  }
  if (owner?.kind && owner.name) return { name: `${owner.kind.toLowerCase()}/${owner.name}` };
  return { name: meta.name ?? '' };
}

function podAlerts(pod: KubeObject, now: Date): KubeAlert[] {
  const meta = pod.metadata ?? {};
  const namespace = meta.namespace ?? '';
  const podName = meta.name ?? '';
  const workload = workloadOf(meta);
  const deployment = workload.deployment ? { deployment: workload.deployment } : {};
  const out: KubeAlert[] = [];
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const c of statuses) {
    const container = c.name ?? '';
    const alert = (alertname: string, reason: string, summary: string, startsAt: Date | null) =>
      out.push(
        build(
          'pods',
          pod,
          { alertname, namespace, ...deployment },
          { alertname, namespace, pod: podName, container, reason, ...deployment },
          workload.name,
          summary,
          startsAt,
        ),
      );
    const waiting = c.state?.waiting;
    const where = `${namespace}/${podName} (${container})`;
    if (waiting?.reason === 'CrashLoopBackOff') {
      alert(
        ALERTNAMES.crashLooping,
        waiting.reason,
        `Pod ${where} is in CrashLoopBackOff. ${clip(waiting.message)}`.trim(),
        now,
      );
    }
    if (waiting?.reason === 'ImagePullBackOff' || waiting?.reason === 'ErrImagePull') {
      alert(
        ALERTNAMES.imagePull,
        waiting.reason,
        `Pod ${where} cannot pull its image: ${clip(waiting.message)}`.trim(),
        now,
      );
    }
    const oom = [c.state?.terminated, c.lastState?.terminated].find((t) => t?.reason === 'OOMKilled');
    if (oom) {
      alert(
        ALERTNAMES.oomKilled,
        'OOMKilled',
        `Container ${where} was OOMKilled (out of memory).`,
        date(oom.finishedAt) ?? now,
      );
    }
  }
  return out;
}

function nodeAlerts(node: KubeObject, now: Date): Evaluation {
  const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
  if (!ready || ready.status === 'True') return { alerts: [], recheckAt: null };
  const since = date(ready.lastTransitionTime) ?? now;
  const due = new Date(since.getTime() + NODE_NOT_READY_MS);
  if (now < due) return { alerts: [], recheckAt: due };
  const name = node.metadata?.name ?? '';
  const alertname = ALERTNAMES.nodeNotReady;
  const reason = ready.reason ?? (ready.status === 'Unknown' ? 'NodeStatusUnknown' : 'NotReady');
  const summary = `Node ${name} has been NotReady (Ready=${ready.status}) since ${since.toISOString()}. ${clip(ready.message)}`;
  return {
    alerts: [
      build(
        'nodes',
        node,
        { alertname, node: name },
        { alertname, node: name, reason, status: ready.status ?? '' },
        name,
        summary.trim(),
        since,
      ),
    ],
    recheckAt: null,
  };
}

function deploymentAlerts(d: KubeObject): KubeAlert[] {
  const progressing = d.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressing?.status !== 'False' || progressing.reason !== 'ProgressDeadlineExceeded') return [];
  const namespace = d.metadata?.namespace ?? '';
  const name = d.metadata?.name ?? '';
  const alertname = ALERTNAMES.rolloutStuck;
  const labels = { alertname, namespace, deployment: name, reason: progressing.reason };
  const summary = `Deployment ${namespace}/${name} exceeded its progress deadline: ${clip(progressing.message)}`;
  return [
    build(
      'deployments',
      d,
      { alertname, namespace, deployment: name },
      labels,
      name,
      summary,
      date(progressing.lastTransitionTime) ?? date(progressing.lastUpdateTime),
    ),
  ];
}
