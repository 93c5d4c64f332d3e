// A runbook that handles credentials the way real ones do: it reads them from the environment (ctx.secret
// or a variable it declares) and, carelessly, returns, attaches, logs and throws them, raw and encoded.
// test/security/secrets.test.ts checks that none of it reaches a reader.
import { runbook, z } from 'firebreak';

export const credentials = runbook({
  id: 'credentials',
  title: 'Handles credentials carelessly',
  input: z.object({ echo: z.string().default('') }),
  // Not named like a credential: declared, so redacted from the moment the runbook loads.
  secrets: ['UPSTREAM_AUTH'],
})
  .diagnostic('read', async ({ input, secret, attach, log }) => {
    const kube = secret('KUBERNETES_TOKEN');
    // Not named like a credential and not declared: registered by reading it.
    const late = secret('LATE_CREDENTIAL_VALUE');
    log('calling the cluster', { kube, late });
    attach({ kind: 'markdown', title: 'curl', content: `curl -H "Authorization: Bearer ${kube}"` });
    return {
      kube,
      late,
      echoed: input.echo,
      urlEncoded: `https://api.example/?token=${encodeURIComponent(kube)}`,
      basic: `Basic ${Buffer.from(`svc:${late}`).toString('base64')}`,
    };
  })
  .diagnostic('fail', { retry: { maxAttempts: 1 } }, async ({ secret }) => {
    throw new Error(`feature flags refused ${secret('FEATURE_FLAGS_TOKEN')}`);
  });
