// Following a run over the API's event stream (GET /api/runs/:id/events) until it is final. The stream
// ends with `end` once the run is final and its journal is drained; a stream that breaks off (a proxy's
// timeout, the server's 10-minute cap) is opened again after the last event seen, so no line is lost.
import { isTerminalRun, type RunStatus } from '../core/status.ts';
import type { ApiClient } from './client.ts';
import { CliError } from './io.ts';
import { eventLine, type WireEvent, type WireRun } from './print.ts';

export async function followRun(
  api: ApiClient,
  runId: string,
  print: ((line: string) => void) | null,
): Promise<WireRun> {
  let after = 0;
  for (;;) {
    let ended = false;
    try {
      for await (const m of api.events(`/api/runs/${encodeURIComponent(runId)}/events?after=${after}`)) {
        if (m.event === 'journal') {
          const e = JSON.parse(m.data) as WireEvent;
          after = Math.max(after, e.seq);
          const line = eventLine(e);
          if (line && print) print(line);
        } else if (m.event === 'end') {
          ended = true;
          break;
        }
      }
    } catch (err) {
      // Unreachable or refused: say so. A stream cut short: look at the run and go on.
      if (err instanceof CliError) throw err;
    }
    const { run } = await api.get<{ run: WireRun }>(`/api/runs/${encodeURIComponent(runId)}`);
    if (ended || isTerminalRun(run.status as RunStatus)) return run;
  }
}

/** "run 1f3c… failed in 1.2 s", measured by the server (created → finished). */
export function finalLine(run: WireRun): string {
  const ms = run.finishedAt ? Date.parse(run.finishedAt) - Date.parse(run.createdAt) : null;
  const took = ms === null ? '' : ms < 1000 ? ` in ${ms} ms` : ` in ${(ms / 1000).toFixed(1)} s`;
  return `run ${run.id} ${run.status}${took}`;
}
