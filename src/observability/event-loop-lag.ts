// How late a timer fires is how long the event loop was blocked: a quadratic render, a huge body parsed
// in one go, a synchronous loop in a runbook. Sampled every 100 ms into a histogram, so a stall shows in
// /metrics (firebreak_event_loop_lag_seconds) even when /healthz, blocked with everything else, cannot say.
import { performance } from 'node:perf_hooks';
import type { Histogram } from 'prom-client';

export function sampleEventLoopLag(histogram: Histogram, intervalMs = 100): () => void {
  let expected = performance.now() + intervalMs;
  let timer: NodeJS.Timeout;
  const tick = () => {
    const now = performance.now();
    histogram.observe(Math.max(0, now - expected) / 1000);
    expected = now + intervalMs;
    // unref: the sampler never keeps a process alive on its own.
    timer = setTimeout(tick, intervalMs).unref();
  };
  timer = setTimeout(tick, intervalMs).unref();
  return () => clearTimeout(timer);
}
