// sleep: a durable timer. The due time is committed first, so a crash resumes the same timer.
import { parseDuration } from '../../core/duration.ts';
import { succeed } from '../step-results.ts';
import { done, type StepKindHandler } from './kind.ts';

export const sleep: StepKindHandler<'sleep'> = {
  async execute(ex, def, st) {
    if (typeof st.state.until !== 'string') {
      const now = ex.now();
      const until = new Date(now.getTime() + parseDuration(def.sleep.duration));
      Object.assign(st, { status: 'running', startedAt: now });
      st.state.until = until.toISOString();
      await ex.commit({
        steps: [ex.stepWrite(st)],
        events: [ex.event('timer.started', st.key, { until: st.state.until })],
      });
    }
    const parked = await ex.waitOrPark(new Date(String(st.state.until)));
    if (parked) return { type: 'parked', wakeAt: parked };
    await succeed(ex, st, { stepName: def.name, output: { until: st.state.until } });
    return done;
  },
};
