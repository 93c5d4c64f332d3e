// The load of a chaos run, sent the way real clients send it: runs started through the API with an
// idempotency key and sent again (to any serve) until one answers, a scripted approver deciding gates
// through the API, and webhook deliveries resent until acknowledged, as Alertmanager does.
import type { Fleet } from './fleet.ts';

export const TOKENS = {
  operator: 'chaos-operator-token',
  approver: 'chaos-approver-token',
  alertmanager: 'chaos-alertmanager-token',
  generic: 'chaos-generic-token',
  grafana: 'chaos-grafana-token',
};

/** API_TOKENS for the fleet: the loader starts runs, another identity approves (never the requester). */
export const apiTokens = `${TOKENS.operator}=operator:chaos-loader,${TOKENS.approver}=approver:chaos-approver`;

export interface ChaosInput {
  i: number;
  approve: boolean;
  verifyOk: boolean;
}

/** What the input decides: about one in seven gates is rejected, one in ten verifies fails. */
export function inputFor(i: number): ChaosInput {
  return { i, approve: i % 7 !== 3, verifyOk: i % 10 !== 5 };
}

/** The end a run of this input must reach. */
export function expectedStatus(input: ChaosInput): 'succeeded' | 'compensated' | 'failed' {
  if (!input.approve) return 'failed'; // rejected before anything was applied: nothing to revert
  return input.verifyOk ? 'succeeded' : 'compensated';
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** One request to a random serve that answers now; throws on a network error or a 5xx. */
async function call(
  fleet: Fleet,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const urls = fleet.serveUrls();
  if (urls.length === 0) throw new Error('no serve answers');
  const url = urls[Math.floor(Math.random() * urls.length)]!;
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status >= 500) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/** Sends until it goes through, backing off like a client library; gives up at `deadline`. */
async function untilAnswered<T>(deadline: number, send: () => Promise<T>): Promise<T | null> {
  for (let delay = 100; Date.now() < deadline; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await send();
    } catch {
      await sleep(delay);
    }
  }
  return null;
}

/**
 * Starts `runs` runs evenly over `durationMs`, each sent again until a serve confirms it; `created` gets
 * run index → run id as confirmations arrive. Resolves with the number of requests sent again.
 */
export async function startRuns(
  fleet: Fleet,
  runs: number,
  durationMs: number,
  deadline: number,
  created: Map<number, string>,
): Promise<number> {
  let resent = 0;
  const t0 = Date.now();
  await Promise.all(
    Array.from({ length: runs }, async (_, i) => {
      await sleep(t0 + (i * durationMs) / runs - Date.now());
      let tries = 0;
      const reply = await untilAnswered(deadline, async () => {
        if (tries++ > 0) resent += 1;
        const r = await call(fleet, 'POST', '/api/runs', TOKENS.operator, {
          runbook: 'chaos',
          input: inputFor(i),
          idempotencyKey: `chaos-${i}`,
        });
        if (r.status !== 200 && r.status !== 201) throw new Error(`start run ${i}: ${r.status}`);
        return r.json as { runId: string };
      });
      if (reply) created.set(i, reply.runId);
    }),
  );
  return resent;
}

/** Decides every pending gate of the load's runs as their input says, through the API, until stopped. */
export function startApprover(fleet: Fleet, created: Map<number, string>) {
  const byRun = () => new Map([...created].map(([i, id]) => [id, i]));
  const settled = new Set<string>();
  let stopped = false;
  let decisions = 0;
  const loop = (async () => {
    while (!stopped) {
      await sleep(200);
      try {
        const { json } = await call(fleet, 'GET', '/api/approvals?status=pending', TOKENS.approver);
        const runs = byRun();
        for (const a of (json as { approvals: { id: string; runId: string }[] }).approvals) {
          const i = runs.get(a.runId);
          if (i === undefined || settled.has(a.id)) continue;
          const approve = inputFor(i).approve;
          const r = await call(
            fleet,
            'POST',
            `/api/approvals/${a.id}/${approve ? 'approve' : 'reject'}`,
            TOKENS.approver,
            approve ? {} : { reason: 'chaos: the input says reject' },
          );
          // 409: decided already (an answer lost on the way): settled all the same.
          if (r.status === 200 || r.status === 409) settled.add(a.id);
          if (r.status === 200) decisions += 1;
        }
      } catch {
        // A serve died under the request: the next round asks another.
      }
    }
  })();
  return {
    get decisions() {
      return decisions;
    },
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

export interface Delivery {
  source: 'alertmanager' | 'generic' | 'grafana';
  groupKey: string;
  acknowledgedAt: number | null;
  attempts: number;
}

/** One alert group per delivery, spread over three sources, each sent until a serve acknowledges it. */
export async function sendAlerts(
  fleet: Fleet,
  count: number,
  durationMs: number,
  deadline: number,
): Promise<Delivery[]> {
  const t0 = Date.now();
  const sources = ['alertmanager', 'generic', 'grafana'] as const;
  return Promise.all(
    Array.from({ length: count }, async (_, k) => {
      await sleep(t0 + (k * durationMs) / count - Date.now());
      const source = sources[k % sources.length]!;
      const { groupKey, body } = alertBody(source, k);
      const delivery: Delivery = { source, groupKey, acknowledgedAt: null, attempts: 0 };
      const token = TOKENS[source];
      await untilAnswered(deadline, async () => {
        delivery.attempts += 1;
        const r = await call(fleet, 'POST', `/webhooks/${source}`, token, body);
        if (r.status < 200 || r.status > 299) throw new Error(`webhook ${source}: ${r.status}`);
        delivery.acknowledgedAt = Date.now();
      });
      return delivery;
    }),
  );
}

function alertBody(source: Delivery['source'], k: number): { groupKey: string; body: unknown } {
  const service = `chaos-svc-${k}`;
  const labels = { alertname: 'ChaosAlert', service, severity: 'critical' };
  const startsAt = new Date().toISOString();
  if (source === 'generic') {
    const id = `chaos-generic-${k}`;
    return { groupKey: id, body: { id, status: 'firing', title: `chaos ${k}`, labels, startsAt } };
  }
  const groupKey = `chaos-${source}:{}:{service="${service}"}`;
  const alert = {
    status: 'firing',
    labels,
    annotations: { summary: `chaos alert ${k}` },
    startsAt,
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: `chaos-${source}-${k}`,
  };
  return {
    groupKey,
    body: {
      receiver: 'firebreak',
      status: 'firing',
      alerts: [alert],
      groupLabels: { service },
      commonLabels: labels,
      commonAnnotations: {},
      externalURL: source === 'grafana' ? 'http://grafana:3000/' : 'http://alertmanager:9093',
      version: source === 'grafana' ? '1' : '4',
      groupKey,
      truncatedAlerts: 0,
      ...(source === 'grafana' ? { orgId: 1, title: `chaos ${k}`, state: 'alerting', message: '' } : {}),
    },
  };
}
