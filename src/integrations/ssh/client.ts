// Commands on hosts for diagnostics and mitigations: the host key must be pinned, the output is kept
// (capped, redacted) and attached as evidence, a non-zero exit is an error carrying its code, and every
// failure says whether another attempt can help.
import { performance } from 'node:perf_hooks';
import { parseDuration } from '../../core/duration.ts';
import { NonRetryableError } from '../../core/errors.ts';
import { redactor } from '../../core/redact.ts';
import type { EvidenceInput, HostCommandOptions, HostCommandResult } from '../../dsl/types.ts';
import { OutputCapture } from './capture.ts';
import { SshAuthError, SshConnectError, SshExitError, SshHostKeyError, SshTimeoutError } from './errors.ts';
import {
  blobType,
  checkHostKey,
  entriesFor,
  fingerprint,
  hostKeyAlgorithms,
  parseKnownHosts,
} from './known-hosts.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, type SshSettings, sshSecrets } from './settings.ts';
import { type SshExecOutcome, type SshTransport, ssh2Transport } from './transport.ts';

export interface SshCallOptions extends HostCommandOptions {
  /** Aborts the command (a step passes its own signal; `ctx.ssh` does). */
  signal?: AbortSignal;
  /** Where the output goes as evidence (a step's `attach`; `ctx.ssh` does). */
  attach?: (evidence: EvidenceInput) => void;
}

export interface SshClient {
  /** Runs `command` on `host` (`host`, `host:port`, `[v6addr]:port`, `user@host`). */
  run(host: string, command: string, opts?: SshCallOptions): Promise<HostCommandResult>;
}

export interface SshClientOptions {
  /** The engine's redactor (createFirebreak passes it); default: one hiding the key and passphrase. */
  redact?: (text: string) => string;
  /** Default ssh2; the testing kit's stubSsh passes its own. */
  transport?: SshTransport;
}

export function sshClient(settings: SshSettings, opts: SshClientOptions = {}): SshClient {
  const redact = opts.redact ?? redactor(sshSecrets(settings)).text;
  const transport = opts.transport ?? ssh2Transport;
  return {
    async run(host, command, call = {}) {
      const to = resolveTarget(host, call, settings);
      const timeoutMs = call.timeout === undefined ? settings.commandTimeoutMs : parseDuration(call.timeout);
      const attempt = await execute(transport, settings, { to, command, timeoutMs, call });
      const result = resultOf(to, command, attempt, redact);
      // Output of a command cut short (a timeout) is still worth keeping; a refused host printed nothing.
      if (attempt.failure === undefined || result.stdout || result.stderr) attachOutput(call, result);
      if (attempt.failure !== undefined) throw failureOf(attempt, to, command, timeoutMs, call, settings);
      if (result.exitCode === null || !(call.okExitCodes ?? [0]).includes(result.exitCode)) {
        const retryable = result.exitCode === null || (call.retryExitCodes ?? []).includes(result.exitCode);
        throw new SshExitError(
          to.target,
          command,
          result.exitCode,
          result.signal,
          tail(result.stderr),
          retryable,
        );
      }
      return result;
    },
  };
}

interface Attempt {
  outcome: SshExecOutcome | undefined;
  failure: unknown;
  /** The host key the verifier refused, and why. */
  refused: { key: Buffer; reason: 'unknown' | 'mismatch' | 'revoked' } | undefined;
  timedOut: boolean;
  stdout: OutputCapture;
  stderr: OutputCapture;
  durationMs: number;
}

/** One command through the transport, under its timeout and the caller's signal; never throws. */
async function execute(
  transport: SshTransport,
  settings: SshSettings,
  req: { to: Target; command: string; timeoutMs: number; call: SshCallOptions },
): Promise<Attempt> {
  const { to, call } = req;
  const known = call.knownHosts
    ? [...settings.knownHosts, ...parseKnownHosts(call.knownHosts)]
    : settings.knownHosts;
  const limit = call.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const a: Attempt = {
    outcome: undefined,
    failure: undefined,
    refused: undefined,
    timedOut: false,
    stdout: new OutputCapture(limit),
    stderr: new OutputCapture(limit),
    durationMs: 0,
  };
  const timeout = new AbortController();
  const timer = setTimeout(() => {
    a.timedOut = true;
    timeout.abort();
  }, req.timeoutMs);
  const started = performance.now();
  try {
    a.outcome = await transport.exec({
      host: to.host,
      port: to.port,
      username: to.user,
      privateKey: settings.privateKey,
      passphrase: settings.passphrase,
      agent: settings.agent,
      hostKeyAlgorithms: hostKeyAlgorithms(entriesFor(known, to.host, to.port)),
      verifyHostKey: (key) => {
        const verdict = checkHostKey(known, to.host, to.port, key);
        if (!verdict.ok) a.refused = { key, reason: verdict.reason };
        return verdict.ok;
      },
      command: req.command,
      connectTimeoutMs: settings.connectTimeoutMs,
      signal: call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal,
      stdout: (c) => a.stdout.push(c),
      stderr: (c) => a.stderr.push(c),
    });
  } catch (err) {
    a.failure = err;
  } finally {
    clearTimeout(timer);
    a.durationMs = Math.round(performance.now() - started);
  }
  return a;
}

function resultOf(
  to: Target,
  command: string,
  a: Attempt,
  redact: (text: string) => string,
): HostCommandResult {
  const out = a.stdout.finish(redact);
  const err = a.stderr.finish(redact);
  return {
    target: to.target,
    command,
    exitCode: a.outcome?.exitCode ?? null,
    signal: a.outcome?.signal ?? null,
    stdout: out.text,
    stderr: err.text,
    stdoutTruncated: out.truncated,
    stderrTruncated: err.truncated,
    durationMs: a.durationMs,
  };
}

/** Why the command did not run to its end, as an error whose retryability says whether to try again. */
function failureOf(
  a: Attempt,
  to: Target,
  command: string,
  timeoutMs: number,
  call: SshCallOptions,
  settings: SshSettings,
): unknown {
  if (a.refused) {
    return new SshHostKeyError(
      to.target,
      blobType(a.refused.key) ?? 'unknown-type',
      fingerprint(a.refused.key),
      a.refused.reason,
    );
  }
  if (call.signal?.aborted) return call.signal.reason;
  if (a.timedOut) return new SshTimeoutError(to.target, command, timeoutMs);
  if ((a.failure as { level?: string }).level === 'client-authentication') {
    return new SshAuthError(to.target, authMethods(settings), a.failure);
  }
  return new SshConnectError(to.target, a.failure);
}

interface Target {
  host: string;
  port: number;
  user: string;
  /** user@host:port, for messages and evidence. */
  target: string;
}

/** `user@host:port` / `[v6]:port` / `host`, with the call's options and the settings filling the rest. */
function resolveTarget(spec: string, call: HostCommandOptions, settings: SshSettings): Target {
  const m = /^(?:([^@\s]+)@)?(?:\[([^\]]+)\]|([^:\s[\]]+))(?::(\d+))?$/.exec(spec.trim());
  if (!m) throw new NonRetryableError(`ssh: "${spec}" is not a host (host, host:port or user@host)`);
  const host = (m[2] ?? m[3])!;
  const port = call.port ?? (m[4] ? Number(m[4]) : 22);
  const user = call.user ?? m[1] ?? settings.user;
  if (!user) throw new NonRetryableError(`ssh ${spec}: no user (set SSH_USER, or pass user)`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new NonRetryableError(`ssh ${spec}: port ${port} is not a TCP port`);
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  return { host, port, user, target: `${user}@${shown}:${port}` };
}

function attachOutput(call: SshCallOptions, r: HostCommandResult): void {
  if (!call.attach || call.evidence === false) return;
  const title = typeof call.evidence === 'string' ? call.evidence : `${r.target}: ${r.command}`;
  const end = r.exitCode !== null ? `exit ${r.exitCode}` : r.signal ? `signal ${r.signal}` : 'did not finish';
  const parts = [`$ ${r.command}\n# ${r.target}, ${end}, ${r.durationMs} ms`];
  if (r.stdout) parts.push(`--- stdout ---\n${r.stdout}`);
  if (r.stderr) parts.push(`--- stderr ---\n${r.stderr}`);
  call.attach({ kind: 'text', title, content: parts.join('\n') });
}

/** The end of stderr, where the reason usually is, for the error message. */
function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > 500 ? `…${trimmed.slice(-500)}` : trimmed;
}

function authMethods(s: SshSettings): string[] {
  return [...(s.privateKey ? ['publickey'] : []), ...(s.agent ? ['agent'] : [])];
}
