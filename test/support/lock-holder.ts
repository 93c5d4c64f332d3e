// A process that holds a PGlite data directory for data-dir-lock.test.ts:
//   node --import tsx test/support/lock-holder.ts <dir> pglite   opens PGlite there (the driver's lock)
//   node --import tsx test/support/lock-holder.ts <dir> lock     takes the lock file only
// It prints one JSON line ({"event":"held"} or {"event":"refused","message":…}) and then stays until
// it is killed or its stdin closes.
import { lockDataDir } from '../../src/db/data-dir-lock.ts';
import { connect } from '../../src/db/driver.ts';

const [dir, mode] = process.argv.slice(2);
const say = (line: object) => process.stdout.write(`${JSON.stringify({ pid: process.pid, ...line })}\n`);

try {
  if (mode === 'pglite') await connect({ dataDir: dir!, migrate: false });
  else await lockDataDir(dir!, 'lock-holder');
  say({ event: 'held' });
} catch (err) {
  say({ event: 'refused', message: (err as Error).message });
}
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
