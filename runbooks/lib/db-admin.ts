// The database admin service: a small authenticated sidecar beside PostgreSQL that runs
// pg_terminate_backend for the sessions a request selects, so the runbooks never hold a superuser
// connection themselves. The API this client speaks:
//   POST {DB_ADMIN_URL}/api/v1/databases/{db}/sessions/terminate
//        { state: 'idle' | 'idle in transaction', idleForSeconds, excludeUsers, limit }
//        Idempotency-Key: <key>
//   → 200 { terminated: [{ pid, user, application, idleSeconds }] }
import { endpoints } from './endpoints.ts';
import { type Http, requestJson } from './http.ts';

export interface TerminateRequest {
  state: 'idle' | 'idle in transaction';
  idleForSeconds: number;
  excludeUsers: readonly string[];
  limit: number;
}

export interface TerminatedSession {
  pid: number;
  user: string;
  application: string;
  idleSeconds: number;
}

export function dbAdmin(http: Http, base = endpoints().dbAdmin) {
  return {
    terminateSessions: (database: string, req: TerminateRequest, idempotencyKey: string) =>
      requestJson<{ terminated: TerminatedSession[] }>(
        http,
        `${base.url}/api/v1/databases/${encodeURIComponent(database)}/sessions/terminate`,
        { method: 'POST', endpoint: base, headers: { 'idempotency-key': idempotencyKey }, body: req },
      ),
  };
}
