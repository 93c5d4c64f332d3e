// The slice of the Kubernetes API the runbooks use: Deployments and their ReplicaSets (rollout history,
// roll back), Pods (restarts, logs, delete), PersistentVolumeClaims (resize) and Jobs from CronJobs.
// Plain REST through `ctx.http`; paths are the documented API paths (cert-manager: cert-manager.ts).
// https://kubernetes.io/docs/reference/kubernetes-api/
import { createHash } from 'node:crypto';
import { endpoints } from './endpoints.ts';
import { type Http, type RequestOptions, requestJson, requestText } from './http.ts';

type Labels = Record<string, string>;

interface Meta {
  name: string;
  namespace?: string;
  creationTimestamp?: string;
  labels?: Labels;
  annotations?: Labels;
  ownerReferences?: { kind: string; name: string }[];
}

export interface PodTemplate {
  metadata?: { labels?: Labels; annotations?: Labels };
  spec: { containers: { name: string; image: string }[] } & Record<string, unknown>;
}

interface Deployment {
  metadata: Meta;
  spec: { selector: { matchLabels?: Labels }; template: PodTemplate; replicas?: number };
}

interface ReplicaSet {
  metadata: Meta;
  spec: { template: PodTemplate };
}

interface ContainerStatus {
  name: string;
  restartCount: number;
  state?: { waiting?: { reason?: string }; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

interface Pod {
  metadata: Meta;
  spec: { nodeName?: string };
  status: { phase?: string; containerStatuses?: ContainerStatus[] };
}

export interface Revision {
  revision: number;
  replicaSet: string;
  createdAt: string;
  images: string[];
  template: PodTemplate;
}

export interface PodSummary {
  name: string;
  phase: string;
  node: string | null;
  restarts: number;
  /** Why a container is not running (CrashLoopBackOff, Error, OOMKilled…), if one is not. */
  reason: string | null;
  lastExitCode: number | null;
  containers: string[];
}

export interface PvcSummary {
  name: string;
  storageClass: string | null;
  requested: string;
  capacity: string | null;
}

export interface JobSummary {
  name: string;
  active: number;
  succeeded: number;
  failed: number;
}

/** Marks what firebreak changed, so a retried apply sees its own earlier write and does not repeat it. */
export const IDEMPOTENCY_ANNOTATION = 'firebreak.dev/idempotency-key';

const selector = (labels: Labels) =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

export const enc = encodeURIComponent;

/** A JSON call to the API server at `path`, with the configured token. */
export function kubeCall(http: Http, base = endpoints().kubernetes) {
  return <T>(path: string, opts: RequestOptions = {}) =>
    requestJson<T>(http, `${base.url}${path}`, { endpoint: base, ...opts });
}

export function kubernetes(http: Http, base = endpoints().kubernetes) {
  const call = kubeCall(http, base);
  const apps = (ns: string) => `/apis/apps/v1/namespaces/${enc(ns)}`;
  const core = (ns: string) => `/api/v1/namespaces/${enc(ns)}`;

  const getDeployment = (ns: string, name: string) =>
    call<Deployment>(`${apps(ns)}/deployments/${enc(name)}`);

  return {
    /** The Deployment's revisions (its ReplicaSets), newest first, like `kubectl rollout history`. */
    async rolloutHistory(ns: string, name: string): Promise<Revision[]> {
      const d = await getDeployment(ns, name);
      const list = await call<{ items: ReplicaSet[] }>(
        `${apps(ns)}/replicasets?labelSelector=${enc(selector(d.spec.selector.matchLabels ?? {}))}`,
      );
      return list.items
        .filter((rs) => rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === name))
        .map((rs) => ({
          revision: Number(rs.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? 0),
          replicaSet: rs.metadata.name,
          createdAt: rs.metadata.creationTimestamp ?? '',
          images: rs.spec.template.spec.containers.map((c) => c.image),
          template: rs.spec.template,
        }))
        .sort((a, b) => b.revision - a.revision);
    },

    /**
     * Puts `revision`'s pod template back, as `kubectl rollout undo` does (the rollback endpoint left the
     * API in 1.16): the Deployment controller then rolls out a new revision with that template.
     */
    async rollBackTo(ns: string, name: string, revision: Revision, idempotencyKey: string) {
      const d = await getDeployment(ns, name);
      if (d.metadata.annotations?.[IDEMPOTENCY_ANNOTATION] === idempotencyKey) return { alreadyDone: true };
      const labels = { ...revision.template.metadata?.labels };
      delete labels['pod-template-hash'];
      const template = { ...revision.template, metadata: { ...revision.template.metadata, labels } };
      await call(`${apps(ns)}/deployments/${enc(name)}`, {
        method: 'PATCH',
        contentType: 'application/json-patch+json',
        body: [
          { op: 'replace', path: '/spec/template', value: template },
          {
            op: 'add',
            path: `/metadata/annotations/${IDEMPOTENCY_ANNOTATION.replace('/', '~1')}`,
            value: idempotencyKey,
          },
        ],
      });
      return { alreadyDone: false };
    },

    async listPods(ns: string, labels: Labels): Promise<PodSummary[]> {
      const list = await call<{ items: Pod[] }>(`${core(ns)}/pods?labelSelector=${enc(selector(labels))}`);
      return list.items.map(summarizePod);
    },

    /** The last lines of a container's log; `previous` reads the crashed instance. */
    podLog(
      ns: string,
      pod: string,
      opts: { container?: string; previous?: boolean; tailLines?: number } = {},
    ) {
      const params = new URLSearchParams({ tailLines: String(opts.tailLines ?? 100) });
      if (opts.container) params.set('container', opts.container);
      if (opts.previous) params.set('previous', 'true');
      return requestText(http, `${base.url}${core(ns)}/pods/${enc(pod)}/log?${params}`, { endpoint: base });
    },

    /** Deleting a Deployment's pod restarts it: its ReplicaSet creates a new one. Gone already is fine. */
    async deletePod(ns: string, pod: string): Promise<void> {
      await call(`${core(ns)}/pods/${enc(pod)}`, { method: 'DELETE', tolerate: [404] });
    },

    async getPvc(ns: string, name: string): Promise<PvcSummary> {
      const pvc = await call<{
        metadata: Meta;
        spec: { storageClassName?: string; resources: { requests: { storage: string } } };
        status?: { capacity?: { storage?: string } };
      }>(`${core(ns)}/persistentvolumeclaims/${enc(name)}`);
      return {
        name: pvc.metadata.name,
        storageClass: pvc.spec.storageClassName ?? null,
        requested: pvc.spec.resources.requests.storage,
        capacity: pvc.status?.capacity?.storage ?? null,
      };
    },

    async allowsExpansion(storageClass: string): Promise<boolean> {
      const sc = await call<{ allowVolumeExpansion?: boolean }>(
        `/apis/storage.k8s.io/v1/storageclasses/${enc(storageClass)}`,
      );
      return sc.allowVolumeExpansion === true;
    },

    /** Asks for a bigger volume; the storage driver grows it online where it can. Never shrinks. */
    async resizePvc(ns: string, name: string, storage: string): Promise<void> {
      await call(`${core(ns)}/persistentvolumeclaims/${enc(name)}`, {
        method: 'PATCH',
        contentType: 'application/merge-patch+json',
        body: { spec: { resources: { requests: { storage } } } },
      });
    },

    /**
     * Starts a Job from a CronJob's template, like `kubectl create job --from=cronjob/<name>`. The Job's
     * name comes from the idempotency key, so a retried apply finds the Job it created (409) instead of
     * starting a second one.
     */
    async runCronJobNow(ns: string, cronJob: string, idempotencyKey: string): Promise<string> {
      const cj = await call<{ spec: { jobTemplate: { metadata?: { labels?: Labels }; spec: unknown } } }>(
        `/apis/batch/v1/namespaces/${enc(ns)}/cronjobs/${enc(cronJob)}`,
      );
      const suffix = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 8);
      const name = `${cronJob.slice(0, 48)}-fb-${suffix}`;
      await call(`/apis/batch/v1/namespaces/${enc(ns)}/jobs`, {
        method: 'POST',
        tolerate: [409],
        body: {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: {
            name,
            labels: cj.spec.jobTemplate.metadata?.labels ?? {},
            annotations: {
              'cronjob.kubernetes.io/instantiate': 'manual',
              [IDEMPOTENCY_ANNOTATION]: idempotencyKey,
            },
          },
          spec: cj.spec.jobTemplate.spec,
        },
      });
      return name;
    },

    async getJob(ns: string, name: string): Promise<JobSummary> {
      const job = await call<{ status?: { active?: number; succeeded?: number; failed?: number } }>(
        `/apis/batch/v1/namespaces/${enc(ns)}/jobs/${enc(name)}`,
      );
      return {
        name,
        active: job.status?.active ?? 0,
        succeeded: job.status?.succeeded ?? 0,
        failed: job.status?.failed ?? 0,
      };
    },

    /** Deletes a Job and its pods (stops it if it still runs). Gone already is fine. */
    async deleteJob(ns: string, name: string): Promise<void> {
      await call(`/apis/batch/v1/namespaces/${enc(ns)}/jobs/${enc(name)}`, {
        method: 'DELETE',
        body: { propagationPolicy: 'Background' },
        tolerate: [404],
      });
    },
  };
}

export type Kubernetes = ReturnType<typeof kubernetes>;

function summarizePod(p: Pod): PodSummary {
  const statuses = p.status.containerStatuses ?? [];
  const notRunning = statuses.find((s) => s.state?.waiting || s.state?.terminated);
  const reason = notRunning?.state?.waiting?.reason ?? notRunning?.state?.terminated?.reason ?? null;
  const last = statuses.map((s) => s.lastState?.terminated?.exitCode).find((c) => c !== undefined);
  return {
    name: p.metadata.name,
    phase: p.status.phase ?? 'Unknown',
    node: p.spec.nodeName ?? null,
    restarts: statuses.reduce((n, s) => n + s.restartCount, 0),
    reason,
    lastExitCode: last ?? null,
    containers: statuses.map((s) => s.name),
  };
}
