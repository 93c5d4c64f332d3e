// The Alertmanager settings of a configuration: where silences go, as whom, and who approves them.
import type { Config } from '../../config/config.ts';
import type { AlertmanagerEndpoint } from './client.ts';

export interface AlertmanagerSettings {
  endpoint: AlertmanagerEndpoint;
  /** Approver groups of the silence gate (empty: the approver role decides). */
  groups: readonly string[];
  /** firebreak's PUBLIC_URL, for the incident link in a silence's comment. */
  publicUrl: string | undefined;
}

/** Null when ALERTMANAGER_URL is not set: then there is no silence button anywhere. */
export function alertmanagerSettings(config: Config): AlertmanagerSettings | null {
  if (!config.ALERTMANAGER_URL) return null;
  const basic =
    config.ALERTMANAGER_API_USER && config.ALERTMANAGER_API_PASSWORD
      ? { username: config.ALERTMANAGER_API_USER, password: config.ALERTMANAGER_API_PASSWORD }
      : undefined;
  return {
    endpoint: { url: config.ALERTMANAGER_URL, bearerToken: config.ALERTMANAGER_API_TOKEN, basicAuth: basic },
    groups: config.ALERTMANAGER_SILENCE_GROUPS ?? [],
    publicUrl: config.PUBLIC_URL,
  };
}
