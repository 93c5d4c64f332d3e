// Ids of rows that many indexes are keyed by (runs, incidents, evidence, commit ids) are UUIDv7 (RFC
// 9562): 48 bits of Unix milliseconds, then random bits. Ids made close in time sort close together, so
// a new run's rows (its steps, attempts, journal lines) go into the same few index pages as the runs
// just before it, instead of into random pages all over indexes that grow with years of history.
import { randomFillSync } from 'node:crypto';

// Random bytes are drawn 256 ids at a time (as crypto.randomUUID does): one call into the CSPRNG per id
// was a visible share of the engine's CPU per run (three or more ids a run).
const POOL_IDS = 256;
const pool = Buffer.allocUnsafe(16 * POOL_IDS);
let next = POOL_IDS;
const b = Buffer.allocUnsafe(16);

export function uuidv7(nowMs: number = Date.now()): string {
  if (next === POOL_IDS) {
    randomFillSync(pool);
    next = 0;
  }
  pool.copy(b, 0, 16 * next, 16 * next + 16);
  next += 1;
  b.writeUIntBE(nowMs, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70; // version 7
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
