// The front page: incidents, newest first, and the kill switch.
import type { Permission } from '../../api/auth.ts';
import type { IncidentRecord } from '../../store/incidents.ts';
import { ago, utc } from '../format.ts';
import { Badge } from '../layout.tsx';

export interface IncidentsProps {
  incidents: IncidentRecord[];
  filter: string;
  now: Date;
  paused: boolean;
  can: (p: Permission) => boolean;
}

const FILTERS = [
  ['all', '/'],
  ['firing', '/?status=firing'],
  ['resolved', '/?status=resolved'],
  ['drills', '/?drill=true'],
] as const;

export function IncidentsPage(props: IncidentsProps) {
  const { incidents, now } = props;
  return (
    <>
      <h1>Incidents</h1>
      <p class="row small">
        {FILTERS.map(([name, href]) =>
          name === props.filter ? <strong>{name}</strong> : <a href={href}>{name}</a>,
        )}
      </p>
      <section>
        {incidents.length === 0 ? (
          <p class="mut">No incidents.</p>
        ) : (
          <div class="scroll">
            <table id="incidents">
              <thead>
                <tr>
                  <th>status</th>
                  <th>severity</th>
                  <th>incident</th>
                  <th>age</th>
                  <th class="hide-sm">source</th>
                  <th class="hide-sm">opened (UTC)</th>
                </tr>
              </thead>
              <tbody>
                {incidents.map((i) => (
                  <tr data-incident={i.id}>
                    <td>
                      <Badge status={i.status} />
                    </td>
                    <td>{i.severity ?? '–'}</td>
                    <td>
                      <a href={`/incidents/${i.id}`}>{i.title}</a>{' '}
                      {i.drill ? <span class="badge rev">drill</span> : null}
                    </td>
                    <td>{ago(i.openedAt, now)}</td>
                    <td class="hide-sm">{i.source}</td>
                    <td class="hide-sm small mono">{utc(i.openedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <KillSwitch paused={props.paused} can={props.can} />
    </>
  );
}

function KillSwitch({ paused, can }: { paused: boolean; can: (p: Permission) => boolean }) {
  return (
    <section id="kill-switch">
      <h2 class="row">
        <span>Kill switch</span>
        <Badge
          status={paused ? 'failed' : 'succeeded'}
          label={paused ? 'mitigations paused' : 'mitigations on'}
        />
      </h2>
      <p class="small">
        {paused
          ? 'New mitigations are paused on every worker. Diagnostics still run; a mitigation whose turn comes is held until mitigations resume. Mitigations already applied stay applied.'
          : 'Pausing holds every mitigation that has not started yet, on every worker; diagnostics keep running.'}
      </p>
      {can('operate') ? (
        <form class="inline" method="post" action="/ui/kill-switch">
          <input type="hidden" name="paused" value={paused ? 'false' : 'true'} />
          <input type="hidden" name="return" value="/" />
          <button class={paused ? 'go' : 'stop'} type="submit">
            {paused ? 'Resume mitigations' : 'Pause new mitigations'}
          </button>
        </form>
      ) : (
        <p class="small mut">An operator can pause or resume mitigations.</p>
      )}
    </section>
  );
}
