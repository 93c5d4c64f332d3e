// Where notify steps and approval requests go. Slack plugs in here; without it messages are logged only.
import type { RunInfo } from '../dsl/types.ts';

export interface Notifier {
  /** Returns whether the message was accepted for delivery. */
  notify(run: RunInfo, message: string, channel: string | undefined): Promise<boolean>;
  approvalRequested?(run: RunInfo, approvalId: string, step: string, summary: string | null): Promise<void>;
}

export const nullNotifier: Notifier = {
  notify: async () => false,
};
