// The image's HEALTHCHECK: GET /healthz of this container's firebreak — serve's PORT, or the worker's
// FIREBREAK_METRICS_PORT when that is set and nothing answers on PORT. Exit 0 when it answers 200.
const ports = [process.env.PORT || '8080', process.env.FIREBREAK_METRICS_PORT].filter(Boolean);
for (const port of ports) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(4_000) });
    process.exit(res.ok ? 0 : 1);
  } catch {
    // nothing listening on this port: try the next
  }
}
process.exit(1);
