// Dead letters: payloads that were valid JSON but could not be parsed or routed, kept with the reason.
import type { Permission } from '../../api/auth.ts';
import type { DeadLetterRecord } from '../../store/incidents.ts';
import { short, utc } from '../format.ts';
import { Badge } from '../layout.tsx';

export function DeadLettersPage(props: { letters: DeadLetterRecord[]; can: (p: Permission) => boolean }) {
  const { letters, can } = props;
  return (
    <>
      <h1>Dead letters</h1>
      <p class="small mut">
        Webhook bodies that were valid JSON but could not be parsed or routed. Replaying one runs it through
        ingestion again (after a runbook or a parser was fixed); the stored copy is kept.
      </p>
      {letters.length === 0 ? (
        <section>
          <p class="mut">No dead letters.</p>
        </section>
      ) : (
        letters.map((d) => (
          <section data-dead-letter={d.id}>
            <h2 class="row">
              <span>{d.source}</span>
              {d.replayedAt ? (
                <Badge status="succeeded" label="replayed" />
              ) : (
                <Badge status="failed" label="not replayed" />
              )}
            </h2>
            <p>{d.reason}</p>
            <p class="small mut">
              {`received ${utc(d.receivedAt)}`}
              {d.replayedAt ? ` · replayed ${utc(d.replayedAt)}: ${short(d.replayResult, 200)}` : ''}
            </p>
            <details>
              <summary>Body</summary>
              <pre>{pretty(d.body)}</pre>
            </details>
            {can('operate') ? (
              <form class="inline" method="post" action={`/ui/dead-letters/${d.id}/replay`}>
                <input type="hidden" name="return" value="/dead-letters" />
                <button type="submit">{d.replayedAt ? 'Replay again' : 'Replay'}</button>
              </form>
            ) : null}
          </section>
        ))
      )}
    </>
  );
}

function pretty(body: string): string {
  const text = (() => {
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch {
      return body;
    }
  })();
  return text.length > 20_000
    ? `${text.slice(0, 20_000)}\n… (${text.length - 20_000} more characters)`
    : text;
}
