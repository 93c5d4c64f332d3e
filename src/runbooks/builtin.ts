// firebreak's own runbooks, registered beside those of RUNBOOKS_DIR in every process that executes runs
// (serve, worker, --local), so a run one process starts any other can continue.
import type { Config } from '../config/config.ts';
import type { AnyRunbook } from '../dsl/runbook.ts';
import { alertmanagerSettings } from '../integrations/alertmanager/settings.ts';
import { silenceRunbook } from '../integrations/alertmanager/silence-runbook.ts';

export function builtinRunbooks(config: Config): AnyRunbook[] {
  const alertmanager = alertmanagerSettings(config);
  return alertmanager ? [silenceRunbook(alertmanager) as unknown as AnyRunbook] : [];
}

/**
 * firebreak's own runbooks are started only by their own actions (the silence button takes its labels
 * from the incident's stored alerts): the generic ways to start a run (`POST /api/runs`, Slack's
 * `/firebreak run`) refuse them, or a caller would choose what they act on.
 */
export const isBuiltinRunbook = (id: string) => id.startsWith('firebreak.');

export const builtinRefusal = (id: string) =>
  `${id} is firebreak's own runbook: it is started by its own action (the incident's "Silence this alert for 1h"), not directly`;
