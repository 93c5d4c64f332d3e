// Configuration is checked once, at start: a bad value stops `firebreak serve` before anything listens,
// with a message that names the variable (and never repeats a secret's value).
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { parseConfig } from '../../src/config/config.ts';

/** Runs `firebreak serve` with `env`, capturing what it writes. */
async function serve(env: Record<string, string>): Promise<{ code: number; out: string[]; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const code = await main(['serve'], io, { FIREBREAK_DATA_DIR: 'memory://', PORT: '0', ...env });
  return { code, out, err: err.join('\n') };
}

describe('a bad value stops the start and names the variable', () => {
  test.each([
    ['PORT', 'abc', /PORT: .*number/i],
    ['PORT', '70000', /PORT: /],
    ['DATABASE_URL', 'mysql://root@db:3306/firebreak', /DATABASE_URL: must be a postgres:\/\/ URL/],
    ['API_TOKENS', 'short=admin', /API_TOKENS: each entry must be token=role\[:identity\]/],
    ['API_TOKENS', 'long-enough-token=superuser', /API_TOKENS: each entry must be token=role/],
    ['API_TOKENS', 'long-enough-token-without-role', /API_TOKENS: each entry must be token=role/],
    ['FLAP_WINDOW', 'a while', /FLAP_WINDOW: must be a duration/],
    ['LOG_LEVEL', 'verbose', /LOG_LEVEL: /],
    ['ALERTMANAGER_TOKEN', 'tiny', /ALERTMANAGER_TOKEN: must be at least 8 characters/],
    ['BODY_LIMIT_BYTES', '10', /BODY_LIMIT_BYTES: /],
    ['FIREBREAK_MIGRATE', 'maybe', /FIREBREAK_MIGRATE: /],
  ])('%s=%s', async (name, value, message) => {
    expect(() => parseConfig({ [name]: value })).toThrow(message);
    const run = await serve({ [name]: value });
    expect(run.code).toBe(2); // usage or configuration (exit codes in README)
    expect(run.err).toMatch(message);
    expect(run.err).toMatch(/^firebreak serve: invalid configuration/);
    // Nothing started: no "listening" line.
    expect(run.out).toEqual([]);
  });

  test('every bad variable is named at once', () => {
    let message = '';
    try {
      parseConfig({ PORT: 'abc', DATABASE_URL: 'mysql://x', API_TOKENS: 'nope' });
    } catch (err) {
      message = (err as Error).message;
    }
    const named = message
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(':')[0]);
    expect(named.sort()).toEqual(['API_TOKENS', 'DATABASE_URL', 'PORT']);
  });

  test('a refused secret is not repeated in the message', async () => {
    const token = 'sekrit7';
    const run = await serve({ API_TOKENS: `${token}=admin`, GENERIC_TOKEN: token });
    expect(run.code).toBe(2); // usage or configuration (exit codes in README)
    expect(run.err).toMatch(/API_TOKENS/);
    expect(run.err).toMatch(/GENERIC_TOKEN/);
    expect(run.err).not.toContain(token);
  });
});

describe('good values', () => {
  test('are parsed once, with defaults; an empty string means unset', () => {
    const config = parseConfig({
      PORT: '',
      DATABASE_URL: 'postgresql://u@db/fb',
      API_TOKENS: 'reader-token-1=viewer:vera, ops-token-22=operator',
      PAGERDUTY_WEBHOOK_SECRETS: 'old-secret-1, new-secret-2',
      FLAP_WINDOW: '90s',
    });
    expect(config).toMatchObject({
      PORT: 8080,
      DATABASE_URL: 'postgresql://u@db/fb',
      FLAP_WINDOW: '90s',
      BODY_LIMIT_BYTES: 1024 * 1024,
      PAGERDUTY_WEBHOOK_SECRETS: ['old-secret-1', 'new-secret-2'],
      API_TOKENS: [
        { token: 'reader-token-1', role: 'viewer', identity: 'vera' },
        { token: 'ops-token-22', role: 'operator', identity: 'operator-token-2' },
      ],
    });
  });
});
