CREATE TABLE "slack_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"key" text,
	"thread" text,
	"reply_to" text,
	"target" text,
	"channel" text,
	"body" jsonb NOT NULL,
	"run_id" uuid,
	"incident_id" uuid,
	"status" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone NOT NULL,
	"locked_until" timestamp with time zone,
	"last_error" text,
	"ts" text,
	"created_at" timestamp with time zone NOT NULL,
	"sent_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "slack_outbox_key_uq" ON "slack_outbox" USING btree ("key");--> statement-breakpoint
CREATE INDEX "slack_outbox_due_idx" ON "slack_outbox" USING btree ("next_attempt_at","id") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "slack_outbox_thread_idx" ON "slack_outbox" USING btree ("thread","id") WHERE status = 'pending';