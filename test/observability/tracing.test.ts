// OpenTelemetry spans: a span per run execution and, as its children, a span per step attempt, with
// the ids as attributes; a parked run resumes in a new run span linked by run.id. With no endpoint
// configured nothing subscribes: not even a globally registered provider sees a span. With one, spans
// reach an OTLP/HTTP collector.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, test } from 'vitest';
import { parseConfig } from '../../src/config/config.ts';
import { silentLogger } from '../../src/core/logger.ts';
import { runbook, z } from '../../src/index.ts';
import { startObservability } from '../../src/observability/observability.ts';
import { IncidentStore } from '../../src/store/incidents.ts';
import { observedFailing, observedOk } from '../fixtures/runbooks-observability/observed.ts';
import { testFirebreak } from '../support/engine.ts';
import { testServer } from '../support/server.ts';
import { until } from '../support/until.ts';
import { OBSERVED_RUNBOOKS } from './support.ts';

/** Sleeps past the in-memory wait limit, so the run parks and is claimed again to go on. */
const napper = runbook({ id: 'napper', title: 'Parks once', input: z.object({}) })
  .diagnostic('before', async () => ({ ok: true }))
  .sleep('nap', { duration: 300 })
  .diagnostic('after', async () => ({ ok: true }));

const stepsOf = (spans: ReadableSpan[], runId: string) =>
  spans
    .filter((s) => s.name.startsWith('step ') && s.attributes['run.id'] === runId)
    .sort((a, b) => a.startTime[0] - b.startTime[0] || a.startTime[1] - b.startTime[1]);

describe('with an exporter', () => {
  test('a run span per run and a child span per step attempt, with ids and outcomes', async () => {
    const exporter = new InMemorySpanExporter();
    await using fb = await testFirebreak([observedOk, observedFailing]);
    const obs = startObservability({
      config: parseConfig({}),
      engine: fb.engine,
      driver: fb.store.driver,
      incidents: new IncidentStore(fb.store.driver),
      logger: silentLogger,
      spanExporter: exporter,
    });
    try {
      const ok = await fb.run('observed-ok', { service: 'web' });
      const failed = await fb.run('observed-failing', { service: 'db' });
      expect([ok.status, failed.status]).toEqual(['succeeded', 'failed']);
      await obs.tracing!.flush();
      const spans = exporter.getFinishedSpans();

      const okRun = spans.find((s) => s.name === 'run observed-ok' && s.attributes['run.id'] === ok.id);
      expect(okRun?.attributes).toMatchObject({
        'run.id': ok.id,
        'runbook.id': 'observed-ok',
        'run.status': 'succeeded',
        'worker.id': fb.engine.workerId,
      });
      expect(okRun?.status.code).not.toBe(SpanStatusCode.ERROR);
      const okSteps = stepsOf(spans, ok.id);
      expect(okSteps.map((s) => [s.name, s.attributes['step.attempt'], s.attributes['step.status']])).toEqual(
        [
          ['step inspect', 1, 'succeeded'],
          ['step recover', 1, 'retrying'],
          ['step recover', 2, 'succeeded'],
        ],
      );
      for (const s of okSteps) {
        expect(s.parentSpanContext?.spanId).toBe(okRun!.spanContext().spanId);
        expect(s.spanContext().traceId).toBe(okRun!.spanContext().traceId);
        expect(s.attributes).toMatchObject({ 'runbook.id': 'observed-ok', 'step.kind': 'diagnostic' });
      }
      expect(okSteps[1]?.status).toEqual({
        code: SpanStatusCode.ERROR,
        message: 'first attempt always fails',
      });
      expect(okSteps[1]?.attributes['step.retry_delay_ms']).toBe(20);

      const failedRun = spans.find((s) => s.attributes['run.id'] === failed.id && s.name.startsWith('run '));
      expect(failedRun?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'run failed' });
      expect(failedRun?.attributes['run.status']).toBe('failed');
      const doomed = stepsOf(spans, failed.id);
      expect(doomed.map((s) => s.attributes['step.status'])).toEqual(['retrying', 'retrying', 'failed']);
      expect(doomed[2]?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'db is unreachable' });
    } finally {
      await obs.close();
    }
  });

  test('a parked run resumes in a new run span (a new trace) linked by run.id', async () => {
    const exporter = new InMemorySpanExporter();
    await using fb = await testFirebreak([napper], { engine: { inlineWaitMaxMs: 50 } });
    const obs = startObservability({
      config: parseConfig({}),
      engine: fb.engine,
      driver: fb.store.driver,
      incidents: new IncidentStore(fb.store.driver),
      logger: silentLogger,
      spanExporter: exporter,
    });
    try {
      const parked = fb.engine.events.waitFor('run.parked');
      const run = await fb.run('napper', {});
      await parked;
      expect(run.status).toBe('succeeded');
      await obs.tracing!.flush();
      const spans = exporter.getFinishedSpans();
      const runSpans = spans
        .filter((s) => s.name === 'run napper' && s.attributes['run.id'] === run.id)
        .sort((a, b) => Number(a.attributes['run.epoch']) - Number(b.attributes['run.epoch']));
      expect(runSpans.map((s) => s.attributes['run.status'])).toEqual(['waiting', 'succeeded']);
      expect(runSpans[0]?.attributes['run.wake_at']).toMatch(/^\d{4}-\d\d-\d\dT/);
      const [first, second] = runSpans;
      expect(first!.spanContext().traceId).not.toBe(second!.spanContext().traceId);
      const parentOf = (name: string) => spans.find((s) => s.name === name)?.parentSpanContext?.spanId;
      expect(parentOf('step before')).toBe(first!.spanContext().spanId);
      expect(parentOf('step after')).toBe(second!.spanContext().spanId);
    } finally {
      await obs.close();
    }
  });
});

describe('with no tracing configured', () => {
  test('nothing is recorded, not even by a globally registered provider', async () => {
    const exporter = new InMemorySpanExporter();
    const global = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    expect(trace.setGlobalTracerProvider(global)).toBe(true);
    try {
      await using srv = await testServer({ runbooksDir: OBSERVED_RUNBOOKS });
      expect(srv.server.observability.tracing).toBeNull();
      const started = await srv.post<{ runId: string }>('/api/runs', {
        runbook: 'observed-ok',
        input: { service: 'web' },
      });
      expect((await srv.finalRun(started.body.runId)).run.status).toBe('succeeded');
      await global.forceFlush();
      expect(exporter.getFinishedSpans()).toEqual([]);
      // The provider did work: a span made through the API is recorded.
      trace.getTracer('control').startSpan('control').end();
      expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['control']);
    } finally {
      trace.disable();
      await global.shutdown();
    }
  });
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT', () => {
  test('spans reach an OTLP/HTTP collector with the configured headers', async () => {
    const received: { path: string; headers: IncomingMessage['headers']; body: string }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const raw = Buffer.concat(chunks);
        const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
        received.push({ path: req.url ?? '', headers: req.headers, body: body.toString('utf8') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', () => r()));
    const { port } = collector.address() as AddressInfo;
    const srv = await testServer({
      runbooksDir: OBSERVED_RUNBOOKS,
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=otlp-key-3e8b1c55',
        OTEL_SERVICE_NAME: 'firebreak-test',
      },
    });
    try {
      expect(srv.server.observability.tracing).toEqual(
        expect.objectContaining({ tracer: expect.anything() }),
      );
      const started = await srv.post<{ runId: string }>('/api/runs', {
        runbook: 'observed-ok',
        input: { service: 'web' },
      });
      const runId = started.body.runId;
      expect((await srv.finalRun(runId)).run.status).toBe('succeeded');
      // Closing flushes the batch processor.
      await srv.close();
      const exported = await until(async () => {
        const hit = received.find((r) => r.body.includes(runId));
        return hit ?? null;
      });
      expect(exported.path).toBe('/v1/traces');
      expect(exported.headers['x-api-key']).toBe('otlp-key-3e8b1c55');
      const body = JSON.parse(exported.body) as {
        resourceSpans: {
          resource: { attributes: { key: string; value: { stringValue?: string } }[] };
          scopeSpans: { spans: { name: string }[] }[];
        }[];
      };
      const resource = body.resourceSpans[0]!.resource.attributes;
      expect(resource.find((a) => a.key === 'service.name')?.value.stringValue).toBe('firebreak-test');
      const names = body.resourceSpans.flatMap((r) =>
        r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)),
      );
      expect(names).toEqual(expect.arrayContaining(['run observed-ok', 'step inspect', 'step recover']));
    } finally {
      await srv.close();
      await new Promise<void>((r) => collector.close(() => r()));
    }
  });
});
