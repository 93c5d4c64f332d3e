// notify: a message to the incident's channel (through the engine's notifier), retried like a diagnostic.
import { runFunctionStep } from './diagnostic.ts';
import type { StepKindHandler } from './kind.ts';

export const notify: StepKindHandler<'notify'> = {
  execute: (ex, def, st) =>
    runFunctionStep(ex, def, st, async (ctx) => {
      const n = def.notify;
      const message = typeof n.message === 'function' ? await n.message(ctx) : n.message;
      return { delivered: await ex.notifier.notify(ex.info, message, n.channel), message };
    }),
};
