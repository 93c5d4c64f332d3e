// What the step-level helpers need of a step's context: its `http` (so the testing kit's stub answers
// and the step's abort signal applies), `secret` (the credential is registered for redaction before it
// is used) and its clock.
import type { Fetch } from './api-error.ts';

export interface StepLike {
  http: Fetch;
  secret(name: string): string;
  now(): Date;
}
