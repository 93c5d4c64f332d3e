CREATE TABLE "alerts" (
	"incident_id" uuid NOT NULL,
	"fingerprint" text NOT NULL,
	"status" text NOT NULL,
	"labels" jsonb NOT NULL,
	"annotations" jsonb NOT NULL,
	"starts_at" timestamp with time zone,
	"ends_at" timestamp with time zone,
	"generator_url" text,
	"first_seen_at" timestamp with time zone NOT NULL,
	"last_seen_at" timestamp with time zone NOT NULL,
	CONSTRAINT "alerts_incident_id_fingerprint_pk" PRIMARY KEY("incident_id","fingerprint")
);
--> statement-breakpoint
CREATE TABLE "dead_letters" (
	"id" uuid PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"reason" text NOT NULL,
	"body" text NOT NULL,
	"headers" jsonb NOT NULL,
	"received_at" timestamp with time zone NOT NULL,
	"replayed_at" timestamp with time zone,
	"replay_result" jsonb
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" uuid PRIMARY KEY NOT NULL,
	"source" text NOT NULL,
	"group_key" text NOT NULL,
	"status" text NOT NULL,
	"title" text NOT NULL,
	"severity" text,
	"labels" jsonb NOT NULL,
	"drill" boolean DEFAULT false NOT NULL,
	"started_at" timestamp with time zone,
	"opened_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"resolved_at" timestamp with time zone,
	"last_notified_at" timestamp with time zone NOT NULL,
	"reopened_count" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "notifications" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"incident_id" uuid NOT NULL,
	"source" text NOT NULL,
	"delivery_id" text,
	"outcome" text NOT NULL,
	"body" text NOT NULL,
	"received_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "approvals_run_step_uq";--> statement-breakpoint
CREATE INDEX "dead_letters_received_idx" ON "dead_letters" USING btree ("received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_open_group_uq" ON "incidents" USING btree ("source","group_key") WHERE status = 'firing';--> statement-breakpoint
CREATE INDEX "incidents_group_idx" ON "incidents" USING btree ("source","group_key","opened_at");--> statement-breakpoint
CREATE INDEX "incidents_opened_idx" ON "incidents" USING btree ("opened_at");--> statement-breakpoint
CREATE INDEX "notifications_incident_idx" ON "notifications" USING btree ("incident_id");--> statement-breakpoint
CREATE UNIQUE INDEX "notifications_delivery_uq" ON "notifications" USING btree ("source","delivery_id");--> statement-breakpoint
CREATE INDEX "approvals_run_step_idx" ON "approvals" USING btree ("run_id","step_key");