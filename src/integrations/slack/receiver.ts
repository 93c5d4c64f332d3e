// A Bolt receiver for fetch-style servers: hono hands it the Request of POST /slack/events and sends the
// Response it returns. The signature is checked over the raw body before anything is parsed; the
// response goes out as soon as a listener calls ack(), and the listener's work goes on after it.
import { type App, type Receiver, type ReceiverEvent, ReceiverMultipleAckError } from '@slack/bolt';
import type { Clock } from '../../core/clock.ts';
import type { Logger } from '../../core/logger.ts';
import { verifySlackSignature } from './verify.ts';

export interface FetchReceiverOptions {
  signingSecret: string;
  clock: Clock;
  logger: Logger;
  /** Slack waits 3 s for the acknowledgement; a listener that has not acked by then gets Bolt's 404. */
  ackTimeoutMs?: number;
  bodyLimitBytes?: number;
}

const FORM = 'application/x-www-form-urlencoded';

export class FetchReceiver implements Receiver {
  private app: App | undefined;
  private running = false;
  /** Listener work still going on after its ack; stop() waits for it. */
  private readonly inflight = new Set<Promise<void>>();
  private readonly ackTimeoutMs: number;
  private readonly bodyLimit: number;

  constructor(private readonly opts: FetchReceiverOptions) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 3_000;
    this.bodyLimit = opts.bodyLimitBytes ?? 1024 * 1024;
  }

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.running = true;
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.allSettled([...this.inflight]);
  }

  async handle(request: Request): Promise<Response> {
    if (!this.running || !this.app) return status(503);
    const raw = await request.text();
    if (Buffer.byteLength(raw) > this.bodyLimit) return status(413);
    const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    // Slack's certificate check is unsigned; it gets an empty 200 and nothing else is read from it.
    if (type === FORM && new URLSearchParams(raw).get('ssl_check') === '1') return status(200);
    const verdict = verifySlackSignature(
      this.opts.signingSecret,
      raw,
      request.headers,
      this.opts.clock.now().getTime(),
    );
    if (!verdict.ok) {
      this.opts.logger.warn('slack request refused', { reason: verdict.reason });
      return status(401);
    }
    let body: Record<string, unknown>;
    try {
      body = parseBody(raw, type);
    } catch (err) {
      this.opts.logger.warn('slack request body unreadable', { error: (err as Error).message });
      return status(400);
    }
    if (body.type === 'url_verification') return Response.json({ challenge: body.challenge });
    return this.dispatch(this.app, body, request.headers);
  }

  private dispatch(app: App, body: Record<string, unknown>, headers: Headers): Promise<Response> {
    const { logger } = this.opts;
    return new Promise<Response>((resolve) => {
      let acked = false;
      let answered = false;
      const answer = (r: Response) => {
        if (answered) return;
        answered = true;
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        logger.error('slack request not acknowledged in time', { timeoutMs: this.ackTimeoutMs });
        answer(status(404));
      }, this.ackTimeoutMs);
      const retryNum = headers.get('x-slack-retry-num');
      const retryReason = headers.get('x-slack-retry-reason');
      const event: ReceiverEvent = {
        body,
        ack: async (response?: unknown) => {
          if (acked) throw new ReceiverMultipleAckError();
          acked = true;
          answer(ackResponse(response));
        },
        ...(retryNum ? { retryNum: Number(retryNum) } : {}),
        ...(retryReason ? { retryReason } : {}),
      };
      const work: Promise<void> = app
        .processEvent(event)
        // Nothing acknowledged it: no listener matched (Bolt's receivers answer 404 too).
        .then(() => answer(status(404)))
        .catch((err: unknown) => {
          logger.error('slack listener failed', { error: (err as Error).stack ?? String(err) });
          answer(status(500));
        })
        .finally(() => this.inflight.delete(work));
      this.inflight.add(work);
    });
  }
}

function status(code: number): Response {
  return new Response(null, { status: code });
}

/** Interactivity posts payload=<JSON>; slash commands post flat fields; the Events API posts JSON. */
export function parseBody(raw: string, type: string): Record<string, unknown> {
  if (type === FORM) {
    const fields = new URLSearchParams(raw);
    const payload = fields.get('payload');
    if (payload !== null) return JSON.parse(payload) as Record<string, unknown>;
    return Object.fromEntries(fields);
  }
  const parsed: unknown = JSON.parse(raw);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function ackResponse(response: unknown): Response {
  if (response === undefined || response === null || response === '') return status(200);
  if (typeof response === 'string') {
    return new Response(response, { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' } });
  }
  return Response.json(response);
}
