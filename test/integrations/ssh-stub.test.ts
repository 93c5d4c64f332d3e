// firebreak/testing's stubSsh under the real client: what a runbook test gets from each kind of answer.
import { stubSsh } from 'firebreak/testing';
import { describe, expect, test } from 'vitest';
import { defaultSshSettings, SshExitError, sshClient } from '../../src/integrations/index.ts';

const KEY_LINE = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';

function client(routes: Parameters<typeof stubSsh>[0]) {
  const ssh = stubSsh(routes);
  const settings = {
    ...defaultSshSettings(),
    user: 'ops',
    privateKey: `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_LINE}\n-----END OPENSSH PRIVATE KEY-----`,
  };
  return { ssh, c: sshClient(settings, { transport: ssh.transport }) };
}

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a failure');
}

describe('stubSsh', () => {
  test('routes by command pattern and host; answers in turn; records every command', async () => {
    const { ssh, c } = client([
      { host: 'db-1', command: 'uptime', reply: { stdout: 'db up\n' } },
      { command: 'uptime', reply: [{ stdout: 'first\n' }, { stdout: 'again\n' }] },
    ]);
    expect((await c.run('web-1', 'uptime')).stdout).toBe('first\n');
    expect((await c.run('root@web-1:2222', 'uptime')).stdout).toBe('again\n');
    expect((await c.run('web-1', 'uptime')).stdout).toBe('again\n');
    expect((await c.run('db-1', 'uptime')).stdout).toBe('db up\n');
    expect(ssh.calls[1]).toMatchObject({ host: 'web-1', port: 2222, user: 'root', route: 'uptime' });
    expect(ssh.find('upt*')).toHaveLength(4);
  });

  test('a command no route answers exits 127 naming it', async () => {
    const { ssh, c } = client({});
    const err = await thrown(c.run('web-1', 'rm -rf /tmp/x'));
    expect(err).toBeInstanceOf(SshExitError);
    expect((err as Error).message).toMatch(
      /exit code 127: firebreak\/testing: no stub for command on web-1: rm -rf/,
    );
    expect(ssh.unmatched()).toHaveLength(1);
  });

  test('connection failures are retryable, refused credentials are not, a hang meets the timeout', async () => {
    const { c } = client({ a: { fail: 'connect' }, b: { fail: 'auth' }, 'sleep *': { hang: true } });
    expect(await thrown(c.run('h', 'a'))).toMatchObject({ code: 'ssh_connect', nonRetryable: false });
    expect(await thrown(c.run('h', 'b'))).toMatchObject({ code: 'ssh_auth', nonRetryable: true });
    expect(await thrown(c.run('h', 'sleep 9', { timeout: '50ms' }))).toMatchObject({
      code: 'ssh_timeout',
      nonRetryable: false,
    });
  });

  test('the real client still redacts: the key’s own lines never come back', async () => {
    const { c } = client({ 'cat *': { stdout: `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_LINE}\n` } });
    const r = await c.run('h', 'cat ~/.ssh/id_ed25519');
    expect(r.stdout).not.toContain(KEY_LINE);
  });
});
