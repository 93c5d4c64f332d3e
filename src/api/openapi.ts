// /openapi.json, generated from the routes themselves: each route of the API is declared once with
// createRoute (path, params, query, body, responses, operationId) and mounted from that declaration on
// an OpenAPIHono sub-app, so the document cannot drift from what the server answers.
import { type Hook, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AuthVariables } from './auth.ts';
import { errorBody } from './schemas.ts';
import { invalid, jsonBody } from './validate.ts';

/** What the API's handlers find on their context. */
export type ApiEnv = { Variables: AuthVariables };

const WHERE: Record<string, string> = { json: 'body', query: 'query', param: 'path', header: 'headers' };

/** The library's validators (params, query) fail into the one error shape: 422 with zod's issues. */
const validationHook: Hook<unknown, ApiEnv, string, undefined> = (result) => {
  if (!result.success) throw invalid(WHERE[result.target] ?? result.target, result.error.issues);
};

/** A group of API routes, mounted under its prefix with `app.route()`. */
export function apiRoutes(): OpenAPIHono<ApiEnv> {
  return new OpenAPIHono<ApiEnv>({ defaultHook: validationHook });
}

const errorResponse = errorBody.openapi('Error', {
  description: 'Every refusal and failure: { error: { code, message, issues? } }',
});

const ERRORS = {
  400: 'The body is not JSON (`bad_json`)',
  401: 'No bearer token, or an unknown one (`unauthorized`)',
  403: 'The caller’s role may not do this (`forbidden`), or a cross-site request (`cross_site`)',
  404: 'No such resource (`not_found`)',
  409: 'The resource is in a state that does not allow this (`conflict`)',
  413: 'The body is larger than the limit (`payload_too_large`)',
  415: 'The body is not application/json (`unsupported_media_type`)',
  421: 'No API tokens and a Host that is not this server’s (`misdirected_request`)',
  422: 'The request failed validation (`validation`, with zod’s `issues`)',
} as const;

type ErrorStatus = keyof typeof ERRORS;
type ErrorEntry = { description: string; content: { 'application/json': { schema: typeof errorResponse } } };

const entry = (description: string): ErrorEntry => ({
  description,
  content: { 'application/json': { schema: errorResponse } },
});

/** The error responses of a route: the statuses it is known to answer, and `default` for the rest. */
export function errors<S extends ErrorStatus>(...statuses: S[]): Record<S | 'default', ErrorEntry> {
  const out: Partial<Record<S | 'default', ErrorEntry>> = {};
  for (const s of statuses) out[s] = entry(ERRORS[s]);
  out.default = entry('Any other error, in the same shape');
  return out as Record<S | 'default', ErrorEntry>;
}

/** Errors of every route behind a bearer token. */
export const AUTH_ERRORS = [401, 403] as const;

/** A JSON response of the document. */
export const json = <S extends z.ZodType>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A JSON request body; `required: false` when an absent body means the schema's default. */
export const jsonRequest = <S extends z.ZodType>(schema: S, required = true) => ({
  required,
  content: { 'application/json': { schema } },
});

/** Path parameters as the document declares them; an id that names nothing is a 404, not a 422. */
export const idParam = z.object({ id: z.string().openapi({ param: { name: 'id', in: 'path' } }) });

/**
 * Mounts `route` with its JSON body read by validate.ts's jsonBody rather than the library's validator,
 * which would answer an empty body 400 (here it means "absent": the schema's default applies), answer
 * broken JSON outside the one error shape, and read the request stream again to look for a body. The
 * content type is the request guard's (exposure.ts). The document shows the route as declared.
 */
export function withJsonBody<R extends RouteConfig>(app: OpenAPIHono<ApiEnv>, route: R): R {
  const { middleware, hide: _hide, ...doc } = route;
  app.openAPIRegistry.registerPath(doc as RouteConfig);
  const media = route.request?.body?.content['application/json'];
  const schema = media && 'schema' in media ? media.schema : undefined;
  if (!(schema instanceof z.ZodType)) throw new Error(`${route.operationId}: no JSON body schema`);
  const read: MiddlewareHandler<ApiEnv> = async (c, next) => {
    c.req.addValidatedData('json', (await jsonBody(c, schema)) as object);
    await next();
  };
  const before = middleware === undefined ? [] : Array.isArray(middleware) ? middleware : [middleware];
  return {
    ...route,
    hide: true,
    request: { ...route.request, body: undefined },
    middleware: [...before, read],
  };
}

/** The document of everything mounted on `app` (call it once all routes are). */
export function openApiDocument(
  app: Pick<OpenAPIHono, 'openAPIRegistry' | 'getOpenAPI31Document'>,
): Record<string, unknown> {
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  return app.getOpenAPI31Document({
    openapi: '3.1.0',
    info: { title: 'firebreak', version: '0.1.0' },
    security: [{ bearer: [] }],
  }) as unknown as Record<string, unknown>;
}
