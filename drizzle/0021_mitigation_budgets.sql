CREATE TABLE "mitigation_budget_uses" (
	"run_id" uuid NOT NULL,
	"step_key" text NOT NULL,
	"key" text NOT NULL,
	"runbook_id" text NOT NULL,
	"mitigation" text NOT NULL,
	"scope" text,
	"at" timestamp with time zone NOT NULL,
	"approval_id" uuid,
	CONSTRAINT "mitigation_budget_uses_run_id_step_key_pk" PRIMARY KEY("run_id","step_key")
);
--> statement-breakpoint
CREATE INDEX "mitigation_budget_uses_key_at_idx" ON "mitigation_budget_uses" USING btree ("key","at");--> statement-breakpoint
CREATE INDEX "mitigation_budget_uses_mitigation_at_idx" ON "mitigation_budget_uses" USING btree ("runbook_id","mitigation","at");--> statement-breakpoint
CREATE INDEX "mitigation_budget_uses_at_idx" ON "mitigation_budget_uses" USING btree ("at");