// A Kubernetes API server for tests: the list and watch layouts of the documented REST API for Pods,
// Nodes and Deployments (https://kubernetes.io/docs/reference/using-api/api-concepts/), nothing more.
// It refuses what the real one refuses: no or a wrong bearer token (401 Status), another method (405),
// a path it does not serve (404), a bad `watch` or `limit` value (400). A watch is a chunked stream of
// JSON lines that stays open and gets each change as it is made; a watch from a resourceVersion older
// than the kept history gets 410 Gone (as an ERROR event in the stream, as the API server sends it, or
// as an HTTP 410). Tests drive it: set/delete objects, drop the open watches, compact the history.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Resource = 'pods' | 'nodes' | 'deployments';

const KINDS: Record<Resource, { group: string; kind: string; apiVersion: string; namespaced: boolean }> = {
  pods: { group: '/api/v1', kind: 'Pod', apiVersion: 'v1', namespaced: true },
  nodes: { group: '/api/v1', kind: 'Node', apiVersion: 'v1', namespaced: false },
  deployments: { group: '/apis/apps/v1', kind: 'Deployment', apiVersion: 'apps/v1', namespaced: true },
};

export interface KubeObj {
  metadata: { name: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  [k: string]: unknown;
}

interface Change {
  rv: number;
  resource: Resource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: KubeObj;
}

interface Watch {
  resource: Resource;
  namespace: string | null;
  res: ServerResponse;
}

export interface RequestRecord {
  path: string;
  query: Record<string, string>;
  status: number;
  /** What came in the Authorization header, if anything (tests check it is the configured token). */
  authorization: string | null;
}

export class FakeKubernetes {
  readonly requests: RequestRecord[] = [];
  private server: Server | null = null;
  private rv = 1000;
  /** Changes older than this resourceVersion are forgotten: watching from before it is 410 Gone. */
  private oldest = 0;
  private readonly objects = new Map<string, { resource: Resource; object: KubeObj }>();
  private readonly history: Change[] = [];
  private readonly watches = new Set<Watch>();
  /** Watches are answered 200 and ended at once, empty (a proxy that cuts long requests). */
  emptyWatches = false;
  /** How a watch from a compacted resourceVersion is refused. */
  goneAs: 'event' | 'status' = 'event';
  url = '';

  /** The bearer token it accepts; a test rotates it. */
  constructor(public token: string) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.dropWatches();
    await new Promise<void>((r) => this.server?.close(() => r()) ?? r());
  }

  /** Creates or replaces an object (ADDED or MODIFIED to the watches that see it). */
  set(resource: Resource, object: KubeObj): void {
    const key = keyOf(resource, object);
    const type = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    this.change(resource, type, object);
  }

  delete(resource: Resource, namespace: string | undefined, name: string): void {
    const key = keyOf(resource, { metadata: { name, ...(namespace ? { namespace } : {}) } });
    const held = this.objects.get(key);
    if (held) this.change(resource, 'DELETED', held.object);
  }

  /** A BOOKMARK with the current resourceVersion to every open watch. */
  bookmark(): void {
    for (const w of this.watches) {
      const { kind, apiVersion } = KINDS[w.resource];
      this.send(w, {
        type: 'BOOKMARK',
        object: { kind, apiVersion, metadata: { resourceVersion: String(this.rv) } },
      });
    }
  }

  /** Cuts every open watch mid-stream (the socket is destroyed, the chunked body never ends). */
  dropWatches(): void {
    for (const w of this.watches) w.res.socket?.destroy();
    this.watches.clear();
  }

  /** Forgets the history up to now: a watch from an older resourceVersion is 410 Gone. */
  compact(): void {
    this.oldest = this.rv + 1;
    this.history.length = 0;
  }

  get openWatches(): number {
    return this.watches.size;
  }

  get resourceVersion(): string {
    return String(this.rv);
  }

  private change(resource: Resource, type: Change['type'], object: KubeObj): void {
    this.rv += 1;
    const stamped = { ...object, metadata: { ...object.metadata, resourceVersion: String(this.rv) } };
    const key = keyOf(resource, stamped);
    if (type === 'DELETED') this.objects.delete(key);
    else this.objects.set(key, { resource, object: stamped });
    const c: Change = { rv: this.rv, resource, type, object: stamped };
    this.history.push(c);
    for (const w of this.watches) if (sees(w, c)) this.send(w, this.event(c));
  }

  private event(c: Change) {
    const { kind, apiVersion } = KINDS[c.resource];
    return { type: c.type, object: { kind, apiVersion, ...c.object } };
  }

  private send(w: Watch, event: unknown): void {
    w.res.write(`${JSON.stringify(event)}\n`);
  }

  /** Returns what was sent, so each refusal reads `return status(…)`. */
  private answer(req: IncomingMessage, res: ServerResponse): ServerResponse {
    const url = new URL(req.url ?? '/', 'http://fake');
    const query = Object.fromEntries(url.searchParams);
    const record = (status: number) =>
      this.requests.push({
        path: url.pathname,
        query,
        status,
        authorization: req.headers.authorization ?? null,
      });
    const status = (code: number, reason: string, message: string): ServerResponse => {
      record(code);
      res.writeHead(code, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message,
          reason,
          code,
        }),
      );
    };
    if (req.headers.authorization !== `Bearer ${this.token}`)
      return status(401, 'Unauthorized', 'Unauthorized');
    if (req.method !== 'GET')
      return status(405, 'MethodNotAllowed', `the server does not allow ${req.method} here`);
    const route = this.route(url.pathname);
    if (!route)
      return status(404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    const watch = query.watch;
    if (watch !== undefined && !['1', 'true', 'false', '0'].includes(watch)) {
      return status(400, 'BadRequest', `invalid watch value ${watch}`);
    }
    if (query.limit !== undefined && !/^\d+$/.test(query.limit))
      return status(400, 'BadRequest', 'invalid limit');
    if (watch === '1' || watch === 'true') return this.watch(route, query, res, record, status);
    record(200);
    const items = [...this.objects.values()]
      .filter((o) => o.resource === route.resource && inNamespace(route.namespace, o.object))
      .map((o) => o.object);
    const { kind, apiVersion } = KINDS[route.resource];
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(
      JSON.stringify({
        kind: `${kind}List`,
        apiVersion,
        metadata: { resourceVersion: String(this.rv) },
        items,
      }),
    );
  }

  private watch(
    route: { resource: Resource; namespace: string | null },
    query: Record<string, string>,
    res: ServerResponse,
    record: (s: number) => void,
    status: (code: number, reason: string, message: string) => ServerResponse,
  ): ServerResponse {
    const from = Number(query.resourceVersion ?? this.rv);
    if (!Number.isInteger(from)) return status(400, 'BadRequest', 'invalid resourceVersion');
    const tooOld = from < this.oldest - 1;
    if (tooOld && this.goneAs === 'status') {
      return status(410, 'Expired', `too old resource version: ${from} (${this.oldest})`);
    }
    record(200);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: Watch = { ...route, res };
    if (this.emptyWatches) return res.end();
    if (tooOld) {
      this.send(w, {
        type: 'ERROR',
        object: {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `too old resource version: ${from} (${this.oldest})`,
          reason: 'Expired',
          code: 410,
        },
      });
      return res.end();
    }
    for (const c of this.history) if (c.rv > from && sees(w, c)) this.send(w, this.event(c));
    this.watches.add(w);
    res.on('close', () => this.watches.delete(w));
    return res;
  }

  private route(path: string): { resource: Resource; namespace: string | null } | null {
    for (const [resource, k] of Object.entries(KINDS) as [Resource, (typeof KINDS)[Resource]][]) {
      if (path === `${k.group}/${resource}`) return { resource, namespace: null };
      const m = new RegExp(`^${k.group}/namespaces/([a-z0-9-]+)/${resource}$`).exec(path);
      if (m && k.namespaced) return { resource, namespace: m[1]! };
    }
    return null;
  }
}

function keyOf(resource: Resource, o: KubeObj): string {
  return `${resource}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

function inNamespace(namespace: string | null, o: KubeObj): boolean {
  return namespace === null || o.metadata.namespace === namespace;
}

function sees(w: Watch, c: Change): boolean {
  return w.resource === c.resource && inNamespace(w.namespace, c.object);
}

// ---- objects as the API server returns them ----

export function pod(
  namespace: string,
  name: string,
  container: { waiting?: string; lastTerminated?: string; message?: string } = {},
): KubeObj {
  const hash = name.split('-').at(-2) ?? 'hash';
  const deployment = name.split('-').slice(0, -2).join('-');
  return {
    metadata: {
      name,
      namespace,
      uid: `uid-${namespace}-${name}`,
      labels: { app: deployment, 'pod-template-hash': hash },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `${deployment}-${hash}`,
          controller: true,
          uid: 'rs',
        },
      ],
    },
    spec: { nodeName: 'node-1', containers: [{ name: 'app', image: `registry.example/${deployment}:1` }] },
    status: {
      phase: container.waiting ? 'Pending' : 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: !container.waiting,
          restartCount: container.waiting === 'CrashLoopBackOff' ? 5 : 0,
          image: `registry.example/${deployment}:1`,
          state: container.waiting
            ? {
                waiting: {
                  reason: container.waiting,
                  message: container.message ?? 'back-off restarting failed container',
                },
              }
            : { running: { startedAt: '2026-01-01T00:00:00Z' } },
          ...(container.lastTerminated
            ? {
                lastState: {
                  terminated: {
                    reason: container.lastTerminated,
                    exitCode: 137,
                    finishedAt: '2026-01-01T00:00:00Z',
                  },
                },
              }
            : {}),
        },
      ],
    },
  };
}

export function node(name: string, ready: 'True' | 'False' | 'Unknown', since: Date): KubeObj {
  return {
    metadata: { name, uid: `uid-${name}` },
    status: {
      conditions: [
        {
          type: 'MemoryPressure',
          status: 'False',
          reason: 'KubeletHasSufficientMemory',
          lastTransitionTime: since.toISOString(),
        },
        {
          type: 'Ready',
          status: ready,
          reason:
            ready === 'True' ? 'KubeletReady' : ready === 'False' ? 'KubeletNotReady' : 'NodeStatusUnknown',
          message:
            ready === 'True' ? 'kubelet is posting ready status' : 'Kubelet stopped posting node status.',
          lastHeartbeatTime: since.toISOString(),
          lastTransitionTime: since.toISOString(),
        },
      ],
    },
  };
}

export function deployment(namespace: string, name: string, stuck: boolean): KubeObj {
  return {
    metadata: { name, namespace, uid: `uid-${namespace}-${name}`, generation: 3 },
    spec: { replicas: 2, progressDeadlineSeconds: 600 },
    status: {
      observedGeneration: 3,
      conditions: [
        {
          type: 'Available',
          status: 'True',
          reason: 'MinimumReplicasAvailable',
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
        stuck
          ? {
              type: 'Progressing',
              status: 'False',
              reason: 'ProgressDeadlineExceeded',
              message: `ReplicaSet "${name}-5d8f9c7b6" has timed out progressing.`,
              lastTransitionTime: '2026-01-01T00:10:00Z',
              lastUpdateTime: '2026-01-01T00:10:00Z',
            }
          : {
              type: 'Progressing',
              status: 'True',
              reason: 'NewReplicaSetAvailable',
              lastTransitionTime: '2026-01-01T00:00:00Z',
              lastUpdateTime: '2026-01-01T00:00:00Z',
            },
      ],
    },
  };
}
