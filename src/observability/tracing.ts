// Tracing is off unless an OTLP endpoint is configured. Off means nothing at all: no provider, no
// exporter, no listener on the engine. On, spans go through a BatchSpanProcessor to an OTLP/HTTP
// exporter. The provider is firebreak's own, not registered globally, so an embedding application's
// OpenTelemetry setup stays untouched and several servers can share one process.
import { createRequire } from 'node:module';
import type { Tracer } from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Config } from '../config/config.ts';

// The SDK and the exporter load on first use, so a firebreak without tracing never pays for them
// (protobufjs, the metrics SDK…: ~100 ms and ~15 MB at every start). A synchronous require keeps
// startObservability synchronous, subscribed before the engine's first event; these packages resolve
// to their CommonJS builds from `import` too, so it is the same module either way.
const load = createRequire(import.meta.url);
const sdk = () => ({
  ...(load('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base')),
  ...(load('@opentelemetry/resources') as typeof import('@opentelemetry/resources')),
});

export interface TracingSettings {
  /** The full traces URL (…/v1/traces). */
  url: string;
  headers: Record<string, string>;
  serviceName: string;
}

/** The tracing settings of a configuration, or null when tracing is off. */
export function tracingSettings(config: Config): TracingSettings | null {
  if (config.OTEL_SDK_DISABLED) return null;
  const url =
    config.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (config.OTEL_EXPORTER_OTLP_ENDPOINT
      ? `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
      : undefined);
  if (!url) return null;
  return { url, headers: config.OTEL_EXPORTER_OTLP_HEADERS ?? {}, serviceName: config.OTEL_SERVICE_NAME };
}

export interface Tracing {
  tracer: Tracer;
  /** Exports the spans ended so far. */
  flush(): Promise<void>;
  /** Flushes and stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  serviceName: string;
  /** otlpExporter(settings), or an in-memory one in tests. */
  exporter: SpanExporter;
  /** Extra resource attributes (the worker id). */
  attributes?: Record<string, string>;
}

export function otlpExporter(settings: TracingSettings): SpanExporter {
  const { OTLPTraceExporter } = load(
    '@opentelemetry/exporter-trace-otlp-http',
  ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter({ url: settings.url, headers: settings.headers });
}

export function startTracing(opts: TracingOptions): Tracing {
  const { BasicTracerProvider, BatchSpanProcessor, resourceFromAttributes } = sdk();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': opts.serviceName, ...opts.attributes }),
    spanProcessors: [new BatchSpanProcessor(opts.exporter)],
  });
  let stopped = false;
  return {
    tracer: provider.getTracer('firebreak'),
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      await provider.shutdown();
    },
  };
}
