-- Web UI sessions kept server-side (issue 9): signing out, or an admin signing everyone out, ends them.
CREATE TABLE "web_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"identity" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone
);
--> statement-breakpoint
CREATE INDEX "web_sessions_expires_idx" ON "web_sessions" USING btree ("expires_at");