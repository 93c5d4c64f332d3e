// observability/prometheus-rules.yml through Debian's promtool: the file loads, and its alerts fire (or
// stay quiet) on the series of prometheus-rules.promtool.yml. Skipped where promtool is not installed.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const PROMTOOL = process.env.PROMTOOL_BIN ?? '/usr/bin/promtool';
const RULES = fileURLToPath(new URL('../../observability/prometheus-rules.yml', import.meta.url));
const UNIT_TESTS = fileURLToPath(new URL('./prometheus-rules.promtool.yml', import.meta.url));
const run = promisify(execFile);

async function promtool(...args: string[]): Promise<{ ok: boolean; output: string }> {
  try {
    const { stdout, stderr } = await run(PROMTOOL, args);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}${e.message}` };
  }
}

describe.skipIf(!existsSync(PROMTOOL))('prometheus-rules.yml', () => {
  test('passes promtool check rules', async () => {
    const r = await promtool('check', 'rules', RULES);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/SUCCESS: 17 rules found/);
  });

  test('passes its promtool unit tests (SLO burn rates, cancelled runs, max across instances)', async () => {
    const r = await promtool('test', 'rules', UNIT_TESTS);
    expect(r.ok, r.output).toBe(true);
    expect(r.output).toMatch(/SUCCESS/);
  });
});

// A missing binary is never a pass: CI (which installs it, .ci/run) fails, elsewhere the test is skipped
// with the reason in the report.
test.runIf(!existsSync(PROMTOOL))('promtool is installed to check the rules', (ctx) => {
  if (!process.env.CI)
    ctx.skip(`${PROMTOOL} not found (Debian: apt-get install prometheus): rules not checked`);
  expect.fail(`${PROMTOOL} not found: .ci/run installs Debian's prometheus package`);
});
