// The wire under the SSH client: one connection per command, over ssh2. It is an interface so the
// testing kit can answer commands without a host (`stubSsh`), while host-key checks, capping,
// redaction, evidence and exit codes stay the real client's.
import type { ClientChannel, ConnectConfig } from 'ssh2';

export interface SshExecRequest {
  host: string;
  port: number;
  username: string;
  privateKey?: string | undefined;
  passphrase?: string | undefined;
  /** An ssh-agent socket path. */
  agent?: string | undefined;
  /** Host key algorithms to offer, from the pinned key types (empty: ssh2's defaults). */
  hostKeyAlgorithms: readonly string[];
  /** Called with the key the host presents; false refuses it and the connection ends before any command. */
  verifyHostKey(key: Buffer): boolean;
  command: string;
  connectTimeoutMs: number;
  /** Aborted on the command timeout or the step's end: the remote command is killed, the channel closed. */
  signal: AbortSignal;
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

export interface SshExecOutcome {
  exitCode: number | null;
  signal: string | null;
}

/**
 * Runs one command. Rejects with the signal's reason when aborted; otherwise with the transport's own
 * error, whose `level` says what failed (`client-authentication` for refused credentials, as ssh2 sets).
 */
export interface SshTransport {
  exec(req: SshExecRequest): Promise<SshExecOutcome>;
}

export const ssh2Transport: SshTransport = {
  async exec(req) {
    // Loaded at the first command, not when firebreak starts: most deployments never reach a host.
    const { Client } = await import('ssh2');
    req.signal.throwIfAborted();
    return new Promise<SshExecOutcome>((resolve, reject) => {
      const conn = new Client();
      let channel: ClientChannel | undefined;
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        req.signal.removeEventListener('abort', onAbort);
        conn.end();
        fn();
      };
      const onAbort = () => {
        try {
          // OpenSSH delivers a "signal" request to the command (since 7.9); closing alone may leave it running.
          channel?.signal('KILL');
          channel?.close();
        } catch {
          // the channel is gone already
        }
        // end(), not destroy(): the signal and close must still reach the host.
        settle(() => reject(req.signal.reason));
      };
      req.signal.addEventListener('abort', onAbort, { once: true });
      conn.on('ready', () => {
        conn.exec(req.command, (err, ch) => {
          if (err) return settle(() => reject(err));
          channel = ch;
          const outcome: SshExecOutcome = { exitCode: null, signal: null };
          ch.on('exit', (code: number | null, signal?: string) => {
            if (typeof code === 'number') outcome.exitCode = code;
            else outcome.signal = signal ?? null;
          });
          ch.on('data', (d: Buffer) => req.stdout(d));
          ch.stderr.on('data', (d: Buffer) => req.stderr(d));
          ch.on('close', () => settle(() => resolve(outcome)));
        });
      });
      conn.on('error', (err) => settle(() => reject(err)));
      conn.on('close', () =>
        settle(() => reject(new Error('the connection closed before the command ended'))),
      );
      try {
        conn.connect(connectConfig(req));
      } catch (err) {
        // ssh2 throws here on a key it cannot parse (a wrong passphrase): configuration, not the network.
        settle(() => reject(Object.assign(err as Error, { level: 'client-authentication' })));
      }
    });
  },
};

function connectConfig(req: SshExecRequest): ConnectConfig {
  return {
    host: req.host,
    port: req.port,
    username: req.username,
    readyTimeout: req.connectTimeoutMs,
    hostVerifier: (key: Buffer) => req.verifyHostKey(key),
    ...(req.privateKey ? { privateKey: req.privateKey } : {}),
    ...(req.passphrase ? { passphrase: req.passphrase } : {}),
    ...(req.agent ? { agent: req.agent } : {}),
    ...(req.hostKeyAlgorithms.length > 0
      ? { algorithms: { serverHostKey: [...req.hostKeyAlgorithms] as never } }
      : {}),
  };
}
