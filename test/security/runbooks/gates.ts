// Gates for test/security/decisions.test.ts: one that names nobody (the approver role decides), one a
// group decides with a quorum of two, and a notify that repeats what its input says (alert text).
import { runbook, z } from 'firebreak';

const text = z.object({ text: z.string().default('') });

export const openGate = runbook({ id: 'open-gate', title: 'Open gate', input: text })
  .approval('go', { summary: 'names no approvers' })
  .diagnostic('after', async () => ({ ok: true }));

/** Names its deciders by identity: only the route's permission keeps a viewer or an operator out. */
export const namedGate = runbook({ id: 'named-gate', title: 'Named gate', input: text })
  .approval('go', { approvers: ['vera', 'ops', 'alice'] })
  .diagnostic('after', async () => ({ ok: true }));

export const quorumGate = runbook({ id: 'quorum-gate', title: 'Quorum gate', input: text })
  .approval('go', { groups: ['sre-oncall'], quorum: 2 })
  .diagnostic('after', async () => ({ ok: true }));

export const saySomething = runbook({ id: 'say', title: 'Says what the alert said', input: text }).notify(
  'say',
  { message: ({ input }) => `alert says: ${input.text}` },
);
