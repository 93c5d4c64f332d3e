// Commands on hosts for diagnostics and mitigations: the host key must be pinned, the output is kept
// (capped, redacted) and attached as evidence, a non-zero exit is an error carrying its code, and every
// failure says whether another attempt can help.
import { performance } from 'node:perf_hooks';
import { parseDuration } from '../../core/duration.ts';
import { NonRetryableError } from '../../core/errors.ts';
import type { EvidenceInput, HostCommandOptions, HostCommandResult } from '../../dsl/types.ts';
import { redactor } from '../../incidents/redact.ts';
import { OutputCapture } from './capture.ts';
import { SshAuthError, SshConnectError, SshExitError, SshHostKeyError, SshTimeoutError } from './errors.ts';
import {
  blobType,
  checkHostKey,
  entriesFor,
  fingerprint,
  type HostKeyVerdict,
  hostKeyAlgorithms,
  parseKnownHosts,
} from './known-hosts.ts';
import { DEFAULT_MAX_OUTPUT_BYTES, type SshSettings } from './settings.ts';
import { type SshTransport, ssh2Transport } from './transport.ts';

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
  const redact = opts.redact ?? redactor([settings.privateKey, settings.passphrase]).text;
  const transport = opts.transport ?? ssh2Transport;
  return {
    async run(host, command, call = {}) {
      const to = resolveTarget(host, call, settings);
      const known = call.knownHosts
        ? [...settings.knownHosts, ...parseKnownHosts(call.knownHosts)]
        : settings.knownHosts;
      const timeoutMs = call.timeout === undefined ? settings.commandTimeoutMs : parseDuration(call.timeout);
      const limit = call.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
      const stdout = new OutputCapture(limit);
      const stderr = new OutputCapture(limit);
      let refused: { key: Buffer; verdict: HostKeyVerdict } | undefined;
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(), timeoutMs);
      const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
      const started = performance.now();
      let outcome: { exitCode: number | null; signal: string | null } | undefined;
      let failure: unknown;
      try {
        outcome = await transport.exec({
          host: to.host,
          port: to.port,
          username: to.user,
          privateKey: settings.privateKey,
          passphrase: settings.passphrase,
          agent: settings.agent,
          hostKeyAlgorithms: hostKeyAlgorithms(entriesFor(known, to.host, to.port)),
          verifyHostKey: (key) => {
            const verdict = checkHostKey(known, to.host, to.port, key);
            if (!verdict.ok) refused = { key, verdict };
            return verdict.ok;
          },
          command,
          connectTimeoutMs: settings.connectTimeoutMs,
          signal,
          stdout: (c) => stdout.push(c),
          stderr: (c) => stderr.push(c),
        });
      } catch (err) {
        failure = err;
      } finally {
        clearTimeout(timer);
      }
      const out = stdout.finish(redact);
      const errText = stderr.finish(redact);
      const result: HostCommandResult = {
        target: to.target,
        command,
        exitCode: outcome?.exitCode ?? null,
        signal: outcome?.signal ?? null,
        stdout: out.text,
        stderr: errText.text,
        stdoutTruncated: out.truncated,
        stderrTruncated: errText.truncated,
        durationMs: Math.round(performance.now() - started),
      };
      if (failure !== undefined) {
        // Output of a command cut short (a timeout) is still worth keeping.
        if (result.stdout || result.stderr) attachOutput(call, result);
        if (refused && !refused.verdict.ok) {
          const type = blobType(refused.key) ?? 'unknown-type';
          throw new SshHostKeyError(to.target, type, fingerprint(refused.key), refused.verdict.reason);
        }
        if (timeout.signal.aborted && !call.signal?.aborted)
          throw new SshTimeoutError(to.target, command, timeoutMs);
        if (call.signal?.aborted) throw call.signal.reason;
        if ((failure as { level?: string }).level === 'client-authentication') {
          throw new SshAuthError(to.target, authMethods(settings), failure);
        }
        throw new SshConnectError(to.target, failure);
      }
      attachOutput(call, result);
      const ok = call.okExitCodes ?? [0];
      if (result.exitCode === null || !ok.includes(result.exitCode)) {
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
