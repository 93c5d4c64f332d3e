// The Slack settings of a configuration. Apart from slack.ts so that a firebreak without Slack never
// loads @slack/bolt (a third of the start-up time and ~35 MB): server.ts imports the wiring only when
// these say Slack is on.
import type { Config } from '../../config/config.ts';
import { parseDuration } from '../../core/duration.ts';
import { type RetryPolicy, retryPolicy } from '../../core/retry.ts';
import type { SlackChannels } from './threads.ts';

export interface SlackSettings {
  botToken: string;
  signingSecret: string;
  apiUrl: string;
  channels: SlackChannels;
  operators: readonly string[];
  retry: RetryPolicy;
  pollMs: number;
  bodyLimitBytes: number;
}

/** The Slack settings of a configuration, or null when Slack is off (no SLACK_BOT_TOKEN). */
export function slackSettings(config: Config): SlackSettings | null {
  const { SLACK_BOT_TOKEN: botToken, SLACK_SIGNING_SECRET: signingSecret } = config;
  if (!botToken || !signingSecret || !config.SLACK_INCIDENT_CHANNEL) return null;
  return {
    botToken,
    signingSecret,
    apiUrl: config.SLACK_API_URL,
    channels: { incident: config.SLACK_INCIDENT_CHANNEL, drill: config.SLACK_DRILL_CHANNEL ?? null },
    operators: config.SLACK_OPERATORS ?? [],
    retry: retryPolicy({
      maxAttempts: config.SLACK_RETRY_MAX_ATTEMPTS,
      initialDelayMs: parseDuration(config.SLACK_RETRY_INITIAL_DELAY),
      maxDelayMs: 5 * 60_000,
    }),
    pollMs: config.FIREBREAK_POLL_MS,
    bodyLimitBytes: config.BODY_LIMIT_BYTES,
  };
}
