#!/usr/bin/env node
// Writes base/prometheusrule.yaml: observability/prometheus-rules.yml wrapped in a PrometheusRule for
// the Prometheus Operator. Run it after changing the rules (`npm run deploy:rules`); a test fails while
// the two differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

const root = new URL('../../', import.meta.url);
const rules = parse(readFileSync(new URL('observability/prometheus-rules.yml', root), 'utf8'));
const resource = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PrometheusRule',
  metadata: { name: 'firebreak', labels: { 'app.kubernetes.io/name': 'firebreak' } },
  spec: { groups: rules.groups },
};
const header = [
  '# Generated from observability/prometheus-rules.yml by deploy/kubernetes/sync-rules.mjs: edit that file,',
  '# then `npm run deploy:rules`. Your Prometheus may select rules by a label (ruleSelector): add it in',
  '# your overlay.',
];
writeFileSync(
  new URL('deploy/kubernetes/base/prometheusrule.yaml', root),
  `${header.join('\n')}\n${stringify(resource, { lineWidth: 0 })}`,
);
