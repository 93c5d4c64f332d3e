// What can go wrong running a command on a host, each with its retryability as data: a host that does
// not answer may answer on the next attempt; a refused key or a failed login will not change by itself.
import { FirebreakError } from '../../core/errors.ts';

/** The host presented a key known_hosts does not list for it (or one marked @revoked). Nothing ran. */
export class SshHostKeyError extends FirebreakError {
  constructor(
    target: string,
    keyType: string,
    fingerprint: string,
    reason: 'unknown' | 'mismatch' | 'revoked',
  ) {
    const why = {
      unknown: 'an unknown host key',
      mismatch: 'a host key that does not match the one pinned in known_hosts',
      revoked: 'a host key marked @revoked in known_hosts',
    }[reason];
    super(
      'ssh_host_key',
      `${target} presented ${why}: ${keyType} ${fingerprint}. Nothing was run; if the key is expected, ` +
        'add it to SSH_KNOWN_HOSTS (ssh-keyscan prints the line)',
      { nonRetryable: true, details: { target, keyType, fingerprint, reason } },
    );
  }
}

/** The host refused every credential offered: a wrong key or user will not pass on the next try. */
export class SshAuthError extends FirebreakError {
  constructor(target: string, methods: readonly string[], cause: unknown) {
    super('ssh_auth', `authentication to ${target} failed (tried: ${methods.join(', ') || 'nothing'})`, {
      nonRetryable: true,
      cause,
      details: { target, methods },
    });
  }
}

/** The connection could not be made or broke: retried, the host may be back. */
export class SshConnectError extends FirebreakError {
  constructor(target: string, cause: unknown) {
    super('ssh_connect', `cannot reach ${target} over SSH: ${(cause as Error)?.message ?? String(cause)}`, {
      cause,
      details: { target },
    });
  }
}

/** The command ran longer than its timeout; its channel was closed. Retried like a slow answer. */
export class SshTimeoutError extends FirebreakError {
  constructor(target: string, command: string, timeoutMs: number) {
    super('ssh_timeout', `command on ${target} timed out after ${timeoutMs} ms: ${command}`, {
      details: { target, command, timeoutMs },
    });
  }
}

/**
 * The command ended with a non-zero exit code or a signal. Not retried unless its code is listed as
 * retryable: the same command on the same host usually fails the same way, like a 4xx answer.
 */
export class SshExitError extends FirebreakError {
  constructor(
    readonly target: string,
    readonly command: string,
    readonly exitCode: number | null,
    readonly signal: string | null,
    stderrTail: string,
    retryable: boolean,
  ) {
    const end = exitCode !== null ? `exit code ${exitCode}` : `signal ${signal ?? 'unknown'}`;
    super('ssh_exit', `${command} on ${target} ended with ${end}${stderrTail ? `: ${stderrTail}` : ''}`, {
      nonRetryable: !retryable,
      details: { target, command, exitCode, signal },
    });
  }
}
