// One run: its step graph (live), its steps, and the revert action while it is still active.
import type { Permission } from '../../api/auth.ts';
import type { SerializedError } from '../../core/errors.ts';
import { describeSerialized, runFailure } from '../../core/failure.ts';
import type { EventRecord } from '../../store/records.ts';
import { Budgets } from '../budget.tsx';
import type { RunData } from '../data.ts';
import { short, utc } from '../format.ts';
import { StepGraph } from '../graph.tsx';
import { Badge } from '../layout.tsx';
import { Timeline } from './timeline.tsx';

const ACTIVE = new Set(['queued', 'running', 'waiting']);

export interface RunProps {
  data: RunData;
  can: (p: Permission) => boolean;
  /** Where the revert form comes back to. */
  returnTo: string;
}

/** A run without an incident (started from the API, the CLI or Slack). */
export function RunPage(props: { data: RunData; events: EventRecord[]; can: (p: Permission) => boolean }) {
  const { data, events, can } = props;
  return (
    <div data-live={`/ui/runs/${data.run.id}/events?after=${events.at(-1)?.seq ?? 0}`}>
      <p class="live-note flash" id="live-note" role="status"></p>
      <RunCard data={data} can={can} returnTo={`/runs/${data.run.id}`} />
      <section>
        <h2>Journal</h2>
        <Timeline events={events} />
      </section>
    </div>
  );
}

export function RunCard({ data, can, returnTo }: RunProps) {
  const { run, steps } = data;
  const byName = new Map(steps.map((s) => [s.stepKey, s]));
  return (
    <section class="run-card" data-run={run.id} id={`run-${run.id}`}>
      <h2 class="row">
        <span>{data.title}</span>
        <span data-run-status="">
          <Badge status={run.status} />
        </span>
        {run.dryRun ? <span class="badge dim">dry run</span> : null}
      </h2>
      <p class="mut small">
        run{' '}
        <a class="mono" href={`/runs/${run.id}`}>
          {run.id.slice(0, 8)}
        </a>{' '}
        · runbook <a href={`/runbooks/${encodeURIComponent(run.runbookId)}`}>{run.runbookId}</a> · started by{' '}
        {run.requestedBy ?? 'unknown'} · {utc(run.createdAt)}
      </p>
      <Failure error={run.error} />
      <StepGraph steps={data.graph} status={(name) => byName.get(name)?.status ?? 'pending'} />
      <Budgets steps={steps} />
      <details>
        <summary>Steps</summary>
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>step</th>
                <th>status</th>
                <th class="hide-sm">attempt</th>
                <th class="hide-sm">finished</th>
                <th>output / error</th>
              </tr>
            </thead>
            <tbody>
              {data.graph.map((g) => {
                const s = byName.get(g.name);
                const status = s?.status ?? 'pending';
                return (
                  <tr data-step={g.name} data-status={status}>
                    <td>
                      {g.name} <span class="mut small">{g.kind}</span>
                    </td>
                    <td data-status-text="">
                      <Badge status={status} />
                    </td>
                    <td class="hide-sm">{s?.attempt ?? ''}</td>
                    <td class="hide-sm small">{s?.finishedAt ? utc(s.finishedAt) : ''}</td>
                    <td>
                      <code>
                        {s?.error ? describeSerialized(s.error) : s?.output != null ? short(s.output) : ''}
                      </code>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </details>
      <Revert data={data} can={can} returnTo={returnTo} />
    </section>
  );
}

/** Why the run did not succeed: the failing step and the innermost cause, which is what to fix. */
function Failure({ error }: { error: SerializedError | null }) {
  const f = runFailure(error);
  if (!f) return null;
  return (
    <p class="bad" data-run-failure="">
      {f.step ? (
        <>
          Failed at step <strong>{f.step}</strong>: {describeSerialized(error!)}
        </>
      ) : (
        `${f.code}: ${describeSerialized(error!)}`
      )}
    </p>
  );
}

function Revert({ data, can, returnTo }: RunProps) {
  const { run, steps } = data;
  const applied = steps
    .filter((s) => s.appliedSeq !== null && s.status === 'succeeded')
    .map((s) => s.stepKey);
  const active = ACTIVE.has(run.status);
  if (run.status === 'compensating') return <p class="rev">Reverting applied mitigations, newest first…</p>;
  if (!active) {
    return applied.length > 0 ? (
      <p class="small mut">
        {`This run has ended with ${applied.join(', ')} applied. firebreak reverts mitigations only while a run is
        active (it does so by itself when a run fails, is rejected or cancelled); an ended run's changes stay
        as they are: undo them by hand or with another runbook.`}
      </p>
    ) : null;
  }
  if (!can('operate')) {
    return applied.length > 0 ? (
      <p class="small mut">{`Applied: ${applied.join(', ')}. An operator can revert them by cancelling the run.`}</p>
    ) : null;
  }
  return (
    <form class="card" method="post" action={`/ui/runs/${run.id}/revert`} data-fetch="1">
      <input type="hidden" name="return" value={returnTo} />
      <p class="small">
        {applied.length > 0
          ? `Applied so far: ${applied.join(', ')}. Revert cancels this run: its remaining steps do not run, and
          firebreak reverts every applied mitigation, newest first, each revert a retried durable step. One
          mitigation cannot be reverted on its own while the run goes on.`
          : 'Nothing is applied yet. Cancelling stops the run; its remaining steps do not run.'}
      </p>
      <button class="stop" type="submit">
        {applied.length > 0 ? 'Revert: cancel run and revert mitigations' : 'Cancel run'}
      </button>
    </form>
  );
}
