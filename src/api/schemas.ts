// Request schemas of the HTTP API: the same zod values validate requests and generate /openapi.json.
import { z } from 'zod';
import { runStatuses } from '../core/status.ts';

export const startRunBody = z.object({
  runbook: z.string().min(1),
  input: z.unknown().default({}),
  dryRun: z.boolean().default(false),
  idempotencyKey: z.string().min(1).max(200).optional(),
  incidentId: z.uuid().optional(),
});

export const cancelRunBody = z
  .object({ keepMitigations: z.boolean().default(false) })
  .default({ keepMitigations: false });

export const runsQuery = z.object({
  status: z.enum(runStatuses).optional(),
  // The database cannot compare text holding U+0000: refused here rather than failing there.
  runbook: z
    .string()
    .refine((v) => !v.includes('\u0000'), 'must not contain U+0000')
    .optional(),
  incident: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const incidentsQuery = z.object({
  status: z.enum(['firing', 'resolved']).optional(),
  drill: z.enum(['true', 'false']).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), issues: z.array(z.unknown()).optional() }),
});
