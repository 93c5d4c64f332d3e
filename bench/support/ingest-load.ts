// The load tool of `npm run bench:ingest`, run as its own process so it never shares an event loop (or a
// core's worth of scheduling) with the server it measures. It posts every body of LOAD_FILE (one JSON body
// per line, in order) over LOAD_CONNECTIONS keep-alive connections and prints one JSON line: the latency
// of every request, the status counts, the wall time, its own CPU and run-queue time, and when each
// delivery that started runs was sent.
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { minus, type SchedTime, schedOf } from './proc-cpu.ts';

export interface LoadReport {
  wallMs: number;
  latencies: number[];
  statuses: Record<string, number>;
  /** The first few non-2xx answers or errors, verbatim. */
  failures: string[];
  /** This process's own CPU and run-queue time during the load. */
  sched: SchedTime;
  /** The deliveries whose answer named runs they started, with when they were sent (monoMs()). */
  runStarts: { sentMonoMs: number; runIds: string[] }[];
}

/**
 * CLOCK_MONOTONIC in milliseconds (microsecond digits): process.hrtime reads the machine's monotonic
 * clock, the same in every process, so the server's runbook step (bench/runbooks-ingest) can be timed
 * against it.
 */
function monoMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

const url = new URL(need('LOAD_URL'));
const token = need('LOAD_TOKEN');
const connections = Number(need('LOAD_CONNECTIONS'));
const bodies = readFileSync(need('LOAD_FILE'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => Buffer.from(line));
const agent = new Agent({ keepAlive: true, maxSockets: connections });

function post(body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          authorization: `Bearer ${token}`,
          'user-agent': 'Alertmanager/bench',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const report: LoadReport = {
  wallMs: 0,
  latencies: [],
  statuses: {},
  failures: [],
  sched: { cpuS: 0, waitS: 0 },
  runStarts: [],
};
let next = 0;
const worker = async () => {
  while (next < bodies.length) {
    const body = bodies[next++]!;
    const started = performance.now();
    // "Received" for first_step_*: the moment the request goes to the loopback socket, so any wait in
    // the server's accept and read queues counts, as it does for a real sender.
    const sentMonoMs = monoMs();
    let status: string;
    try {
      const res = await post(body);
      status = String(res.status);
      // Most answers (repeats of a group) start nothing; only those are parsed.
      if (res.status === 202 && !res.text.includes('"runIds":[]')) {
        const runIds = (JSON.parse(res.text) as { runIds?: string[] }).runIds ?? [];
        if (runIds.length > 0) report.runStarts.push({ sentMonoMs, runIds });
      }
      if ((res.status < 200 || res.status > 299) && report.failures.length < 5)
        report.failures.push(`${res.status} ${res.text}`);
    } catch (err) {
      status = 'error';
      if (report.failures.length < 5) report.failures.push((err as Error).message);
    }
    report.latencies.push(performance.now() - started);
    report.statuses[status] = (report.statuses[status] ?? 0) + 1;
  }
};
const schedStart = schedOf(process.pid);
const started = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
report.wallMs = performance.now() - started;
report.sched = minus(schedOf(process.pid), schedStart);
agent.destroy();
process.stdout.write(`${JSON.stringify(report)}\n`);
