// The journal as a table, oldest first; the page script appends rows as they arrive.
import { eventName } from '../../core/journal-text.ts';
import type { EventRecord } from '../../store/records.ts';
import { eventDetail, utc } from '../format.ts';

export function Timeline({ events }: { events: EventRecord[] }) {
  return (
    <div class="scroll">
      <table id="timeline">
        <thead>
          <tr>
            <th>time (UTC)</th>
            <th>event</th>
            <th>step</th>
            <th>detail</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr data-seq={e.seq}>
              <td class="small mono">{utc(e.at)}</td>
              <td>{eventName(e)}</td>
              <td>{e.stepKey ?? ''}</td>
              <td class="small">{eventDetail(e)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
