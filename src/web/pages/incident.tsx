// The incident page: what fired, the gates waiting for a human, the runs with their live step graphs,
// evidence, the timeline, and the postmortem draft.
import type { Permission } from '../../api/auth.ts';
import { matcherList, SILENCE_FOR } from '../../integrations/alertmanager/silence-runbook.ts';
import type { AlertRecord, IncidentRecord } from '../../store/incidents.ts';
import type { IncidentData } from '../data.ts';
import { ago, safeUrl, utc } from '../format.ts';
import { Badge } from '../layout.tsx';
import { renderMarkdown } from '../markdown.ts';
import { Approvals } from './approvals.tsx';
import { EvidenceList, toWebUrl } from './evidence.tsx';
import { RunCard } from './run.tsx';
import { Timeline } from './timeline.tsx';

export function IncidentPage(props: {
  data: IncidentData;
  can: (p: Permission) => boolean;
  now: Date;
  /** What "Silence this alert for 1h" would silence, or why it cannot. */
  silence?: { labels: Record<string, string> } | { refusal: string };
}) {
  const { data, can, now } = props;
  const { incident } = data;
  const here = `/incidents/${incident.id}`;
  return (
    <div data-live={`/ui/incidents/${incident.id}/events?after=${data.lastSeq}`} data-incident={incident.id}>
      <Head incident={incident} now={now} />
      {props.silence && 'labels' in props.silence && can('operate') ? (
        <SilenceForm incidentId={incident.id} labels={props.silence.labels} returnTo={here} />
      ) : null}
      <p class="live-note flash" id="live-note" role="status"></p>
      <section>
        <h2>Approvals</h2>
        <Approvals
          runs={data.runs}
          can={can}
          returnTo={here}
          now={now}
          src={`/ui/incidents/${incident.id}/approvals`}
        />
      </section>
      {data.runs.length === 0 ? (
        <section>
          <h2>Runs</h2>
          <p class="mut">No runbook matched this incident.</p>
        </section>
      ) : (
        data.runs.map((r) => <RunCard data={r} can={can} returnTo={here} />)
      )}
      <section>
        <h2>Evidence</h2>
        <EvidenceList items={data.evidence} />
      </section>
      <section>
        <h2>Timeline</h2>
        <Timeline events={data.timeline} />
      </section>
      <section>
        <h2>Alerts</h2>
        <Alerts alerts={data.alerts} />
      </section>
      <section>
        <h2>Postmortem</h2>
        <Postmortem data={data} />
      </section>
    </div>
  );
}

function Head({ incident, now }: { incident: IncidentRecord; now: Date }) {
  return (
    <section>
      <h1 class="row">
        <span>{incident.title}</span>
        <Badge status={incident.status} />
        {incident.severity ? <span class="badge wait">{incident.severity}</span> : null}
        {incident.drill ? <span class="badge rev">drill</span> : null}
      </h1>
      <dl class="facts">
        <dt>opened</dt>
        <dd>{`${utc(incident.openedAt)} (${ago(incident.openedAt, now)} ago)`}</dd>
        <dt>source</dt>
        <dd>{incident.source}</dd>
        {incident.acknowledgedAt ? (
          <>
            <dt>acknowledged</dt>
            <dd>{utc(incident.acknowledgedAt)}</dd>
          </>
        ) : null}
        {incident.resolvedAt ? (
          <>
            <dt>resolved</dt>
            <dd>{utc(incident.resolvedAt)}</dd>
          </>
        ) : null}
        {incident.reopenedCount ? (
          <>
            <dt>reopened</dt>
            <dd>{`${incident.reopenedCount}×`}</dd>
          </>
        ) : null}
        <dt>labels</dt>
        <dd>
          {Object.entries(incident.labels).map(([k, v]) => (
            <span class="badge dim">{`${k}=${v}`}</span>
          ))}
        </dd>
      </dl>
    </section>
  );
}

/** Starts the built-in silence runbook; the silence itself waits for its gate's approval. */
function SilenceForm(props: { incidentId: string; labels: Record<string, string>; returnTo: string }) {
  return (
    <form class="card" method="post" action={`/ui/incidents/${props.incidentId}/silence`} data-fetch="1">
      <input type="hidden" name="return" value={props.returnTo} />
      <p class="small">
        {`Silences ${matcherList(props.labels)} in Alertmanager for ${SILENCE_FOR}, once an approver approves
        it (someone other than you). Cancelling the silence's run lifts it.`}
      </p>
      <button type="submit">{`Silence this alert for ${SILENCE_FOR}`}</button>
    </form>
  );
}

function Alerts({ alerts }: { alerts: AlertRecord[] }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th>status</th>
            <th>summary</th>
            <th class="hide-sm">labels</th>
            <th class="hide-sm">since</th>
          </tr>
        </thead>
        <tbody>
          {alerts.map((a) => {
            const graph = safeUrl(a.generatorUrl);
            const book = safeUrl(a.annotations.runbook_url);
            return (
              <tr>
                <td>
                  <Badge status={a.status} />
                </td>
                <td>
                  {a.annotations.summary ?? a.labels.alertname ?? a.fingerprint}{' '}
                  {graph ? (
                    <a href={graph} rel="noopener noreferrer" target="_blank">
                      graph
                    </a>
                  ) : null}{' '}
                  {book ? (
                    <a href={book} rel="noopener noreferrer" target="_blank">
                      runbook
                    </a>
                  ) : null}
                </td>
                <td class="hide-sm small">
                  {Object.entries(a.labels)
                    .map(([k, v]) => `${k}=${v}`)
                    .join(' ')}
                </td>
                <td class="hide-sm small">{utc(a.startsAt ?? a.firstSeenAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Postmortem({ data }: { data: IncidentData }) {
  const pm = data.postmortem;
  if ('error' in pm) return <p class="bad">{`The draft could not be built: ${pm.error}`}</p>;
  // The renderer escapes all input and keeps only http(s) and local URLs (markdown.ts).
  const html = renderMarkdown(pm.markdown, { headingOffset: 2, rewriteUrl: toWebUrl });
  return (
    <details open={data.incident.status === 'resolved'}>
      <summary>{pm.edited ? `Edited by ${pm.edited.by ?? 'someone'}` : 'Draft from the journal'}</summary>
      <div class="md" dangerouslySetInnerHTML={{ __html: html }} />
    </details>
  );
}
