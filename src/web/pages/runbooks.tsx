// Runbooks: the list (with files that did not load), and one runbook with its graph, triggers, game days
// and recent runs.
import type { Permission } from '../../api/auth.ts';
import { describeTrigger } from '../../dsl/triggers.ts';
import type { LoadedRunbook } from '../../runbooks/registry.ts';
import type { RunRecord } from '../../store/records.ts';
import { RunbookBudgets } from '../budget.tsx';
import { utc } from '../format.ts';
import { StepGraph } from '../graph.tsx';
import { Badge } from '../layout.tsx';

export interface GameDayRow {
  /** `<runbook>:<game day>`, what POST /ui/gamedays/:id/run takes; null when drills cannot start here. */
  scheduleId: string | null;
  gameDayId: string;
  cron: string;
  timezone: string;
  mode: string;
  nextDueAt: Date | null;
  last: { incidentId: string | null; dueAt: Date | null; passed: boolean | null } | null;
}

export function RunbooksPage(props: {
  runbooks: LoadedRunbook[];
  failed: { path: string; reason: string }[];
}) {
  return (
    <>
      <h1>Runbooks</h1>
      <section>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>runbook</th>
                <th>triggers</th>
                <th class="hide-sm">steps</th>
                <th class="hide-sm">game days</th>
                <th class="hide-sm">version</th>
              </tr>
            </thead>
            <tbody>
              {props.runbooks.map((rb) => (
                <tr>
                  <td>
                    <a href={`/runbooks/${encodeURIComponent(rb.id)}`}>{rb.runbook.options.title}</a>{' '}
                    <span class="mut small">{rb.id}</span>
                  </td>
                  <td class="small">
                    {(rb.runbook.options.triggers ?? []).map(describeTrigger).join(' or ') || '–'}
                  </td>
                  <td class="hide-sm">{rb.steps.length}</td>
                  <td class="hide-sm">{rb.runbook.options.gameDays?.length ?? 0}</td>
                  <td class="hide-sm mono small">{rb.version}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      {props.failed.length > 0 ? (
        <section>
          <h2 class="bad">Files that did not load</h2>
          <ul>
            {props.failed.map((f) => (
              <li>
                <span class="mono">{f.path}</span>: {f.reason}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </>
  );
}

export interface RunbookProps {
  rb: LoadedRunbook;
  runs: RunRecord[];
  gameDays: GameDayRow[];
  can: (p: Permission) => boolean;
}

export function RunbookPage({ rb, runs, gameDays, can }: RunbookProps) {
  const o = rb.runbook.options;
  return (
    <>
      <h1>{o.title}</h1>
      <p class="mut small">
        <span class="mono">{rb.id}</span> · version <span class="mono">{rb.version}</span>
        {rb.source ? ` · ${rb.source}` : ''}
      </p>
      {o.description ? <p>{o.description}</p> : null}
      <section>
        <h2>Steps</h2>
        <StepGraph steps={rb.steps} />
      </section>
      <RunbookBudgets steps={rb.runbook.steps} />
      <section>
        <h2>Triggers</h2>
        {(o.triggers ?? []).length === 0 ? (
          <p class="mut">None: started through the API, the CLI, Slack or a game day.</p>
        ) : (
          <ul>
            {(o.triggers ?? []).map((t) => (
              <li class="mono">{describeTrigger(t)}</li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>Game days</h2>
        <GameDays rows={gameDays} can={can} />
      </section>
      <section>
        <h2>Recent runs</h2>
        <RecentRuns runs={runs} />
      </section>
    </>
  );
}

function GameDays({ rows, can }: { rows: GameDayRow[]; can: (p: Permission) => boolean }) {
  if (rows.length === 0) return <p class="mut">No game days.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>game day</th>
            <th>schedule</th>
            <th>next</th>
            <th class="hide-sm">last drill</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((g) => (
            <tr>
              <td>
                {g.gameDayId} <span class="badge dim">{g.mode}</span>
              </td>
              <td class="mono small">{`${g.cron} (${g.timezone})`}</td>
              <td class="small">{g.nextDueAt ? utc(g.nextDueAt) : '–'}</td>
              <td class="hide-sm small">
                {g.last?.incidentId ? (
                  <a href={`/incidents/${g.last.incidentId}`}>{utc(g.last.dueAt)}</a>
                ) : (
                  '–'
                )}{' '}
                {g.last?.passed === true ? <Badge status="succeeded" label="passed" /> : null}
                {g.last?.passed === false ? <Badge status="failed" label="failed" /> : null}
              </td>
              <td>
                {g.scheduleId && can('operate') ? (
                  <form
                    class="inline"
                    method="post"
                    action={`/ui/gamedays/${encodeURIComponent(g.scheduleId)}/run`}
                  >
                    <button type="submit">Run drill now</button>
                  </form>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function RecentRuns({ runs }: { runs: RunRecord[] }) {
  if (runs.length === 0) return <p class="mut">No runs yet.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>run</th>
            <th>status</th>
            <th class="hide-sm">started by</th>
            <th>created (UTC)</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr>
              <td>
                <a
                  class="mono"
                  href={r.incidentId ? `/incidents/${r.incidentId}#run-${r.id}` : `/runs/${r.id}`}
                >
                  {r.id.slice(0, 8)}
                </a>
                {r.dryRun ? <span class="badge dim">dry run</span> : null}
              </td>
              <td>
                <Badge status={r.status} />
              </td>
              <td class="hide-sm small">{r.requestedBy ?? ''}</td>
              <td class="small mono">{utc(r.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
