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
