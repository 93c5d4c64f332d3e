CREATE TABLE "gameday_fires" (
	"id" uuid PRIMARY KEY NOT NULL,
	"schedule_id" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"trigger" text NOT NULL,
	"outcome" text NOT NULL,
	"mode" text NOT NULL,
	"incident_id" uuid,
	"run_id" uuid,
	"requested_by" text,
	"fired_by" text,
	"settings" jsonb NOT NULL,
	"recorded_at" timestamp with time zone NOT NULL,
	"inject_status" text,
	"injected_at" timestamp with time zone,
	"inject_error" jsonb,
	"detect_from_seq" bigint,
	"detect_deadline" timestamp with time zone,
	"detected_at" timestamp with time zone,
	"detected_alert" jsonb,
	"rollback_requested_at" timestamp with time zone,
	"scored_at" timestamp with time zone,
	"passed" boolean,
	"scorecard" jsonb
);
--> statement-breakpoint
CREATE TABLE "gameday_schedules" (
	"id" text PRIMARY KEY NOT NULL,
	"runbook_id" text NOT NULL,
	"game_day_id" text NOT NULL,
	"cron" text NOT NULL,
	"timezone" text NOT NULL,
	"mode" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"handled_until" timestamp with time zone,
	"removed_at" timestamp with time zone,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "gameday_fires_due_uq" ON "gameday_fires" USING btree ("schedule_id","due_at") WHERE trigger = 'schedule';--> statement-breakpoint
CREATE INDEX "gameday_fires_schedule_idx" ON "gameday_fires" USING btree ("schedule_id","recorded_at");--> statement-breakpoint
CREATE INDEX "gameday_fires_open_idx" ON "gameday_fires" USING btree ("recorded_at") WHERE outcome = 'fired' AND scored_at IS NULL;--> statement-breakpoint
CREATE INDEX "gameday_fires_run_idx" ON "gameday_fires" USING btree ("run_id");