// firebreak's own runbook behind "Silence this alert for 1h" (the web UI's button and Slack's): one
// gated mitigation, so who may let it happen is the approval policy every gate has, decided on every
// surface through the one decision path. The run then sleeps as long as the silence lasts: while it
// waits, cancelling it (the run page's "Cancel and revert") expires the silence through the saga.
import { z } from 'zod';
import { runbook } from '../../dsl/runbook.ts';
import { incidentUrlOf, silenceMitigation } from './mitigation.ts';
import type { AlertmanagerSettings } from './settings.ts';
import { matchersOf } from './silence.ts';

export const SILENCE_RUNBOOK_ID = 'firebreak.silence-alert';
export const SILENCE_FOR = '1h';

const input = z.object({
  /** The labels to silence: those every firing alert of the incident shares (see request.ts). */
  labels: z
    .record(z.string(), z.string())
    // A silence without alertname would hide unrelated alerts that happen to share the other labels.
    .refine((l) => Boolean(l.alertname), 'must include alertname'),
});

/** `alertname="X", instance="y"` for people. */
export function matcherList(labels: Record<string, string>): string {
  return matchersOf(labels)
    .map((m) => `${m.name}="${m.value}"`)
    .join(', ');
}

export function silenceRunbook(settings: AlertmanagerSettings) {
  return runbook({
    id: SILENCE_RUNBOOK_ID,
    title: `Silence an alert for ${SILENCE_FOR}`,
    description: `Silences the alert in Alertmanager for ${SILENCE_FOR} once approved; cancelling the run lifts the silence.`,
    input,
  })
    .mitigation(
      'silence',
      silenceMitigation({
        approval: {
          ...(settings.groups.length > 0 ? { groups: settings.groups } : {}),
          timeout: '15m',
          onTimeout: 'reject',
          summary: ({ input: i }) => `Silence ${matcherList(i.labels)} in Alertmanager for ${SILENCE_FOR}?`,
        },
        endpoint: () => settings.endpoint,
        labels: ({ input: i }) => i.labels,
        duration: SILENCE_FOR,
        incidentUrl: ({ run }) => incidentUrlOf(settings.publicUrl, run.incidentId),
        reason: ({ run }) =>
          `silenced for ${SILENCE_FOR} from firebreak${run.requestedBy ? ` at the request of ${run.requestedBy}` : ''}`,
      }),
    )
    .sleep('silenced', { duration: SILENCE_FOR });
}
