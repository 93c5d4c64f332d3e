// `firebreak approvals`, `firebreak approve|reject <approval-id>`: gates, decided through the server
// under the gate's policy, as the identity of FIREBREAK_TOKEN (on a loopback server without API_TOKENS:
// the unauthenticated local admin).
import { JSON_FLAG, LOCAL_FLAG, parse, required } from './args.ts';
import { withApi } from './connect.ts';
import { type Command, EXIT, UsageError } from './io.ts';
import { printJson, table } from './print.ts';

interface WireApproval {
  id: string;
  runId: string;
  stepKey: string;
  status: string;
  policy: { approvers?: string[]; groups?: string[]; roles?: string[]; quorum?: number };
  decisions: { by: string; via: string; decision: string; reason: string | null; at: string }[];
  requestedAt: string;
  expiresAt: string | null;
}

const decideOptions = {
  reason: { type: 'string', short: 'r', value: '<text>', description: 'why (required to reject)' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

/** `--as` let the old CLI decide as anyone; a decision is now made by the token's identity. */
function refuseImpersonation(args: readonly string[]): void {
  if (args.some((a) => a === '--as' || a.startsWith('--as='))) {
    throw new UsageError(
      "--as is gone: the CLI decides as the identity of FIREBREAK_TOKEN (one of the server's API_TOKENS)",
    );
  }
}

function decisionCommand(decision: 'approve' | 'reject') {
  return {
    summary:
      decision === 'approve'
        ? 'approve a gate (as the identity of FIREBREAK_TOKEN)'
        : 'reject a gate; a reason is required',
    usage: `${decision} <approval-id>${decision === 'reject' ? ' --reason <text>' : ' [--reason <text>]'}`,
    group: 'server',
    options: decideOptions,
    examples: [
      decision === 'approve'
        ? 'firebreak approve 5b1e0c9a-…'
        : "firebreak reject 5b1e0c9a-… --reason 'not during the sale'",
    ],
    async run(args, ctx) {
      refuseImpersonation(args);
      const { values, positionals } = parse(this, args, 1);
      const id = required(positionals, 0, 'the approval id (firebreak approvals lists them)');
      if (decision === 'reject' && !values.reason?.trim()) throw new UsageError('a rejection needs --reason');
      return withApi(ctx, { local: values.local }, async ({ api }) => {
        const { approval } = await api.post<{ approval: WireApproval }>(
          `/api/approvals/${encodeURIComponent(id)}/${decision}`,
          values.reason ? { reason: values.reason } : {},
        );
        if (values.json) printJson(ctx.io, approval);
        else {
          const by = approval.decisions.at(-1)?.by ?? '?';
          const more = approval.status === 'pending' ? ' (the gate needs more approvals)' : '';
          ctx.io.out(`approval ${approval.id}: ${approval.status}${more} (${decision} by ${by})`);
        }
        return EXIT.ok;
      });
    },
  } satisfies Command & { options: typeof decideOptions };
}

export const approveCommand = decisionCommand('approve');
export const rejectCommand = decisionCommand('reject');

const listOptions = {
  all: { type: 'boolean', short: 'a', description: 'every approval, not only the pending ones' },
  run: { type: 'string', value: '<run-id>', description: 'only the gates of this run' },
  ...JSON_FLAG,
  ...LOCAL_FLAG,
} as const;

export const approvalsCommand = {
  summary: 'list the gates waiting for a decision, with their ids',
  usage: 'approvals [--all] [--run <run-id>]',
  group: 'server',
  options: listOptions,
  examples: ['firebreak approvals', 'firebreak approvals --all --json'],
  async run(args, ctx) {
    const { values } = parse(this, args, 0);
    return withApi(ctx, { local: values.local }, async ({ api }) => {
      const { approvals } = await api.get<{ approvals: WireApproval[] }>('/api/approvals', {
        status: values.all ? undefined : 'pending',
        run: values.run,
      });
      if (values.json) printJson(ctx.io, approvals);
      else if (approvals.length === 0) ctx.io.out(values.all ? 'no approvals' : 'no gate is waiting');
      else {
        const rows = approvals.map((a) => [
          a.id,
          a.status,
          a.stepKey,
          `run ${a.runId.slice(0, 8)}`,
          `since ${a.requestedAt}`,
          who(a.policy),
        ]);
        for (const line of table(rows)) ctx.io.out(line);
      }
      return EXIT.ok;
    });
  },
} satisfies Command & { options: typeof listOptions };

function who(p: WireApproval['policy']): string {
  const parts = [
    ...(p.approvers ?? []),
    ...(p.groups ?? []).map((g) => `group ${g}`),
    ...(p.roles ?? []).map((r) => `role ${r}`),
  ];
  const quorum = (p.quorum ?? 1) > 1 ? `, quorum ${p.quorum}` : '';
  return `${parts.length > 0 ? `approvers: ${parts.join(', ')}` : 'anyone who may approve'}${quorum}`;
}
