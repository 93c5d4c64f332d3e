CREATE TABLE "postmortems" (
	"incident_id" uuid PRIMARY KEY NOT NULL,
	"generated_markdown" text NOT NULL,
	"generated_json" jsonb NOT NULL,
	"generated_at" timestamp with time zone NOT NULL,
	"edited_markdown" text,
	"edited_by" text,
	"edited_at" timestamp with time zone
);
