// Configuration comes from the environment, parsed once at start with zod and passed down. No other
// module reads process.env. A bad value stops the start with a message naming the variable.
import { z } from 'zod';
import { parseDuration } from '../core/duration.ts';
import { ValidationError } from '../core/errors.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const duration = z.string().refine((v) => {
  try {
    parseDuration(v);
    return true;
  } catch {
    return false;
  }
}, 'must be a duration such as 30s, 10m, 1h');

const secret = z.string().min(8, 'must be at least 8 characters');

export const roles = ['viewer', 'operator', 'approver', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface ApiToken {
  token: string;
  role: Role;
  identity: string;
}

const apiTokens = z.string().transform((v, ctx): ApiToken[] => {
  const out: ApiToken[] = [];
  for (const part of v
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const m = /^([^=]{8,})=(viewer|operator|approver|admin)(?::(.+))?$/.exec(part);
    if (!m) {
      ctx.addIssue({
        code: 'custom',
        message:
          'each entry must be token=role[:identity], token ≥ 8 characters, role viewer|operator|approver|admin',
      });
      return z.NEVER;
    }
    out.push({ token: m[1]!, role: m[2] as Role, identity: m[3] ?? `${m[2]}-token-${out.length + 1}` });
  }
  return out;
});

export const configSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  FIREBREAK_DATA_DIR: z.string().min(1).default('./.firebreak'),
  RUNBOOKS_DIR: z.string().min(1).default('./runbooks'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  FIREBREAK_WORKER_ID: z.string().min(1).optional(),
  FIREBREAK_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).default(200),
  FIREBREAK_LEASE_MS: z.coerce.number().int().min(500).default(3000),
  FIREBREAK_POLL_MS: z.coerce.number().int().min(50).default(1000),
  FIREBREAK_DB_POOL: z.coerce.number().int().min(1).max(100).default(10),
  FIREBREAK_MIGRATE: bool.default(true),
  /** A re-fire within this long after an incident resolved reopens it instead of opening a new one. */
  FLAP_WINDOW: duration.default('10m'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024),
  /** Webhook credentials; a source with none configured accepts requests from loopback only. */
  ALERTMANAGER_TOKEN: secret.optional(),
  GRAFANA_TOKEN: secret.optional(),
  GRAFANA_HMAC_SECRET: secret.optional(),
  /** Header carrying the unix timestamp when Grafana's signature covers "<ts>:<body>". */
  GRAFANA_TIMESTAMP_HEADER: z.string().min(1).optional(),
  /** Comma-separated: several during a secret rotation. */
  PAGERDUTY_WEBHOOK_SECRETS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .optional(),
  DATADOG_TOKEN: secret.optional(),
  GENERIC_TOKEN: secret.optional(),
  /** `group=member|member;…`: who belongs to the approver groups that policies name. */
  APPROVER_GROUPS: z
    .string()
    .transform(
      (v) =>
        Object.fromEntries(
          v
            .split(';')
            .map((g) => g.trim())
            .filter(Boolean)
            .map((g) => {
              const [name, members = ''] = g.split('=');
              return [
                name!.trim(),
                members
                  .split('|')
                  .map((m) => m.trim())
                  .filter(Boolean),
              ];
            }),
        ) as Record<string, string[]>,
    )
    .optional(),
  /** `token=role[:identity],…` with role viewer, operator, approver or admin. None: loopback only. */
  API_TOKENS: apiTokens.optional(),
});

export type Config = z.output<typeof configSchema>;

export function parseConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as shells and .env files write them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(cleaned);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new ValidationError(`invalid configuration:\n  ${lines.join('\n  ')}`, {
    issues: parsed.error.issues,
  });
}

/** Every configured secret value, so it can be redacted wherever it would otherwise be written. */
export function secretsOf(config: Config): string[] {
  return [
    config.ALERTMANAGER_TOKEN,
    config.GRAFANA_TOKEN,
    config.GRAFANA_HMAC_SECRET,
    config.DATADOG_TOKEN,
    config.GENERIC_TOKEN,
    ...(config.PAGERDUTY_WEBHOOK_SECRETS ?? []),
    ...(config.API_TOKENS ?? []).map((t) => t.token),
  ].filter((s): s is string => Boolean(s));
}

/** The approver groups an identity belongs to. */
export function groupsOf(config: Config): (identity: string) => string[] {
  const groups = config.APPROVER_GROUPS ?? {};
  return (identity) =>
    Object.entries(groups)
      .filter(([, members]) => members.includes(identity))
      .map(([g]) => g);
}
