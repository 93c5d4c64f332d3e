// Commands on hosts over SSH: pinned host keys, key or agent auth, per-command timeouts, capped and
// redacted output as evidence, exit codes as errors. Steps use it as `ctx.ssh`; this is the client
// under it, for anything else that runs a command on a host.
export { type SshCallOptions, type SshClient, type SshClientOptions, sshClient } from './client.ts';
export { SshAuthError, SshConnectError, SshExitError, SshHostKeyError, SshTimeoutError } from './errors.ts';
export {
  checkHostKey,
  fingerprint,
  hostEntryName,
  type KnownHost,
  parseKnownHosts,
} from './known-hosts.ts';
export { DEFAULT_MAX_OUTPUT_BYTES, defaultSshSettings, type SshSettings, sshSecrets } from './settings.ts';
export { type SshExecOutcome, type SshExecRequest, type SshTransport, ssh2Transport } from './transport.ts';
