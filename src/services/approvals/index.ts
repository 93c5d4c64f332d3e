// The approvals service every surface shares (API, web, CLI through the API, Slack): one decision path
// (decide.ts) under one policy (policy.ts).
export { Approvals, type DecisionListener, type DecisionOutcome } from './decide.ts';
export { type Decider, type DecisionRequest, judge, mayDecide, type Surface } from './policy.ts';
