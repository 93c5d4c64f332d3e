// `firebreak export --since <time> --until <time> [--audit]`: the journal as JSON lines on stdout, for
// keeping the audit trail before retention deletes it. Like `migrate`, it opens the database itself.
import { parseDuration } from '../core/duration.ts';
import { parse } from './args.ts';
import { type Command, type Options, UsageError } from './io.ts';

const options = {
  since: { type: 'string', value: '<time|age>', description: 'from this ISO time, or this long ago (400d)' },
  until: { type: 'string', value: '<time|age>', description: 'up to this time (default: now)' },
  audit: { type: 'boolean', description: 'only the audit trail (decisions, approvals, mitigations)' },
  json: { type: 'boolean', description: 'JSON lines (the only format; accepted for symmetry)' },
} as const satisfies Options;

export const exportCommand = {
  summary: 'journal events between two times as JSON lines (--audit: the audit trail only)',
  usage: 'export --since <time|age> [--until <time|age>] [--audit]',
  group: 'process',
  options,
  examples: ['firebreak export --since 400d --audit > audit.jsonl', 'firebreak export --since 2026-01-01'],
  async run(args, { config, io }) {
    const { values } = parse(this, args, 0);
    const now = new Date();
    if (values.since === undefined)
      throw new UsageError('export needs --since (an ISO time such as 2026-01-01, or an age such as 400d)');
    const since = timeArg('--since', values.since, now);
    const until = values.until === undefined ? now : timeArg('--until', values.until, now);
    if (until <= since) throw new UsageError('--until must be later than --since');
    // Like migrate, export opens the database itself; loaded here so other commands start light.
    const [{ configOptionsOf, secretsOf }, { connectDatabase }, { redactor }, { exportJournal }] =
      await Promise.all([
        import('../config/config.ts'),
        import('../store/maintenance.ts'),
        import('../core/redact.ts'),
        import('../retention/export.ts'),
      ]);
    const { databaseUrl, dataDir, listenUrl, poolMode, startupTimeoutMs } = configOptionsOf(config);
    const driver = await connectDatabase({
      databaseUrl,
      dataDir,
      listenUrl,
      poolMode,
      startupTimeoutMs,
      migrate: false,
      poolSize: 1,
    });
    try {
      const n = await exportJournal(
        driver,
        redactor(secretsOf(config)),
        { since, until, auditOnly: values.audit },
        (line) => io.out(line),
      );
      io.err(`exported ${n} journal events from ${since.toISOString()} to ${until.toISOString()}`);
      return 0;
    } finally {
      await driver.close();
    }
  },
} satisfies Command & { options: typeof options };

/** An ISO time (2026-01-01, 2026-01-01T12:00:00Z) or an age counted back from now (90d, 12h). */
function timeArg(flag: string, value: string, now: Date): Date {
  if (/^\d+(\.\d+)?(ms|s|m|h|d)/.test(value)) {
    try {
      return new Date(now.getTime() - parseDuration(value));
    } catch {
      // not a duration after all: try it as a time
    }
  }
  const t = new Date(value);
  if (Number.isNaN(t.getTime()))
    throw new UsageError(`${flag} ${value}: not an ISO time nor an age such as 90d`);
  return t;
}
