// `node --import tsx test/support/with-pgbouncer.ts <command…>`: runs the command with DATABASE_URL
// pointing at a private PgBouncer in transaction mode in front of DATABASE_URL's server, as many
// deployments run firebreak. The command also gets FIREBREAK_LISTEN_URL (the direct server, for LISTEN
// and migrations) and FIREBREAK_DB_POOL_MODE=transaction. .ci/run uses it for the pooled pass of the
// engine, ingest and approval suites.
import { spawn } from 'node:child_process';
import { PgBouncer } from './pgbouncer.ts';

const direct = process.env.DATABASE_URL;
const command = process.argv.slice(2);
if (!direct || command.length === 0) {
  console.error('usage: DATABASE_URL=postgres://… with-pgbouncer.ts <command…>');
  process.exit(2);
}
const server = new URL(direct);
const bouncer = await PgBouncer.start({
  target: { host: server.hostname, port: Number(server.port || 5432) },
});
console.error(`pgbouncer (transaction mode) on 127.0.0.1:${bouncer.port} in front of ${server.host}`);
const child = spawn(command[0]!, command.slice(1), {
  stdio: 'inherit',
  env: {
    ...process.env,
    DATABASE_URL: bouncer.urlFor(direct),
    FIREBREAK_LISTEN_URL: direct,
    FIREBREAK_DB_POOL_MODE: 'transaction',
  },
});
const code = await new Promise<number>((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
await bouncer.stop();
process.exit(code);
