// Request validation with zod: a failure is a 422 with the zod issues, in the one error shape.
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

export function query<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  return check(schema, c.req.query(), 'query');
}

function check<S extends z.ZodType>(schema: S, raw: unknown, where: string): z.output<S> {
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    throw new HttpError(422, 'validation', `invalid ${where}`, { issues: parsed.error.issues });
  return parsed.data;
}
