import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { AlertSource } from '../../src/core/alert.ts';
import { sources } from '../../src/ingest/sources/index.ts';
import { expectBatch, fixture } from './support.ts';

const SAMPLES: Record<AlertSource, string> = {
  alertmanager: 'alertmanager/firing-two-alerts.json',
  grafana: 'grafana/firing.json',
  pagerduty: 'pagerduty/incident-triggered.json',
  datadog: 'datadog/triggered.json',
  generic: 'generic/firing.json',
  // The Kubernetes watcher's own batch (src/ingest/kubernetes), not a webhook body.
  kubernetes: 'kubernetes/crash-looping.json',
};

const names = Object.keys(SAMPLES) as AlertSource[];

describe('the source registry', () => {
  test.each(names)('%s parses its own sample into a batch of that source', (name) => {
    const batch = expectBatch(sources[name].parse(fixture(SAMPLES[name]), new Headers()));
    expect(batch.source).toBe(name);
    expect(batch.alerts.every((alert) => alert.source === name)).toBe(true);
  });

  test('pagerduty takes the delivery id from X-Webhook-Id', () => {
    const headers = new Headers({ 'X-Webhook-Id': 'f2a7c1d8-delivery' });
    const batch = expectBatch(sources.pagerduty.parse(fixture(SAMPLES.pagerduty), headers));
    expect(batch.deliveryId).toBe('f2a7c1d8-delivery');
  });
});

describe('parsing never throws', () => {
  test.each(names)('%s, on arbitrary JSON', (name) => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        const result = sources[name].parse(body, new Headers());
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  // Arbitrary JSON almost never gets past the outer schema, so also replace one value anywhere in a real sample.
  test.each(names)('%s, on its sample with one nested value replaced by arbitrary JSON', (name) => {
    const sample: unknown = fixture(SAMPLES[name]);
    fc.assert(
      fc.property(fc.constantFrom(...pathsIn(sample)), fc.jsonValue(), (path, value) => {
        const result = sources[name].parse(replaceAt(sample, path, value), new Headers());
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
  });
});

type Path = readonly string[];

/** Every path to a value inside `value`, the root included. */
function pathsIn(value: unknown, prefix: Path = []): Path[] {
  if (typeof value !== 'object' || value === null) return [prefix];
  return [prefix, ...Object.entries(value).flatMap(([key, child]) => pathsIn(child, [...prefix, key]))];
}

function replaceAt(value: unknown, path: Path, replacement: unknown): unknown {
  const [head, ...rest] = path;
  if (head === undefined) return replacement;
  if (Array.isArray(value))
    return value.map((item, index) => (String(index) === head ? replaceAt(item, rest, replacement) : item));
  const record = value as Record<string, unknown>;
  return { ...record, [head]: replaceAt(record[head], rest, replacement) };
}
