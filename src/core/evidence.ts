// What a piece of evidence is, shared by the runbook DSL (ctx.attach) and the store (evidence rows).
export type EvidenceKind = 'text' | 'markdown' | 'json' | 'table' | 'link' | 'image';
