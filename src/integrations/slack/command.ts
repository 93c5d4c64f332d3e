// `/firebreak status | approve <id> | reject <id> <reason> | run <runbook> [json] | pause | resume`.
// Acknowledged at once; the answer follows as an ephemeral message. Approvals go through the one decision
// path; run, pause and resume are for SLACK_OPERATORS (user ids or approver groups) only.
import type { App } from '@slack/bolt';
import { FirebreakError } from '../../core/errors.ts';
import type { Firebreak } from '../../firebreak.ts';
import { builtinRefusal, isBuiltinRunbook } from '../../runbooks/builtin.ts';
import { runsOf } from '../../services/runs.ts';
import { type DecisionDeps, decideAs, tellPrivately } from './approval-actions.ts';
import { esc, when } from './messages.ts';

export interface CommandDeps extends DecisionDeps {
  fb: Pick<Firebreak, 'engine' | 'store'>;
  /** Slack user ids or approver group names allowed to run, pause and resume. */
  operators: readonly string[];
}

export const USAGE = [
  '`/firebreak status`: kill switch, runs and pending approvals',
  '`/firebreak approve <approval-id>`',
  '`/firebreak reject <approval-id> <reason>`',
  '`/firebreak run <runbook> [input as JSON]`',
  '`/firebreak pause` / `/firebreak resume`: the kill switch for new mitigations',
].join('\n');

export function firebreakCommand(app: App, deps: CommandDeps): void {
  app.command('/firebreak', async ({ ack, command }) => {
    await ack();
    const reply = await runCommand(deps, command.user_id, command.text ?? '').catch((err: unknown) => {
      deps.logger.error('slash command failed', { error: (err as Error).stack });
      return `:warning: That failed: ${esc((err as Error).message)}`;
    });
    await tellPrivately(deps, command.channel_id, command.user_id, reply);
  });
}

export async function runCommand(deps: CommandDeps, user: string, text: string): Promise<string> {
  const line = text.trim();
  const [sub = '', ...rest] = line.split(/\s+/);
  const arg = (n: number) => rest[n] ?? '';
  switch (sub.toLowerCase()) {
    case 'status':
      return status(deps);
    case 'approve':
      if (!arg(0)) return `Usage: \`/firebreak approve <approval-id>\``;
      return (await decideAs(deps, user, arg(0), 'approve', null)) ?? `:white_check_mark: Approval recorded.`;
    case 'reject': {
      const reason = afterWords(line, 2);
      if (!arg(0) || !reason)
        return 'Usage: `/firebreak reject <approval-id> <reason>` (a reason is required)';
      return (await decideAs(deps, user, arg(0), 'reject', reason)) ?? ':x: Rejection recorded.';
    }
    case 'run':
      return operator(deps, user, 'start runs', () => start(deps, user, arg(0), afterWords(line, 2)));
    case 'pause':
      return operator(deps, user, 'pause mitigations', async () => {
        await deps.fb.engine.setPaused(true, `slack:${user}`);
        return ':octagonal_sign: Kill switch on: new mitigations are held; diagnostics go on.';
      });
    case 'resume':
      return operator(deps, user, 'resume mitigations', async () => {
        await deps.fb.engine.setPaused(false, `slack:${user}`);
        return ':arrow_forward: Kill switch off: mitigations run again.';
      });
    default:
      return `firebreak commands:\n${USAGE}`;
  }
}

async function operator(deps: CommandDeps, user: string, what: string, fn: () => Promise<string>) {
  if (!isOperator(deps, user)) return `:no_entry: You may not ${what} from Slack (SLACK_OPERATORS).`;
  return fn();
}

/** A Slack user SLACK_OPERATORS names, by any of their ids or through an approver group. */
export function isOperator(deps: Pick<CommandDeps, 'approvals' | 'operators'>, user: string): boolean {
  const groups = deps.approvals.groups(user);
  const ids = deps.approvals.identities.aliases(user);
  return ids.some((id) => deps.operators.includes(id)) || groups.some((g) => deps.operators.includes(g));
}

async function start(deps: CommandDeps, user: string, runbook: string, json: string): Promise<string> {
  if (!runbook) return 'Usage: `/firebreak run <runbook> [input as JSON]`';
  if (isBuiltinRunbook(runbook)) return `:no_entry: ${esc(builtinRefusal(runbook))}`;
  let input: unknown = {};
  if (json) {
    try {
      // Slack clients like to turn straight quotes into typographic ones.
      input = JSON.parse(json.replace(/[\u201c\u201d]/g, '"').replace(/[\u2018\u2019]/g, "'"));
    } catch (err) {
      return `:warning: The input is not JSON: ${esc((err as Error).message)}`;
    }
  }
  try {
    const { runId, created } = await runsOf(deps.fb).start(runbook, input, { requestedBy: `slack:${user}` });
    return `:arrow_forward: ${created ? 'Started' : 'Already running:'} run \`${runId}\` of \`${esc(runbook)}\`.`;
  } catch (err) {
    if (!(err instanceof FirebreakError)) throw err;
    const issues = (err.details?.issues as { path: PropertyKey[]; message: string }[] | undefined) ?? [];
    const lines = issues.map((i) => `• \`${i.path.map(String).join('.') || '(input)'}\`: ${esc(i.message)}`);
    return [`:warning: ${esc(err.message)}`, ...lines].join('\n');
  }
}

async function status(deps: CommandDeps): Promise<string> {
  const [paused, { running, waiting }, pending] = await Promise.all([
    deps.fb.engine.isPaused(),
    runsOf(deps.fb).active(100),
    deps.approvals.list({ status: 'pending' }),
  ]);
  const count = (n: number) => (n >= 100 ? '100+' : String(n));
  const lines = [
    paused
      ? ':octagonal_sign: Kill switch ON: new mitigations are held.'
      : ':large_green_circle: Mitigations run.',
    `Runs: ${count(running.length)} running, ${count(waiting.length)} waiting.`,
    pending.length === 0 ? 'No approvals pending.' : `Approvals pending (${pending.length}):`,
    ...pending
      .slice(0, 20)
      .map((a) => `• \`${a.id}\`: \`${esc(a.stepKey)}\` of run \`${a.runId}\`, since ${when(a.requestedAt)}`),
  ];
  return lines.join('\n');
}

/** The text after the first `n` words, as typed (JSON keeps its spaces). */
function afterWords(line: string, n: number): string {
  const m = new RegExp(`^(?:\\S+\\s+){${n}}`).exec(line);
  return m ? line.slice(m[0].length).trim() : '';
}
