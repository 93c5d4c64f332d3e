// Alertmanager webhook bodies (payload version 4, the layout of test/fixtures/alertmanager/) for the
// ingest benchmark: one group per service, each with `alerts` firing instances.

export function alertmanagerBody(prefix: string, group: number, alerts: number, startsAt: string): string {
  const service = `svc-${group}`;
  const common = { alertname: 'BenchIngest', job: 'bench', service, severity: 'critical' };
  return JSON.stringify({
    receiver: 'firebreak',
    status: 'firing',
    alerts: Array.from({ length: alerts }, (_, i) => ({
      status: 'firing',
      labels: { ...common, instance: `${service}-${i}:8080` },
      annotations: { summary: `bench alert ${i} of ${service}` },
      startsAt,
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: `http://prometheus:9090/graph?g0.expr=bench_${group}`,
      fingerprint: `${prefix}-${group}-${i}`,
    })),
    notification_reason: 'first notification',
    groupLabels: { alertname: 'BenchIngest', service },
    commonLabels: common,
    commonAnnotations: {},
    routeLabels: {},
    externalURL: 'http://alertmanager:9093',
    version: '4',
    groupKey: `${prefix}:{}:{alertname="BenchIngest", service="${service}"}`,
    truncatedAlerts: 0,
  });
}

/** A seeded shuffle (mulberry32), so every run posts the same order and repeats of a group interleave. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
