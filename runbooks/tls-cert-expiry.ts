// The certificate an endpoint serves expires soon (blackbox exporter's probe_ssl_earliest_cert_expiry).
// Ask cert-manager to issue its Certificate again now, and verify that the endpoint serves one that
// lasts. A renewal cannot be undone, nor does it need to be: the old certificate stays valid until its
// own expiry, so the revert only records that.
import { NonRetryableError, runbook, z } from 'firebreak';
import { certManager } from './lib/cert-manager.ts';
import type { Http } from './lib/http.ts';
import { prometheus, q } from './lib/prometheus.ts';

const input = z.object({
  /** The probed URL, as in the probe's `instance` label. */
  instance: z.string().min(1),
  namespace: z.string().min(1).default('ingress'),
  /** The cert-manager Certificate behind the endpoint. */
  certificate: z.string().min(1),
  /** Renew when fewer days are left; the renewed certificate must last longer than this. */
  minDays: z.number().min(1).default(14),
});

type Input = z.output<typeof input>;

const DAY = 86_400_000;

/** When the certificate the endpoint serves expires, as the probe last saw it. */
async function servedExpiry(i: Input, http: Http, now: Date) {
  const seconds = await prometheus(http).scalar(
    `min(probe_ssl_earliest_cert_expiry{instance=${q(i.instance)}})`,
  );
  if (seconds === null) throw new NonRetryableError(`no probe_ssl_earliest_cert_expiry for ${i.instance}`);
  const expiresAt = new Date(seconds * 1000);
  return { expiresAt: expiresAt.toISOString(), daysLeft: (expiresAt.getTime() - now.getTime()) / DAY };
}

interface Renewal {
  certificate: string;
  previousRevision: number;
  previousNotAfter: string | null;
}

export const tlsCertExpiry = runbook({
  id: 'tls-cert-expiry',
  title: 'TLS certificate near expiry',
  description: 'Renews the cert-manager Certificate now and checks the endpoint serves the new one.',
  triggers: [{ alertname: 'TLSCertificateExpiringSoon' }, { alertname: 'SSLCertExpiringSoon' }],
  input,
  fromAlert: (alert) => ({
    instance: alert.labels.instance ?? '',
    namespace: alert.labels.namespace ?? 'ingress',
    certificate: alert.labels.certificate ?? '',
  }),
  concurrency: { key: (i) => `${i.namespace}/${i.certificate}`, limit: 1 },
  gameDays: [
    {
      id: 'monthly-drill',
      // 14:00 on the 1st of every month (issuers rate-limit renewals: a drill is a dry run).
      cron: '0 14 1 * *',
      timezone: 'Europe/Berlin',
      mode: 'dry-run',
      // minDays beyond any real certificate's life, so the renewal path is always exercised.
      input: { instance: 'https://staging.shop.example.com', certificate: 'staging-shop-tls', minDays: 400 },
      targets: { mitigateWithin: '10m', maxFailedSteps: 0 },
    },
  ],
  postmortem: ({ input: i, steps }) => {
    const before = steps.expiry as { expiresAt: string; daysLeft: number } | undefined;
    const renewal = steps.renew as Renewal | undefined;
    return [
      {
        title: 'Certificate',
        body: [
          `${i.instance} served a certificate expiring ${before?.expiresAt ?? '?'} (${before ? before.daysLeft.toFixed(1) : '?'} days left; renewal threshold ${i.minDays} days).`,
          renewal
            ? `cert-manager re-issued ${i.namespace}/${renewal.certificate} (revision ${renewal.previousRevision} before). Find out why automatic renewal did not happen in time (renewBefore, issuer errors, rate limits).`
            : 'The certificate was not renewed by this run.',
        ].join('\n\n'),
      },
    ];
  },
})
  .diagnostic('expiry', async ({ input: i, http, now, attach }) => {
    const e = await servedExpiry(i, http, now());
    attach({ kind: 'json', title: `Certificate served by ${i.instance}`, content: e });
    return e;
  })
  .diagnostic('certificate', { needs: [] }, async ({ input: i, http, attach }) => {
    const c = await certManager(http).getCertificate(i.namespace, i.certificate);
    attach({ kind: 'json', title: `Certificate ${i.namespace}/${i.certificate}`, content: c });
    return c;
  })
  .mitigation('renew', {
    needs: ['expiry', 'certificate'],
    when: ({ input: i, steps }) => steps.expiry.daysLeft < i.minDays,
    // A renewal is safe: when nobody answers within 30 minutes, go ahead.
    approval: { groups: ['sre-oncall'], timeout: '30m', onTimeout: 'approve' },
    dryRun: ({ input: i, steps }) => ({
      wouldRenew: `${i.namespace}/${i.certificate}`,
      issuer: steps.certificate.issuer,
      daysLeft: Math.round(steps.expiry.daysLeft * 10) / 10,
    }),
    apply: async ({ input: i, steps, http, now }): Promise<Renewal> => {
      await certManager(http).renewCertificate(i.namespace, i.certificate, now());
      return {
        certificate: i.certificate,
        previousRevision: steps.certificate.revision,
        previousNotAfter: steps.certificate.notAfter,
      };
    },
    // Issued (a new revision, Ready) and served: the probe sees a certificate that lasts.
    verify: {
      after: '10m',
      check: async ({ input: i, http, now, applied }) => {
        const c = await certManager(http).getCertificate(i.namespace, i.certificate);
        if (c.revision <= applied.previousRevision || !c.ready) return false;
        return (await servedExpiry(i, http, now())).daysLeft >= i.minDays;
      },
    },
    revert: ({ applied, attach }) => {
      attach({
        kind: 'markdown',
        title: `Renewal of ${applied.certificate} is not undone`,
        content: `An issued certificate cannot be withdrawn by a revert, and need not be: the previous one (valid until ${applied.previousNotAfter ?? 'unknown'}) still works. If issuance failed, check the Certificate's events and the issuer.`,
      });
      return { irreversible: true };
    },
  })
  .notify('announce', {
    message: ({ input: i, steps, run }) => {
      if (run.dryRun)
        return `${i.instance} (dry run): certificate expires in ${steps.expiry.daysLeft.toFixed(1)} days.`;
      if (steps.renew)
        return `${i.instance}: ${i.certificate} renewed by cert-manager; the endpoint serves the new certificate.`;
      return `${i.instance}: certificate expires in ${steps.expiry.daysLeft.toFixed(1)} days; nothing to do.`;
    },
  });
