// Whatever a sender (or anyone holding its credentials) posts, the answer is never a 5xx: senders retry
// those, so one poisonous body would be retried forever. Bodies are generated: arbitrary JSON, text that
// is not JSON, and mutations of the real fixtures (values replaced, keys removed, text spliced).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { WebhookSource } from '../../src/core/alert.ts';
import { ALERT_SOURCES, signedHeaders, WEBHOOK_ENV, webhookFixtures } from '../support/senders.ts';
import { type TestServer, testServer } from '../support/server.ts';

const BODIES_PER_SOURCE = 2_000;
const IN_FLIGHT = 16;
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Strings that have broken parsers and databases before. */
const tricky = fc.constantFrom(
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u2028\u2029',
  '0001-01-01T00:00:00Z',
  '2026-13-45T99:99:99Z',
  '20267',
  '8640000000000000',
  'NaN',
  '-1',
  '1e309',
  '__proto__',
  'constructor',
  '9'.repeat(400),
  '{{ .Labels }}',
  "'; drop table incidents; --",
  'firing',
  'resolved',
  'incident.resolved',
  'Recovered',
);

const text = fc.oneof(
  tricky,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }),
);

const scalar = fc.oneof(
  text,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(2 ** 53 + 1, -0, 1e308),
);

const { json } = fc.letrec<{ json: Json; array: Json[]; object: Record<string, Json> }>((tie) => ({
  json: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('json'), { maxLength: 4 }),
  object: fc.dictionary(text, tie('json'), { maxKeys: 5 }),
}));

type Path = (string | number)[];

/** Every path into a JSON value, parents before children. */
function paths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_v, i) => i) : Object.keys(value);
  return keys.flatMap((k) => [
    [...at, k],
    ...paths((value as Record<string | number, unknown>)[k], [...at, k]),
  ]);
}

interface Mutation {
  pick: number;
  op: 'replace' | 'delete' | 'null' | 'text';
  value: Json;
  text: string;
}

function mutate(doc: Json, mutations: Mutation[]): Json {
  const copy = structuredClone(doc);
  for (const m of mutations) {
    const all = paths(copy);
    if (all.length === 0) break;
    const path = all[m.pick % all.length]!;
    const parent = path
      .slice(0, -1)
      .reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy);
    const key = path.at(-1)!;
    const target = parent as Record<string | number, unknown>;
    if (m.op === 'delete' && Array.isArray(target)) target.splice(Number(key), 1);
    else if (m.op === 'delete') delete target[key];
    else target[key] = m.op === 'null' ? null : m.op === 'text' ? m.text : m.value;
  }
  return copy;
}

const mutation = fc.record({
  pick: fc.nat(),
  op: fc.constantFrom('replace', 'delete', 'null', 'text'),
  value: json,
  text,
}) as fc.Arbitrary<Mutation>;

function bodies(source: WebhookSource): fc.Arbitrary<string> {
  const fixtures = webhookFixtures().filter((f) => f.source === source);
  const docs = fixtures.map((f) => JSON.parse(f.raw) as Json);
  const raws = fixtures.map((f) => f.raw);
  const splice = fc
    .record({ raw: fc.constantFrom(...raws), at: fc.nat(), cut: fc.nat({ max: 30 }), insert: text })
    .map(({ raw, at, cut, insert }) => {
      const i = at % raw.length;
      return raw.slice(0, i) + insert + raw.slice(i + cut);
    });
  return fc.oneof(
    { weight: 2, arbitrary: json.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: text },
    {
      weight: 5,
      arbitrary: fc
        .tuple(fc.constantFrom(...docs), fc.array(mutation, { minLength: 1, maxLength: 4 }))
        .map(([doc, ms]) => JSON.stringify(mutate(doc, ms))),
    },
    { weight: 2, arbitrary: splice },
  );
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return out;
}

describe(`generated webhook bodies (seed ${SEED})`, () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await testServer({ env: WEBHOOK_ENV });
  });
  afterAll(async () => {
    await srv?.close();
  });

  test.each(ALERT_SOURCES.map((s) => [s]))(`%s: ${BODIES_PER_SOURCE} bodies, no 5xx`, async (source) => {
    const sample = fc.sample(bodies(source), { numRuns: BODIES_PER_SOURCE, seed: SEED });
    const replies = await pool(sample, IN_FLIGHT, async (raw) => {
      const r = await srv.post<{ error?: { code: string } }>(
        `/webhooks/${source}`,
        raw,
        signedHeaders(source, raw),
      );
      return { raw, status: r.status, text: r.text, code: r.body?.error?.code };
    });
    const broken = replies.filter((r) => r.status >= 500 || ![202, 400, 413, 422].includes(r.status));
    expect(
      broken.slice(0, 5).map((r) => ({ status: r.status, reply: r.text, body: r.raw })),
      `seed ${SEED}; server log: ${srv.logs.slice(0, 3).join('')}`,
    ).toEqual([]);
    // Every refusal is in the one error shape.
    expect(replies.filter((r) => r.status >= 400 && !r.code)).toEqual([]);
    // The generator reaches both sides: bodies accepted (or kept as dead letters) and bodies refused.
    const statuses = new Set(replies.map((r) => r.status));
    expect(statuses).toContain(202);
    expect(statuses).toContain(422);
  });

  test('/healthz and /readyz answer 200 afterwards', async () => {
    expect((await srv.get('/healthz')).status).toBe(200);
    const ready = await srv.get<{ ok: boolean }>('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.ok).toBe(true);
  });
});
