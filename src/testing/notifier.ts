// Where a test run's notify steps and approval requests go: a list the test reads, instead of Slack.
import type { Notifier } from '../engine/notifier.ts';

/** A message a notify step sent, or an approval request the engine announced. */
export interface SentMessage {
  kind: 'notify' | 'approval';
  message: string;
  channel: string | null;
}

export function recordingNotifier(sent: SentMessage[]): Notifier {
  return {
    async notify(_run, message, channel) {
      sent.push({ kind: 'notify', message, channel: channel ?? null });
      return true;
    },
    async approvalRequested(_run, approvalId, step, summary) {
      sent.push({
        kind: 'approval',
        message: `${step}: ${summary ?? 'approval requested'} (${approvalId})`,
        channel: null,
      });
    },
  };
}
