// What every bench reads from the environment: the PostgreSQL server and its integer knobs.

/** BENCH_PG_URL: the server, without a database (each bench and peer makes its own). */
export const benchServerUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}
