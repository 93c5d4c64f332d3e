// Plants each fault below, one at a time, in a scratch copy of this checkout, runs the test files that
// must catch it, and prints fault → failing tests. A fault no test catches is a hole in the suite: the
// script then exits 1. The checkout itself is never modified.
//
//   npx tsx test/security/plant-faults.ts [id-substring …]
//
// Not part of CI (a full pass runs the security files once per fault: about 15 minutes here). Run
// `npm run build` first: the scratch copy uses this checkout's dist/ as it is.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Fault {
  id: string;
  file: string;
  find: string;
  replace: string;
  tests: string[];
}

const SEC = (f: string) => `test/security/${f}.test.ts`;

const FAULTS: Fault[] = [
  // ── the faults issue 9 found planted on main without any test failing ──
  {
    id: 'session: expiry check removed',
    file: 'src/web/session.ts',
    find: 'if (row.expiresAt.getTime() <= now.getTime()) return null;',
    replace: '',
    tests: [SEC('limits')],
  },
  {
    id: 'session: loopback_only answers the local admin always',
    file: 'src/web/session.ts',
    find: "return caller ? { caller } : { caller: null, why: 'loopback_only' };",
    replace: "return { caller: caller ?? { identity: 'local', role: 'admin', via: 'loopback' } };",
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'session: Secure flag for https / x-forwarded-proto disabled',
    file: 'src/web/session.ts',
    find: '    secure: isHttps(c),\n  });\n  return token;',
    replace: '    secure: false,\n  });\n  return token;',
    tests: [SEC('limits')],
  },
  {
    id: 'session: /sign-out a no-op',
    file: 'src/web/actions.tsx',
    find: 'await signOut(c, sessionsOf(deps.fb), deps.fb.engine.clock.now());',
    replace: '',
    tests: [SEC('limits')],
  },
  {
    id: "session: fromThisOrigin's Referer fallback dropped",
    file: 'src/web/session.ts',
    find: "const source = c.req.header('origin') ?? c.req.header('referer');",
    replace: "const source = c.req.header('origin');",
    tests: [SEC('limits')],
  },
  {
    id: 'session: Origin: null accepted',
    file: 'src/web/session.ts',
    find: "if (!source || source === 'null') return false;",
    replace: "if (!source) return false;\n  if (source === 'null') return true;",
    tests: [SEC('limits')],
  },
  {
    id: 'session: a malformed Origin accepted',
    file: 'src/web/session.ts',
    find: '    return allowedOrigin(c, config, new URL(source).origin);\n  } catch {\n    return false;',
    replace: '    return allowedOrigin(c, config, new URL(source).origin);\n  } catch {\n    return true;',
    tests: [SEC('limits')],
  },
  {
    id: 'session: a token taken out of API_TOKENS keeps its sessions',
    file: 'src/web/session.ts',
    find: '  return found;\n}',
    replace: '  return found ?? tokens[0] ?? null;\n}',
    tests: [SEC('limits')],
  },
  {
    id: 'localPath: /\\evil accepted',
    file: 'src/web/format.ts',
    find: '/^\\/(?![/\\\\])/',
    replace: '/^\\/(?!\\/)/',
    tests: [SEC('limits')],
  },
  {
    id: 'auth: no 401 for a non-loopback caller when no tokens are set',
    file: 'src/api/auth.ts',
    find: "    throw new HttpError(401, 'unauthorized', 'no API tokens are configured: the API answers loopback only');",
    replace: "    return { identity: 'local', role: 'admin', via: 'loopback' };",
    tests: [SEC('unauthenticated')],
  },
  {
    id: "approvals: approve permission changed to 'read'",
    file: 'src/api/approvals.ts',
    find: "requireCaller(deps.config, 'approve')",
    replace: "requireCaller(deps.config, 'read')",
    tests: [SEC('decisions')],
  },
  {
    id: "server: the log's redact removed",
    file: 'src/server.ts',
    find: '      redact: redact.text,\n',
    replace: '',
    tests: [SEC('secrets')],
  },
  {
    id: 'redact: JSON-escaped needles replaced by raw ones',
    file: 'src/core/redact.ts',
    find: 'const out = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)];',
    replace: 'const out = [secret, secret, encodeURIComponent(secret)];',
    tests: [SEC('secrets')],
  },
  {
    id: 'redact: minimum-length filter removed',
    file: 'src/core/redact.ts',
    find: "(s): s is string => typeof s === 'string' && s.length >= MIN_SECRET_LENGTH && !known.has(s),",
    replace: "(s): s is string => typeof s === 'string' && s.length > 0 && !known.has(s),",
    tests: [SEC('secrets')],
  },
  {
    id: 'redact: escaped-backslash rule removed',
    file: 'src/core/redact.ts',
    find: 'const UNSTORABLE_ESCAPE = /(?<!\\\\)((?:\\\\\\\\)*)\\\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;',
    replace: 'const UNSTORABLE_ESCAPE = /()\\\\u(?:0000|d[89a-f][0-9a-f]{2})/gi;',
    tests: [SEC('secrets')],
  },
  {
    id: 'approval-gate: timeout escalation disabled',
    file: 'src/engine/approval-gate.ts',
    find: "if (typeof onTimeout !== 'object' || st.state[mark]) return null;",
    replace: 'return null;',
    tests: ['test/approvals/policy.test.ts'],
  },
  {
    id: 'slack verify: non-numeric timestamp not refused as such',
    file: 'src/integrations/slack/verify.ts',
    find: 'if (!/^\\d{1,12}$/.test(timestamp))',
    replace: 'if (false)',
    tests: [SEC('decisions')],
  },
  {
    id: 'slack verify: a signature without timestamp not refused as such',
    file: 'src/integrations/slack/verify.ts',
    find: 'if (!signature || !timestamp)',
    replace: 'if (!signature)',
    tests: [SEC('decisions')],
  },
  // ── the protections issue 9 added ──
  {
    id: 'markdown: the 256 KB cap removed',
    file: 'src/web/markdown.ts',
    find: 'const capped = source.length > MARKDOWN_LIMIT;',
    replace: 'const capped = false;',
    tests: ['test/web/markdown-linear.test.ts'],
  },
  {
    id: 'markdown: raw HTML let through',
    file: 'src/web/markdown.ts',
    find: '  html: false,',
    replace: '  html: true,',
    tests: ['test/web/markdown.test.ts'],
  },
  {
    id: 'metrics: event-loop lag not sampled',
    file: 'src/observability/observability.ts',
    find: 'sampleEventLoopLag(metrics.eventLoopLag)',
    replace: '() => {}',
    tests: ['test/observability/metrics.test.ts'],
  },
  {
    id: 'exposure: non-loopback HOST without tokens allowed to start',
    file: 'src/api/exposure.ts',
    find: '  if (!unauthenticated(config) || config.FIREBREAK_ALLOW_UNAUTHENTICATED) return null;\n  const host',
    replace: '  return null;\n  const host',
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'exposure: FIREBREAK_ALLOW_UNAUTHENTICATED warning dropped',
    file: 'src/api/exposure.ts',
    find: '  if (!unauthenticated(config) || !config.FIREBREAK_ALLOW_UNAUTHENTICATED) return null;',
    replace: '  return null;',
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'exposure: Host allow-list removed',
    file: 'src/api/exposure.ts',
    find: 'if (open && !hostExempt(path)) {',
    replace: 'if (false) {',
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'exposure: probes no longer exempt from the Host allow-list',
    file: 'src/api/exposure.ts',
    find: "const hostExempt = (path: string) =>\n    path === '/healthz' || path === '/readyz' || authenticatedElsewhere(path);",
    replace: 'const hostExempt = (path: string) => authenticatedElsewhere(path);',
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'exposure: cross-site state changes accepted',
    file: 'src/api/exposure.ts',
    find: 'if (crossSite(c, config)) {',
    replace: 'if (false) {',
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'exposure: non-JSON bodies accepted on JSON endpoints',
    file: 'src/api/exposure.ts',
    find: "!isJson(c.req.header('content-type'))",
    replace: 'false',
    tests: [SEC('unauthenticated')],
  },
  {
    id: "exposure: all of 127.0.0.0/8 is loopback (Istio's 127.0.0.6 admitted)",
    file: 'src/api/exposure.ts',
    find: "return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1';",
    replace: "return address.startsWith('127.') || address === '::1' || address === '::ffff:127.0.0.1';",
    tests: [SEC('unauthenticated')],
  },
  {
    id: 'exposure: the form origin compared with the request Host',
    file: 'src/api/exposure.ts',
    find: "  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;",
    replace:
      "  if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;\n  if (url.host === c.req.header('host')) return true;",
    tests: [SEC('limits')],
  },
  {
    id: 'secrets: variables named like credentials not redacted',
    file: 'src/config/config.ts',
    find: '.filter(([k]) => SECRET_NAME.test(k))',
    replace: '.filter(() => false)',
    tests: [SEC('secrets')],
  },
  {
    id: 'secrets: DATABASE_URL password not redacted',
    file: 'src/config/config.ts',
    find: '    ...databasePassword(config.DATABASE_URL),\n',
    replace: '',
    tests: [SEC('secrets')],
  },
  {
    id: 'secrets: ctx.secret does not register what it reads',
    file: 'src/firebreak.ts',
    find: '      redact.add([value]);\n      return value;',
    replace: '      return value;',
    tests: [SEC('secrets')],
  },
  {
    id: 'secrets: runbook-declared secrets ignored',
    file: 'src/firebreak.ts',
    find: '  declareSecrets(registry, env, redact, opts.logger);',
    replace: '',
    tests: [SEC('secrets')],
  },
  {
    id: 'secrets: base64 forms not redacted',
    file: 'src/core/redact.ts',
    find: "if (core.length >= MIN_SECRET_LENGTH) out.push(core, core.replace(/\\+/g, '-').replace(/\\//g, '_'));",
    replace: '',
    tests: [SEC('secrets')],
  },
  {
    id: 'dead letters: header deny-list instead of allow-list',
    file: 'src/ingest/ingest.ts',
    find: 'if (KEPT_HEADERS.has(key.toLowerCase())) out[key] = value;',
    replace: "if (key !== 'authorization' && key !== 'cookie') out[key] = value;",
    tests: [SEC('secrets')],
  },
  {
    id: 'config: short PagerDuty secrets accepted',
    file: 'src/config/config.ts',
    find: ".refine((l) => l.every((s) => s.length >= 8), 'each secret must be at least 8 characters')",
    replace: '',
    tests: [SEC('secrets')],
  },
  {
    id: 'decisions: a gate naming nobody open to anyone',
    file: 'src/services/approvals/policy.ts',
    find: "return d.role === 'approver';",
    replace: 'return true;',
    tests: [SEC('decisions')],
  },
  {
    id: 'decisions: a decider is its surface id, not its identity (quorum counts ids)',
    file: 'src/services/approvals/decide.ts',
    find: 'return { identity: p.identity, aliases: p.aliases, via,',
    replace: 'return { identity: id, aliases: p.aliases, via,',
    tests: [SEC('decisions')],
  },
  {
    id: 'decisions: four eyes compares surface ids, not identities',
    file: 'src/services/approvals/policy.ts',
    find: 'canonical(requester) === canonical(decider.identity)',
    replace: 'requester === decider.identity',
    tests: [SEC('decisions')],
  },
  {
    id: 'slack: notify text sent unescaped',
    file: 'src/integrations/slack/notifier.ts',
    find: 'const text = esc(message);',
    replace: 'const text = message;',
    tests: [SEC('decisions')],
  },
  {
    id: 'replay: body digest not used for signed deliveries',
    file: 'src/api/webhooks.ts',
    find: "  if (source === 'grafana') return Boolean(config.GRAFANA_HMAC_SECRET) && !config.GRAFANA_TIMESTAMP_HEADER;",
    replace: "  if (source === 'grafana') return false;",
    tests: [SEC('replay')],
  },
  {
    id: 'replay: a stale resolved closes the incident',
    file: 'drizzle/0016_reopen_runs_again.sql', // firebreak_ingest's current body (0016 restates 0014's whole)
    find: "\n      AND NOT (EXCLUDED.status = 'resolved' AND EXCLUDED.ends_at IS NOT NULL AND al.starts_at > EXCLUDED.ends_at)",
    replace: '',
    tests: [SEC('replay')],
  },
  {
    id: 'limits: /api bodies unlimited',
    file: 'src/api/app.ts',
    find: "    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();\n    return (",
    replace: '    return next();\n    return (',
    tests: [SEC('limits')],
  },
  {
    id: 'limits: no header timeout',
    file: 'src/server.ts',
    find: '          headersTimeout: limits.headersTimeoutMs,\n',
    replace: '',
    tests: [SEC('limits')],
  },
  {
    id: 'limits: no connection cap',
    file: 'src/server.ts',
    find: '    s.maxConnections = config.FIREBREAK_MAX_CONNECTIONS;\n',
    replace: '',
    tests: [SEC('limits')],
  },
  {
    id: 'limits: sign-in not throttled',
    file: 'src/web/actions.tsx',
    find: '  if (wait > 0) {',
    replace: '  if (false) {',
    tests: [SEC('limits')],
  },
  {
    id: "limits: 'sign out everyone' ends nothing",
    file: 'src/web/session.ts',
    find: "'update web_sessions set revoked_at = $1 where revoked_at is null and expires_at > $1 returning id'",
    replace: "'select id from web_sessions where $1::timestamptz is not null'",
    tests: [SEC('limits')],
  },
  {
    id: 'refusals: refused webhooks not logged',
    file: 'src/api/webhook-outcomes.ts',
    find: "deps.logger.warn('webhook refused', {",
    replace: "deps.logger.debug('webhook refused', {",
    tests: [SEC('limits')],
  },
  {
    id: 'refusals: refused webhooks not counted',
    file: 'src/api/webhook-outcomes.ts',
    find: '    deps.count?.(source, outcome);\n',
    replace: '',
    tests: [SEC('limits')],
  },
];

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const only = process.argv.slice(2);
const faults = only.length ? FAULTS.filter((f) => only.some((o) => f.id.includes(o))) : FAULTS;

// A scratch copy of the checkout as it is (tracked files, uncommitted edits included).
const scratch = mkdtempSync(join(tmpdir(), 'firebreak-faults-'));
const files = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' })
  .split('\0')
  .filter(Boolean);
for (const f of files) {
  mkdirSync(dirname(join(scratch, f)), { recursive: true });
  cpSync(join(root, f), join(scratch, f));
}
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));
// The checkout's build, as it is: the security tests run from src/ (vitest), and a rebuild per planted
// fault took a minute each. dist/ holds the migrated PGlite snapshot every test database starts from.
symlinkSync(join(root, 'dist'), join(scratch, 'dist'));

let undetected = 0;
try {
  for (const fault of faults) {
    const path = join(scratch, fault.file);
    const original = readFileSync(path, 'utf8');
    const hits = original.split(fault.find).length - 1;
    if (hits !== 1) {
      console.log(
        `✗ ${fault.id}: the code to change is found ${hits} times in ${fault.file}; update this script`,
      );
      undetected++;
      continue;
    }
    writeFileSync(path, original.replace(fault.find, fault.replace));
    const report = join(scratch, 'fault-report.json');
    spawnSync('npx', ['vitest', 'run', ...fault.tests, '--reporter=json', `--outputFile=${report}`], {
      cwd: scratch,
      env: { ...process.env, CI: '', FIREBREAK_TEST_SKIP_BUILD: '1' },
      stdio: 'ignore',
    });
    writeFileSync(path, original);
    let failed: string[] = [];
    try {
      const r = JSON.parse(readFileSync(report, 'utf8')) as {
        testResults: {
          name: string;
          message?: string;
          assertionResults: { fullName: string; status: string }[];
        }[];
      };
      failed = r.testResults.flatMap((file) => {
        const tests = file.assertionResults.filter((t) => t.status === 'failed').map((t) => t.fullName);
        // A file that failed as a whole (it did not compile, a hook threw) counts too.
        return tests.length > 0 || !file.message
          ? tests
          : [`${file.name.replace(`${scratch}/`, '')}: ${file.message.split('\n')[0]}`];
      });
      rmSync(report);
    } catch {
      failed = [];
    }
    if (failed.length === 0) undetected++;
    console.log(
      `${failed.length ? '✓' : '✗ NOT DETECTED:'} ${fault.id} → ${failed.length ? failed.slice(0, 2).join(' | ') : 'every test passed'}`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`${faults.length - undetected} of ${faults.length} planted faults made a test fail`);
process.exit(undetected ? 1 : 0);
