// GET /readyz for `serve` and `worker`: ready while the database answers and the process is not
// shutting down. From the moment SIGTERM arrives it answers 503, so a load balancer or Kubernetes stops
// sending work while running steps finish.
import type { Engine } from '../engine/engine.ts';
import type { Db } from '../store/database.ts';
import { ping } from '../store/health.ts';

export interface ReadinessDeps {
  driver: Db;
  engine: Pick<Engine, 'workerId' | 'activeRuns'>;
  /** True once a shutdown began. */
  draining: () => boolean;
}

export interface Readiness {
  status: 200 | 503;
  body: Record<string, unknown>;
}

export async function readiness(deps: ReadinessDeps): Promise<Readiness> {
  if (deps.draining()) {
    return {
      status: 503,
      body: { error: { code: 'shutting_down', message: 'shutting down: finishing running steps' } },
    };
  }
  try {
    await ping(deps.driver);
    return {
      status: 200,
      body: { ok: true, worker: deps.engine.workerId, activeRuns: deps.engine.activeRuns },
    };
  } catch (err) {
    return {
      status: 503,
      body: { error: { code: 'not_ready', message: `database: ${(err as Error).message}` } },
    };
  }
}
