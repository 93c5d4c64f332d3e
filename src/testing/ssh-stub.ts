// Commands on hosts answered from routes instead of a host, and recorded: a runbook's test says what
// `df -P` prints and then asserts on what the runbook ran. Only the wire is stubbed: the real SSH client
// above it still caps, redacts, attaches evidence and turns exit codes into errors. (No host key is
// presented, so pinning is not exercised here; the client's own tests run it against a real sshd.)
import type { SshExecRequest, SshTransport } from '../integrations/ssh/transport.ts';

/** One command a step ran through `ctx.ssh`. */
export interface RecordedCommand {
  host: string;
  port: number;
  user: string;
  command: string;
  /** The route that answered (its pattern), or null when none matched. */
  route: string | null;
}

/** What a route answers: output and an exit code (default 0). */
export interface SshStubReply {
  stdout?: string;
  stderr?: string;
  exitCode?: number;
  /** Ended by this signal instead of exiting. */
  signal?: string;
  /** Never ends by itself: the command's timeout (or the step's end) stops it. */
  hang?: boolean;
  /** The connection fails instead: `connect` (retried) or `auth` (not retried). */
  fail?: 'connect' | 'auth';
}

/** A fixed reply; replies given in turn (the last repeats); or a function of the command and the count. */
export type SshStubAnswer =
  | SshStubReply
  | readonly SshStubReply[]
  | ((cmd: RecordedCommand, n: number) => SshStubReply | Promise<SshStubReply>);

/** A route in long form, to match the host too. */
export interface SshStubRoute {
  /** Exact host, or a pattern; any host when unset. */
  host?: string | RegExp;
  /** The command: a string where `*` matches anything, or a RegExp. */
  command: string | RegExp;
  reply: SshStubAnswer;
}

/** `{ 'df -P': reply, 'du -x * /var/log': reply }` (command patterns), or a list of SshStubRoute. */
export type SshStubRoutes = Readonly<Record<string, SshStubAnswer>> | readonly SshStubRoute[];

export interface SshStub {
  /** Give it to the engine (testRunbook does). */
  readonly transport: SshTransport;
  /** Every command, in the order they ran. */
  readonly calls: readonly RecordedCommand[];
  /** Adds routes in front of the others. */
  on(routes: SshStubRoutes): void;
  /** Commands no route answered (they exited 127 with a message naming them). */
  unmatched(): RecordedCommand[];
  /** Commands matching the pattern (same syntax as the routes). */
  find(command: string | RegExp): RecordedCommand[];
}

interface Compiled {
  label: string;
  host: ((h: string) => boolean) | null;
  command: (c: string) => boolean;
  reply: SshStubAnswer;
  answered: number;
}

export function stubSsh(routes: SshStubRoutes = {}): SshStub {
  let compiled = compile(routes);
  const calls: RecordedCommand[] = [];
  const transport: SshTransport = {
    async exec(req) {
      req.signal.throwIfAborted();
      const cmd: RecordedCommand = {
        host: req.host,
        port: req.port,
        user: req.username,
        command: req.command,
        route: null,
      };
      calls.push(cmd);
      const route = compiled.find((r) => (r.host ? r.host(req.host) : true) && r.command(req.command));
      if (!route) {
        req.stderr(Buffer.from(`firebreak/testing: no stub for command on ${req.host}: ${req.command}\n`));
        return { exitCode: 127, signal: null };
      }
      cmd.route = route.label;
      const n = route.answered++;
      const a = route.reply;
      const reply = typeof a === 'function' ? await a(cmd, n) : isList(a) ? a[Math.min(n, a.length - 1)]! : a;
      return answer(req, reply);
    },
  };
  return {
    transport,
    calls,
    on(more) {
      compiled = [...compile(more), ...compiled];
    },
    unmatched: () => calls.filter((c) => c.route === null),
    find(command) {
      const test = commandTest(command);
      return calls.filter((c) => test(c.command));
    },
  };
}

async function answer(req: SshExecRequest, reply: SshStubReply) {
  if (reply.fail) {
    const err = new Error(
      reply.fail === 'auth' ? 'All configured authentication methods failed' : 'connect ECONNREFUSED (stub)',
    );
    throw Object.assign(err, { level: reply.fail === 'auth' ? 'client-authentication' : 'client-socket' });
  }
  if (reply.stdout) req.stdout(Buffer.from(reply.stdout));
  if (reply.stderr) req.stderr(Buffer.from(reply.stderr));
  if (reply.hang) {
    await new Promise<never>((_, reject) =>
      req.signal.addEventListener('abort', () => reject(req.signal.reason), { once: true }),
    );
  }
  return { exitCode: reply.signal ? null : (reply.exitCode ?? 0), signal: reply.signal ?? null };
}

function isList(a: SshStubAnswer): a is readonly SshStubReply[] {
  return Array.isArray(a);
}

function compile(routes: SshStubRoutes): Compiled[] {
  const list: SshStubRoute[] = Array.isArray(routes)
    ? [...(routes as readonly SshStubRoute[])]
    : Object.entries(routes as Record<string, SshStubAnswer>).map(([command, reply]) => ({ command, reply }));
  return list.map((r) => ({
    label: `${r.host ? `${String(r.host)}: ` : ''}${String(r.command)}`,
    host:
      r.host === undefined
        ? null
        : r.host instanceof RegExp
          ? (h) => (r.host as RegExp).test(h)
          : (h) => h === r.host,
    command: commandTest(r.command),
    reply: r.reply,
    answered: 0,
  }));
}

function commandTest(pattern: string | RegExp): (c: string) => boolean {
  if (pattern instanceof RegExp) return (c) => pattern.test(c);
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return (c) => re.test(c.trim());
}
