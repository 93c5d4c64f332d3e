// Requests to /slack/events built from the fixtures and signed the way Slack signs them:
// X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body)>.
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/slack/${name}`, import.meta.url), 'utf8');

export const SLACK_SECRET = 'slack-signing-secret-for-tests';

export interface SignedRequest {
  body: string;
  headers: Record<string, string>;
}

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Signs `body`; `timestamp` (unix seconds) defaults to now, `secret` to the tests' signing secret. */
export function signed(
  body: string,
  contentType: string,
  opts: { timestamp?: number; secret?: string } = {},
): SignedRequest {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    body,
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(opts.secret ?? SLACK_SECRET, timestamp, body),
    },
  };
}

/** The interactive button click of the fixture, for `approvalId`, as Slack posts it (payload=<JSON>). */
export function buttonClick(
  approvalId: string,
  opts: { action?: 'approval_approve' | 'approval_reject'; userId?: string; timestamp?: number } = {},
): SignedRequest {
  const payload = JSON.parse(fixture('block-actions-approve.json').replaceAll('APPROVAL_ID', approvalId));
  if (opts.userId) payload.user.id = opts.userId;
  if (opts.action) {
    payload.actions[0].action_id = opts.action;
    payload.actions[0].text.text = opts.action === 'approval_reject' ? 'Reject' : 'Approve';
  }
  return form({ payload: JSON.stringify(payload) }, opts);
}

/**
 * A click on an incident message's "Silence for 1h" button (block_actions like the fixture's, with the
 * incident message's action: action_id silence_alert, value the incident id).
 */
export function silenceClick(incidentId: string, opts: { userId?: string } = {}): SignedRequest {
  const payload = JSON.parse(fixture('block-actions-approve.json').replaceAll('APPROVAL_ID', incidentId));
  if (opts.userId) payload.user.id = opts.userId;
  payload.message.blocks[1].block_id = `silence:${incidentId}`;
  payload.actions[0] = {
    ...payload.actions[0],
    action_id: 'silence_alert',
    block_id: `silence:${incidentId}`,
    value: incidentId,
    text: { type: 'plain_text', text: ':mute: Silence for 1h', emoji: true },
  };
  delete payload.actions[0].style;
  return form({ payload: JSON.stringify(payload) });
}

/** A view_submission of the reject modal, carrying what `views.open` was given. */
export function modalSubmit(
  view: { callback_id: string; private_metadata: string },
  reason: string,
  opts: { userId?: string } = {},
): SignedRequest {
  const click = JSON.parse(fixture('block-actions-approve.json'));
  const payload = {
    type: 'view_submission',
    team: click.team,
    user: { ...click.user, ...(opts.userId ? { id: opts.userId } : {}) },
    api_app_id: click.api_app_id,
    token: click.token,
    trigger_id: click.trigger_id,
    view: {
      id: 'V07MODAL',
      type: 'modal',
      callback_id: view.callback_id,
      private_metadata: view.private_metadata,
      state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
    },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
  return form({ payload: JSON.stringify(payload) });
}

/** The slash command of the fixture with `text`, as flat form fields. */
export function slashCommand(
  text: string,
  opts: { userId?: string; timestamp?: number } = {},
): SignedRequest {
  const fields = JSON.parse(fixture('slash-command.json')) as Record<string, string>;
  fields.text = text;
  if (opts.userId) fields.user_id = opts.userId;
  return form(fields, opts);
}

function form(fields: Record<string, string>, opts: { timestamp?: number } = {}): SignedRequest {
  return signed(
    new URLSearchParams(fields).toString(),
    'application/x-www-form-urlencoded',
    opts.timestamp === undefined ? {} : { timestamp: opts.timestamp },
  );
}
