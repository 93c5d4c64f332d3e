// How firebreak reaches hosts: parsed once from the configuration (SSH_* in config.ts) and given to
// createFirebreak, which makes every step's `ctx.ssh` from it (src/integrations/ssh).
import type { KnownHost } from './known-hosts.ts';

export interface SshSettings {
  /** The pinned host keys (SSH_KNOWN_HOSTS / SSH_KNOWN_HOSTS_FILE); a host not listed is refused. */
  knownHosts: readonly KnownHost[];
  /** Default login user (SSH_USER); a call may name another. */
  user?: string | undefined;
  /** A private key in OpenSSH or PEM form (SSH_PRIVATE_KEY / _FILE) and its passphrase, if any. */
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  /** An ssh-agent socket (SSH_AUTH_SOCK): its keys are offered after the private key. */
  agent?: string | undefined;
  /** Connection and key exchange must be done within this (SSH_CONNECT_TIMEOUT). */
  connectTimeoutMs: number;
  /** Default per-command timeout (SSH_COMMAND_TIMEOUT). */
  commandTimeoutMs: number;
}

export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;

export const defaultSshSettings = (): SshSettings => ({
  knownHosts: [],
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 60_000,
});

/**
 * The credentials in the settings, as the redactor should know them: the key whole and each of its
 * base64 lines on its own (a command that prints part of a key file is hidden too), and the passphrase.
 */
export function sshSecrets(s: Pick<SshSettings, 'privateKey' | 'passphrase'>): string[] {
  const lines = (s.privateKey ?? '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----') && !l.includes(':'));
  return [s.privateKey, s.passphrase, ...lines].filter((v): v is string => Boolean(v));
}
