// The Prometheus HTTP API, read-only: instant queries (GET /api/v1/query).
// https://prometheus.io/docs/prometheus/latest/querying/api/#instant-queries
import { NonRetryableError } from 'firebreak';
import { endpoints } from './endpoints.ts';
import { type Http, requestJson } from './http.ts';

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

interface QueryResponse {
  status: 'success' | 'error';
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

export interface Prometheus {
  /** The instant vector of `promql` at `at` (default: Prometheus' now). */
  query(promql: string, at?: Date): Promise<Sample[]>;
  /** The single value of `promql`, or null when the vector is empty (no data is not zero). */
  scalar(promql: string, at?: Date): Promise<number | null>;
}

export function prometheus(http: Http, base = endpoints().prometheus): Prometheus {
  const query = async (promql: string, at?: Date): Promise<Sample[]> => {
    const url = new URL(`${base.url}/api/v1/query`);
    url.searchParams.set('query', promql);
    if (at) url.searchParams.set('time', String(at.getTime() / 1000));
    const body = await requestJson<QueryResponse>(http, url.toString(), { endpoint: base });
    if (body?.status !== 'success' || !body.data) {
      throw new NonRetryableError(`Prometheus refused ${promql}: ${body?.error ?? 'no data'}`);
    }
    if (body.data.resultType !== 'vector') {
      throw new NonRetryableError(`${promql} is a ${body.data.resultType}, not an instant vector`);
    }
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };
  return {
    query,
    async scalar(promql, at) {
      const samples = await query(promql, at);
      if (samples.length > 1) {
        throw new NonRetryableError(`${promql} returned ${samples.length} series; aggregate it to one`);
      }
      const v = samples[0]?.value;
      return v === undefined || Number.isNaN(v) ? null : v;
    },
  };
}

/** A label matcher value, escaped for a PromQL string literal. */
export function q(value: string): string {
  return JSON.stringify(value);
}
