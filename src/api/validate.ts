// Request validation with zod: a failure is a 422 with the zod issues, in the one error shape. Params and
// query go through the OpenAPI routes' validators (openapi.ts routes their failures here); a JSON body is
// read here, so an empty body means "absent" (the schema's default applies) and malformed JSON is 400.
import type { Context } from 'hono';
import type { z } from 'zod';
import { HttpError } from './errors.ts';

export async function jsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  const text = await c.req.text();
  let raw: unknown;
  try {
    raw = text.trim() === '' ? undefined : JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'bad_json', `body is not JSON: ${(err as Error).message}`);
  }
  return check(schema, raw, 'body');
}

/** The one answer to a request that failed validation: where (`body`, `query`, …) and zod's issues. */
export function invalid(where: string, issues: z.core.$ZodIssue[]): HttpError {
  return new HttpError(422, 'validation', `invalid ${where}`, { issues });
}

function check<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalid(where, parsed.error.issues);
  return parsed.data;
}
