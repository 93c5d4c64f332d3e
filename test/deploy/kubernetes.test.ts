// deploy/kubernetes: each overlay rendered with `kubectl kustomize` (Debian's kubectl) and every object
// checked against the Kubernetes API schemas, twice: kubernetes-models' validators (the OpenAPI
// schemas compiled with ajv: types, required fields, enums, formats) and its TypeScript declarations
// under tsc, whose excess-property check refuses a field the API does not have — what
// `kubectl apply --validate=strict` refuses, and what a mis-indented YAML line becomes. ServiceMonitor
// and PrometheusRule are checked against the prometheus-operator CRD schemas the same way. Then what the
// manifests must say: probes, non-root read-only pods, secrets as files, the RBAC docs/authoring.md
// lists, the rules of observability/prometheus-rules.yml, selectors that select.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OVERLAYS = ['pglite', 'postgres'] as const;

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

function render(overlay: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', join(ROOT, 'deploy/kubernetes/overlays', overlay)], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${overlay}: ${r.stderr}`);
  return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
}

const rendered = Object.fromEntries(OVERLAYS.map((o) => [o, render(o)])) as Record<
  (typeof OVERLAYS)[number],
  K8sObject[]
>;

/** Where kubernetes-models keeps the model (class, validator, TypeScript interface) of an API version. */
function modelPath(apiVersion: string): string {
  return apiVersion.includes('monitoring.coreos.com')
    ? `@kubernetes-models/prometheus-operator/${apiVersion}`
    : `kubernetes-models/${apiVersion}`;
}

async function validate(obj: K8sObject): Promise<void> {
  const models = (await import(modelPath(obj.apiVersion))) as Record<
    string,
    new (
      data: unknown,
    ) => { validate(): void }
  >;
  const Model = models[obj.kind];
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

const tmp = join(ROOT, 'test/.tmp', `k8s-${process.pid}`);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Type-checks objects as literals of their API types; returns tsc's output. */
function strictFields(objects: K8sObject[], extra = ''): { status: number | null; output: string } {
  mkdirSync(tmp, { recursive: true });
  const imports = new Set<string>();
  const lines = objects.map((o, i) => {
    imports.add(`import type { I${o.kind} } from '${modelPath(o.apiVersion)}/${o.kind}';`);
    return `export const o${i}: I${o.kind} = ${JSON.stringify(o, null, 2)};`;
  });
  writeFileSync(join(tmp, 'objects.ts'), `${[...imports].join('\n')}\n${lines.join('\n')}\n${extra}`);
  writeFileSync(
    join(tmp, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        exactOptionalPropertyTypes: true,
        module: 'nodenext',
        target: 'es2023',
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['objects.ts'],
    }),
  );
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', tmp], {
    encoding: 'utf8',
  });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const byKind = (objects: K8sObject[], kind: string, name?: string) =>
  objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  ports?: { name: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  serviceAccountName?: string;
  securityContext?: Record<string, unknown>;
  containers: Container[];
  volumes?: {
    name: string;
    secret?: { secretName: string };
    persistentVolumeClaim?: { claimName: string };
  }[];
  terminationGracePeriodSeconds?: number;
}
const podSpec = (d: K8sObject) => (d.spec as { template: { spec: PodSpec } }).template.spec;
const env = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

describe.each(OVERLAYS)('overlay %s', (overlay) => {
  const objects = rendered[overlay];

  test('every object validates against its API schema (types, required fields, enums)', async () => {
    expect(objects.length).toBeGreaterThan(10);
    for (const o of objects) {
      await expect(validate(o), `${o.kind}/${o.metadata.name}`).resolves.toBeUndefined();
    }
  });

  test('no object has a field its API does not define', () => {
    // The control: a mis-indented probe must be refused, or this check proves nothing.
    const typo = structuredClone(byKind(objects, 'Deployment', 'firebreak')[0]!);
    (podSpec(typo).containers[0] as unknown as Record<string, unknown>).readinesProbe = { periodSeconds: 5 };
    const control = `import type { IDeployment as ControlDeployment } from 'kubernetes-models/apps/v1/Deployment';\n// @ts-expect-error readinesProbe is not a Container field\nexport const typo: ControlDeployment = ${JSON.stringify(typo)};\n`;
    const r = strictFields(objects, control);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  test('serve: /healthz liveness, /readyz readiness, a startup probe; non-root, read-only, secrets as files', () => {
    const [serve] = byKind(objects, 'Deployment', 'firebreak');
    const pod = podSpec(serve!);
    const [c] = pod.containers;
    expect(c!.args).toEqual(['serve']);
    expect(c!.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(c!.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c!.startupProbe!.httpGet).toEqual({ path: '/healthz', port: 'http' });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001 });
    expect(c!.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
    });
    expect(c!.resources?.requests?.memory).toBeDefined();
    expect(c!.resources?.limits?.memory).toBeDefined();
    expect(pod.serviceAccountName).toBe('firebreak');
    // Longer than FIREBREAK_SHUTDOWN_GRACE_MS (25 s): the process ends its shutdown before SIGKILL.
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(25);
    // Credentials as files from the Secret, never as values in the manifest.
    expect(env(c!)).toMatchObject({
      HOST: '0.0.0.0',
      API_TOKENS_FILE: '/run/secrets/firebreak/API_TOKENS',
      ALERTMANAGER_TOKEN_FILE: '/run/secrets/firebreak/ALERTMANAGER_TOKEN',
    });
    expect(
      Object.keys(env(c!)).filter((k) => /TOKEN|SECRET|DATABASE_URL/.test(k) && !k.endsWith('_FILE')),
    ).toEqual([]);
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({ secret: expect.objectContaining({ secretName: 'firebreak' }) }),
    );
  });

  test('selectors select: the Service, PDBs and ServiceMonitor find the pods and Services they mean', () => {
    const deployments = byKind(objects, 'Deployment');
    const labelsOf = (d: K8sObject) =>
      (d.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    const selects = (selector: Record<string, string>, labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    for (const d of deployments) {
      const sel = (d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels;
      expect(selects(sel, labelsOf(d))).toBe(true);
      const pdbs = byKind(objects, 'PodDisruptionBudget').filter((p) =>
        selects(
          (p.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
          labelsOf(d),
        ),
      );
      expect(pdbs, `a PodDisruptionBudget for ${d.metadata.name}`).toHaveLength(1);
    }
    const [service] = byKind(objects, 'Service', 'firebreak');
    const serveLabels = labelsOf(byKind(objects, 'Deployment', 'firebreak')[0]!);
    expect(selects((service!.spec as { selector: Record<string, string> }).selector, serveLabels)).toBe(true);
    const [monitor] = byKind(objects, 'ServiceMonitor');
    const monitored = byKind(objects, 'Service').filter((s) =>
      selects(
        (monitor!.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels,
        s.metadata.labels ?? {},
      ),
    );
    expect(monitored.map((s) => s.metadata.name).sort()).toEqual(
      byKind(objects, 'Service')
        .map((s) => s.metadata.name)
        .sort(),
    );
  });

  test('the PrometheusRule carries observability/prometheus-rules.yml unchanged', () => {
    const [rule] = byKind(objects, 'PrometheusRule');
    const rules = parse(readFileSync(join(ROOT, 'observability/prometheus-rules.yml'), 'utf8')) as {
      groups: unknown;
    };
    expect(rule!.spec!.groups).toEqual(rules.groups);
  });

  test('RBAC grants the example runbooks exactly what docs/authoring.md lists, in the namespace they act on', () => {
    const [role] = byKind(objects, 'ClusterRole', 'firebreak-runbooks');
    const grants = new Set<string>();
    for (const r of (role as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules) {
      for (const res of r.resources) for (const v of r.verbs) grants.add(`${v} ${res}`);
    }
    expect([...grants].sort()).toEqual(
      [
        'get deployments',
        'get replicasets',
        'get persistentvolumeclaims',
        'get cronjobs',
        'get jobs',
        'get certificates',
        'list pods',
        'list replicasets',
        'get pods/log',
        'patch deployments',
        'patch persistentvolumeclaims',
        'patch certificates/status',
        'create jobs',
        'delete jobs',
        'delete pods',
      ].sort(),
    );
    const doc = readFileSync(join(ROOT, 'docs/authoring.md'), 'utf8');
    expect(doc).toContain('`get` on deployments, replicasets, persistentvolumeclaims');
    const [binding] = byKind(objects, 'RoleBinding', 'firebreak-runbooks');
    expect(binding!.metadata.namespace).toBe('prod');
    expect(binding!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'firebreak', namespace: 'firebreak' },
    ]);
    expect(
      byKind(objects, 'ClusterRole').flatMap((r) =>
        (r as unknown as { rules: { verbs: string[] }[] }).rules.flatMap((x) => x.verbs),
      ),
    ).not.toContain('*');
  });
});

describe('what differs between the overlays', () => {
  test('PGlite: one replica, Recreate, its data on a volume, no workers, no DATABASE_URL', () => {
    const objects = rendered.pglite;
    const deployments = byKind(objects, 'Deployment');
    expect(deployments.map((d) => d.metadata.name)).toEqual(['firebreak']);
    const spec = deployments[0]!.spec as { replicas: number; strategy: { type: string } };
    expect(spec.replicas).toBe(1);
    expect(spec.strategy.type).toBe('Recreate');
    const pod = podSpec(deployments[0]!);
    expect(pod.containers[0]!.volumeMounts).toContainEqual(
      expect.objectContaining({ name: 'data', mountPath: '/data' }),
    );
    expect(pod.volumes).toContainEqual(
      expect.objectContaining({ persistentVolumeClaim: { claimName: 'firebreak-data' } }),
    );
    expect(byKind(objects, 'PersistentVolumeClaim', 'firebreak-data')).toHaveLength(1);
    expect(env(pod.containers[0]!).DATABASE_URL_FILE).toBeUndefined();
  });

  test('PostgreSQL: serve x2, workers with probes on their metrics port, DATABASE_URL from the Secret', () => {
    const objects = rendered.postgres;
    const [serve] = byKind(objects, 'Deployment', 'firebreak');
    const [worker] = byKind(objects, 'Deployment', 'firebreak-worker');
    expect((serve!.spec as { replicas: number }).replicas).toBe(2);
    expect((worker!.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(1);
    const w = podSpec(worker!).containers[0]!;
    expect(w.args).toEqual(['worker']);
    expect(env(w)).toMatchObject({
      FIREBREAK_METRICS_PORT: '9464',
      DATABASE_URL_FILE: '/run/secrets/firebreak/DATABASE_URL',
    });
    expect(w.ports).toEqual([{ name: 'metrics', containerPort: 9464 }]);
    expect(w.livenessProbe!.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(w.readinessProbe!.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(w.startupProbe!.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(env(podSpec(serve!).containers[0]!).DATABASE_URL_FILE).toBe('/run/secrets/firebreak/DATABASE_URL');
    const [monitor] = byKind(objects, 'ServiceMonitor');
    expect((monitor!.spec as { endpoints: { port: string }[] }).endpoints.map((e) => e.port)).toEqual([
      'http',
      'metrics',
    ]);
  });

  test('the example Secret holds every key the overlays read', async () => {
    const secret = parse(
      readFileSync(join(ROOT, 'deploy/kubernetes/secret.example.yaml'), 'utf8'),
    ) as K8sObject & {
      stringData: Record<string, string>;
    };
    await validate(secret);
    const wanted = new Set<string>();
    for (const objects of Object.values(rendered)) {
      for (const d of byKind(objects, 'Deployment')) {
        for (const c of podSpec(d).containers) {
          for (const v of Object.values(env(c))) {
            if (v?.startsWith('/run/secrets/firebreak/'))
              wanted.add(v.slice('/run/secrets/firebreak/'.length));
          }
        }
      }
    }
    expect([...wanted].sort()).toEqual(Object.keys(secret.stringData).sort());
  });
});

describe('the kubernetes-watch component (FIREBREAK_KUBERNETES_WATCH)', () => {
  /** An overlay of one's own: the PostgreSQL overlay with the component added, as docs/kubernetes.md says. */
  function renderWithWatch(): K8sObject[] {
    const dir = join(tmp, 'watch-overlay');
    mkdirSync(dir, { recursive: true });
    const rel = (p: string) => relative(dir, join(ROOT, p));
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ${rel('deploy/kubernetes/overlays/postgres')}\ncomponents:\n  - ${rel('deploy/kubernetes/components/kubernetes-watch')}\n`,
    );
    const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`kubectl kustomize: ${r.stderr}`);
    return parseAllDocuments(r.stdout).map((d) => d.toJS() as K8sObject);
  }

  test('renders valid objects: serve watches, and the service account may list and watch pods, deployments and nodes', async () => {
    const objects = renderWithWatch();
    for (const o of objects) {
      await expect(validate(o), `${o.kind}/${o.metadata.name}`).resolves.toBeUndefined();
    }
    expect(strictFields(objects).output).toBe('');
    const [serve] = byKind(objects, 'Deployment', 'firebreak');
    expect(env(podSpec(serve!).containers[0]!)).toMatchObject({
      FIREBREAK_KUBERNETES_WATCH: 'true',
      DATABASE_URL_FILE: expect.any(String),
    });
    const [worker] = byKind(objects, 'Deployment').filter((d) => d.metadata.name !== 'firebreak');
    expect(env(podSpec(worker!).containers[0]!).FIREBREAK_KUBERNETES_WATCH).toBeUndefined();
    const [role] = byKind(objects, 'ClusterRole', 'firebreak-kubernetes-watch');
    const grants = (role as unknown as { rules: { resources: string[]; verbs: string[] }[] }).rules.flatMap(
      (r) => r.resources.flatMap((res) => r.verbs.map((v) => `${v} ${res}`)),
    );
    expect(grants.sort()).toEqual(
      [
        'list pods',
        'watch pods',
        'list nodes',
        'watch nodes',
        'list deployments',
        'watch deployments',
      ].sort(),
    );
    const [binding] = byKind(objects, 'ClusterRoleBinding', 'firebreak-kubernetes-watch');
    expect(binding!.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'firebreak', namespace: 'firebreak' },
    ]);
    // Without the component nothing watches and nothing may.
    expect(byKind(rendered.postgres, 'ClusterRole', 'firebreak-kubernetes-watch')).toEqual([]);
  });
});
