// The "Silence for 1h" button of an incident message. Asking is starting a run, so it is for
// SLACK_OPERATORS, like `/firebreak run`; the silence itself waits at its gate, which the approval policy
// decides (the one who asked cannot approve it: four eyes, as for any manual run).
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { FirebreakError } from '../../core/errors.ts';
import type { RunbookRegistry } from '../../runbooks/registry.ts';
import { requestSilence, type SilenceRequestDeps } from '../../services/silences.ts';
import { matcherList, SILENCE_FOR, SILENCE_RUNBOOK_ID } from '../alertmanager/silence-runbook.ts';
import { type DecisionDeps, tellPrivately } from './approval-actions.ts';
import { isOperator } from './command.ts';
import { esc, SILENCE_ACTION } from './messages.ts';

export interface SilenceActionDeps extends DecisionDeps, SilenceRequestDeps {
  operators: readonly string[];
}

/** Silences are on when the built-in runbook is registered (ALERTMANAGER_URL set). */
export const silencesOn = (registry: Pick<RunbookRegistry, 'get'>) =>
  registry.get(SILENCE_RUNBOOK_ID) !== undefined;

export function silenceAction(app: App, deps: SilenceActionDeps): void {
  app.action<BlockAction<ButtonAction>>(SILENCE_ACTION, async ({ ack, body, action }) => {
    await ack();
    const channel = body.channel?.id ?? body.container?.channel_id ?? null;
    const told = await silenceAs(deps, body.user.id, action.value ?? '');
    await tellPrivately(deps, channel, body.user.id, told);
  });
}

/** Asks for the silence as the Slack user; returns what to tell them privately. */
export async function silenceAs(deps: SilenceActionDeps, user: string, incidentId: string): Promise<string> {
  if (!isOperator(deps, user)) return ':no_entry: You may not silence alerts from Slack (SLACK_OPERATORS).';
  try {
    const asked = await requestSilence(deps, incidentId, `slack:${user}`);
    const what = `\`${esc(matcherList(asked.labels))}\``;
    return asked.created
      ? `:mute: Silence of ${what} for ${SILENCE_FOR} requested (run \`${asked.runId}\`): it is created once an approver other than you approves it.`
      : `:information_source: A silence of ${what} is already requested or active: run \`${asked.runId}\`.`;
  } catch (err) {
    if (err instanceof FirebreakError && err.nonRetryable) return `:warning: ${esc(err.message)}`;
    throw err;
  }
}
