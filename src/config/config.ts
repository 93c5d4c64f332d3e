// Configuration comes from the environment, parsed once at start with zod and passed down. No other
// module reads process.env. A bad value stops the start with a message naming the variable.
import { z } from 'zod';
import { ValidationError } from '../core/errors.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const configSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  FIREBREAK_DATA_DIR: z.string().min(1).default('./.firebreak'),
  RUNBOOKS_DIR: z.string().min(1).default('./runbooks'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  FIREBREAK_WORKER_ID: z.string().min(1).optional(),
  FIREBREAK_MAX_CONCURRENT_RUNS: z.coerce.number().int().min(1).default(200),
  FIREBREAK_LEASE_MS: z.coerce.number().int().min(500).default(3000),
  FIREBREAK_POLL_MS: z.coerce.number().int().min(50).default(1000),
  FIREBREAK_DB_POOL: z.coerce.number().int().min(1).max(100).default(10),
  FIREBREAK_MIGRATE: bool.default(true),
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
