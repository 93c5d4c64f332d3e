CREATE TABLE "writeback_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"op" text NOT NULL,
	"key" text NOT NULL,
	"sequence" text,
	"ref" text,
	"body" jsonb NOT NULL,
	"run_id" uuid,
	"incident_id" uuid,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claims" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"remote_id" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "writeback_outbox_key_uq" ON "writeback_outbox" USING btree ("key");--> statement-breakpoint
CREATE INDEX "writeback_outbox_due_idx" ON "writeback_outbox" USING btree ("next_attempt_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "writeback_outbox_sequence_idx" ON "writeback_outbox" USING btree ("sequence","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "writeback_outbox_done_idx" ON "writeback_outbox" USING btree ("created_at") WHERE status <> 'pending';