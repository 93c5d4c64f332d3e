CREATE SEQUENCE "public"."mitigation_applied_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "approvals" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"status" text NOT NULL,
	"policy" jsonb NOT NULL,
	"decisions" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"requested_by" text,
	"requested_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone,
	"decided_at" timestamp with time zone,
	"reason" text
);
--> statement-breakpoint
CREATE TABLE "concurrency_slots" (
	"key" text NOT NULL,
	"slot" integer NOT NULL,
	"run_id" uuid NOT NULL,
	CONSTRAINT "concurrency_slots_key_slot_pk" PRIMARY KEY("key","slot")
);
--> statement-breakpoint
CREATE TABLE "events" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid,
	"incident_id" uuid,
	"step_key" text,
	"type" text NOT NULL,
	"data" jsonb,
	"at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "evidence" (
	"id" uuid PRIMARY KEY NOT NULL,
	"run_id" uuid,
	"incident_id" uuid,
	"step_key" text,
	"attempt" integer,
	"kind" text NOT NULL,
	"title" text NOT NULL,
	"content" jsonb NOT NULL,
	"content_hash" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"runbook_id" text NOT NULL,
	"runbook_version" text NOT NULL,
	"plan" jsonb NOT NULL,
	"status" text NOT NULL,
	"input" jsonb NOT NULL,
	"output" jsonb,
	"error" jsonb,
	"dry_run" boolean DEFAULT false NOT NULL,
	"idempotency_key" text,
	"concurrency_key" text,
	"incident_id" uuid,
	"requested_by" text,
	"lease_owner" text,
	"lease_expires_at" timestamp with time zone,
	"wake_at" timestamp with time zone,
	"cancel_requested" boolean DEFAULT false NOT NULL,
	"keep_mitigations" boolean DEFAULT false NOT NULL,
	"claims" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
CREATE TABLE "step_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"run_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"attempt" integer NOT NULL,
	"phase" text NOT NULL,
	"status" text NOT NULL,
	"error" jsonb,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "steps" (
	"run_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"attempt" integer DEFAULT 0 NOT NULL,
	"output" jsonb,
	"error" jsonb,
	"state" jsonb,
	"applied_seq" bigint,
	"idempotency_key" text NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	CONSTRAINT "steps_run_id_step_key_pk" PRIMARY KEY("run_id","step_key")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "approvals_run_step_uq" ON "approvals" USING btree ("run_id","step_key");--> statement-breakpoint
CREATE INDEX "approvals_status_idx" ON "approvals" USING btree ("status");--> statement-breakpoint
CREATE UNIQUE INDEX "concurrency_slots_run_uq" ON "concurrency_slots" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "events_run_idx" ON "events" USING btree ("run_id","seq");--> statement-breakpoint
CREATE INDEX "events_incident_idx" ON "events" USING btree ("incident_id","seq");--> statement-breakpoint
CREATE INDEX "evidence_run_idx" ON "evidence" USING btree ("run_id");--> statement-breakpoint
CREATE INDEX "evidence_incident_idx" ON "evidence" USING btree ("incident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_idempotency_key_uq" ON "runs" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "runs_claimable_idx" ON "runs" USING btree ("wake_at","created_at") WHERE status in ('queued','running','waiting','compensating');--> statement-breakpoint
CREATE INDEX "runs_incident_idx" ON "runs" USING btree ("incident_id");--> statement-breakpoint
CREATE INDEX "runs_created_idx" ON "runs" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "step_attempts_run_idx" ON "step_attempts" USING btree ("run_id","step_key");