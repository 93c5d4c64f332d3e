// One place that turns errors into HTTP responses, all in one JSON shape:
// { "error": { "code": "...", "message": "...", "issues"?: [...] } }.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { FirebreakError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';

export class HttpError extends FirebreakError {
  constructor(
    readonly status: ContentfulStatusCode,
    code: string,
    message: string,
    details?: Record<string, unknown>,
  ) {
    super(code, message, { nonRetryable: true, ...(details ? { details } : {}) });
  }
}

const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  validation: 422,
  not_found: 404,
  conflict: 409,
  runbook_definition: 422,
};

export interface ErrorBody {
  error: { code: string; message: string; issues?: unknown[] };
}

export function toErrorResponse(err: unknown): { status: ContentfulStatusCode; body: ErrorBody } {
  if (err instanceof HttpError || err instanceof FirebreakError) {
    const status = err instanceof HttpError ? err.status : (STATUS_BY_CODE[err.code] ?? 500);
    const issues = err.details?.issues as unknown[] | undefined;
    return {
      status,
      body: { error: { code: err.code, message: err.message, ...(issues ? { issues } : {}) } },
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
}

export function onError(logger: Logger) {
  return (err: Error, c: Context) => {
    const { status, body } = toErrorResponse(err);
    if (status >= 500) logger.error('request failed', { path: c.req.path, error: err.stack });
    return c.json(body, status);
  };
}
