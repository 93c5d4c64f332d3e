// The example runbooks inside a cluster: runbooks/lib reaches the API server as the pod's service account
// (KUBERNETES_SERVICE_HOST/PORT, the mounted token and ca.crt), through a step's own ctx.http. A local
// HTTPS server with a certificate from a throw-away CA (openssl) stands in for the API server; it
// accepts only the token that is current, as an API server refuses an expired projected token.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runbook, z } from 'firebreak';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Endpoint, parseEndpoints } from '../../runbooks/lib/endpoints.ts';
import { kubernetes } from '../../runbooks/lib/kubernetes.ts';
import { createFirebreak, type Firebreak } from '../../src/firebreak.ts';
import { testDatabase } from '../support/db.ts';
import { pods } from './fixtures.ts';

const dir = mkdtempSync(join(tmpdir(), 'firebreak-incluster-'));
const account = join(dir, 'serviceaccount');

function openssl(...args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A cluster CA and an API server certificate it signed, for 127.0.0.1 and kubernetes.default.svc. */
function makeCertificates(): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '1',
    '-subj',
    '/CN=cluster-ca',
  );
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=kube-apiserver');
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'san.cnf',
  );
}

/** Rotates the token the way the kubelet does: a new file swapped in atomically. */
function mountToken(token: string): void {
  writeFileSync(join(account, 'token.next'), token);
  renameSync(join(account, 'token.next'), join(account, 'token'));
}

let apiServer: Server;
let port: number;
let validToken = 'token-1';
const seen: { path: string; authorization: string | undefined; status: number }[] = [];

function startApiServer(): Promise<void> {
  apiServer = createServer(
    { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.crt')) },
    (req, res) => {
      const auth = req.headers.authorization;
      const status =
        auth !== `Bearer ${validToken}`
          ? 401
          : req.url?.startsWith('/api/v1/namespaces/prod/pods?')
            ? 200
            : 404;
      seen.push({ path: req.url ?? '', authorization: auth, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      if (status === 200) {
        res.end(JSON.stringify((pods([{ name: 'checkout-1', restarts: 3 }]) as { json: unknown }).json));
        return;
      }
      // The Status object the API server answers with.
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          message: status === 401 ? 'Unauthorized' : 'the server could not find the requested resource',
          reason: status === 401 ? 'Unauthorized' : 'NotFound',
          code: status,
        }),
      );
    },
  );
  return new Promise((resolve) =>
    apiServer.listen(0, '127.0.0.1', () => {
      port = (apiServer.address() as AddressInfo).port;
      resolve();
    }),
  );
}

const inCluster = () =>
  parseEndpoints({
    KUBERNETES_SERVICE_HOST: '127.0.0.1',
    KUBERNETES_SERVICE_PORT: String(port),
    KUBERNETES_SERVICE_ACCOUNT_DIR: account,
  }).kubernetes;

beforeAll(async () => {
  makeCertificates();
  mkdirSync(account, { recursive: true });
  writeFileSync(join(account, 'ca.crt'), readFileSync(join(dir, 'ca.crt')));
  mountToken('token-1');
  await startApiServer();
});

afterAll(async () => {
  await new Promise((r) => apiServer.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('inside a pod, the runbooks act as its service account', () => {
  let fb: Firebreak;
  let endpoint: Endpoint;
  const listPods = runbook({ id: 'list-pods', title: 'List checkout pods', input: z.object({}) }).diagnostic(
    'pods',
    async ({ http }) => {
      const list = await kubernetes(http, endpoint).listPods('prod', { app: 'checkout' });
      return { names: list.map((p) => p.name), restarts: list.map((p) => p.restarts) };
    },
  );

  beforeAll(async () => {
    endpoint = inCluster();
    const db = await testDatabase();
    // The engine's own ctx.http (global fetch), so the CA trust travels through a real step.
    fb = await createFirebreak({ databaseUrl: db.databaseUrl, dataDir: db.dataDir, runbooks: [listPods] });
  });
  afterAll(() => fb.close());

  test('the cluster API server, its CA and the mounted token are used', async () => {
    expect(endpoint).toMatchObject({
      url: `https://127.0.0.1:${port}`,
      tokenFile: join(account, 'token'),
      source: 'in-cluster service account',
    });
    const run = await fb.run('list-pods', {}, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect((await fb.view(run.id))?.steps[0]?.output).toEqual({ names: ['checkout-1'], restarts: [3] });
    expect(seen.at(-1)).toMatchObject({ authorization: 'Bearer token-1', status: 200 });
  });

  test('a rotated token is read from the file at the next request; the old one is no longer sent', async () => {
    validToken = 'token-2'; // the API server refuses token-1 from now on
    mountToken('token-2');
    const before = seen.length;
    const run = await fb.run('list-pods', {}, { timeoutMs: 30_000 });
    expect(run.status).toBe('succeeded');
    expect(seen.slice(before)).toEqual([
      expect.objectContaining({ authorization: 'Bearer token-2', status: 200 }),
    ]);
  });

  test('without the cluster CA the API server is not trusted', async () => {
    const { caFile: _, ...untrusted } = endpoint;
    const error = await kubernetes(fetch, untrusted)
      .listPods('prod', { app: 'checkout' })
      .catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error & { cause?: { code?: string } }).cause?.code)).toMatch(
      /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/,
    );
  });
});

describe('which Kubernetes the runbooks reach', () => {
  test('an explicit KUBERNETES_API_URL wins over the pod service account, with its own token file', () => {
    const e = parseEndpoints({
      KUBERNETES_API_URL: 'https://other-cluster.example:6443/',
      KUBERNETES_TOKEN_FILE: '/secrets/k8s-token',
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_ACCOUNT_DIR: account,
    }).kubernetes;
    expect(e).toMatchObject({
      url: 'https://other-cluster.example:6443',
      tokenFile: '/secrets/k8s-token',
      source: 'KUBERNETES_API_URL',
    });
  });

  test('an IPv6 service address is bracketed; outside a pod it is kubectl proxy with an optional token', () => {
    const v6 = parseEndpoints({
      KUBERNETES_SERVICE_HOST: 'fd00::1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_ACCOUNT_DIR: account,
    }).kubernetes;
    expect(v6.url).toBe('https://[fd00::1]:443');
    const proxy = parseEndpoints({ KUBERNETES_TOKEN: 'abc' }).kubernetes;
    expect(proxy).toMatchObject({ url: 'http://127.0.0.1:8001', token: 'abc', source: 'kubectl proxy' });
    // A service host without a mounted token (automountServiceAccountToken: false) is not "in cluster".
    const noToken = parseEndpoints({
      KUBERNETES_SERVICE_HOST: '10.0.0.1',
      KUBERNETES_SERVICE_ACCOUNT_DIR: join(dir, 'absent'),
    }).kubernetes;
    expect(noToken.url).toBe('http://127.0.0.1:8001');
  });

  test('a token and its _FILE form at once is refused, naming both', () => {
    expect(() => parseEndpoints({ DB_ADMIN_TOKEN: 'x', DB_ADMIN_TOKEN_FILE: '/y' })).toThrow(
      /set DB_ADMIN_TOKEN or DB_ADMIN_TOKEN_FILE, not both/,
    );
  });
});
