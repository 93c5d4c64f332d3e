// firebreak/testing: the runbook testing kit. A runbook's tests run it in-process on in-memory PGlite
// with a manual clock, answer its HTTP calls from stub routes, decide its gates, and assert on steps,
// evidence, reverts and the postmortem: runbooks tested without touching production.
// Guide: docs/testing.md.

/** The clock tests move by hand; the kit makes one unless you pass yours. */
export { ManualClock } from '../core/clock.ts';
/** Gate rules for `finish()` and the decider options of `approve()` / `reject()`. */
export {
  type ApprovalRule,
  type ApprovalRules,
  type DeciderOptions,
  TEST_APPROVER,
} from './approvals.ts';
/** Applies already counted against budgets when a test run starts (`budgetUsed`). */
export type { BudgetsUsed } from './budgets.ts';
/** HTTP stubbing: routes, replies, and the recorded requests. */
export {
  type HttpStub,
  type RecordedRequest,
  type StubAnswer,
  type StubReply,
  type StubRoute,
  type StubRoutes,
  stubHttp,
} from './http-stub.ts';
/** The incident a test run belongs to, and the postmortem draft it produces. */
export type { PostmortemDraft, TestIncident } from './incident.ts';
/** What notify steps sent and which approval requests went out. */
export type { SentMessage } from './notifier.ts';
/** The run under test: drive it and read what it did. */
export { type MitigationEvent, RunbookTest } from './runbook-test.ts';
/** Commands on hosts (`ctx.ssh`) answered from routes, and the recorded commands. */
export {
  type RecordedCommand,
  type SshStub,
  type SshStubAnswer,
  type SshStubReply,
  type SshStubRoute,
  type SshStubRoutes,
  stubSsh,
} from './ssh-stub.ts';
/** Starting one runbook under test. */
export { inputFromAlert, type TestAlert, type TestRunbookOptions, testRunbook } from './start.ts';
/** Whether an alert's labels start the runbook (its triggers, matched as the router matches them). */
export { matchesTriggers } from './triggers.ts';
