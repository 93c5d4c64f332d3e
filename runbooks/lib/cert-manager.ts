// cert-manager's Certificate resources, through the Kubernetes API (cert-manager.io/v1).
// https://cert-manager.io/docs/reference/api-docs/#cert-manager.io/v1.Certificate
import { endpoints } from './endpoints.ts';
import type { Http } from './http.ts';
import { enc, kubeCall } from './kubernetes.ts';

export interface CertificateSummary {
  name: string;
  secretName: string;
  issuer: string;
  notAfter: string | null;
  renewalTime: string | null;
  revision: number;
  ready: boolean;
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

interface Certificate {
  spec: { secretName: string; issuerRef: { name: string; kind?: string } };
  status?: { notAfter?: string; renewalTime?: string; revision?: number; conditions?: Condition[] };
}

const path = (ns: string, name: string) =>
  `/apis/cert-manager.io/v1/namespaces/${enc(ns)}/certificates/${enc(name)}`;

export function certManager(http: Http, base = endpoints().kubernetes) {
  const call = kubeCall(http, base);
  return {
    async getCertificate(ns: string, name: string): Promise<CertificateSummary> {
      const c = await call<Certificate>(path(ns, name));
      return {
        name,
        secretName: c.spec.secretName,
        issuer: `${c.spec.issuerRef.kind ?? 'Issuer'}/${c.spec.issuerRef.name}`,
        notAfter: c.status?.notAfter ?? null,
        renewalTime: c.status?.renewalTime ?? null,
        revision: c.status?.revision ?? 0,
        ready: c.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
      };
    },

    /**
     * Asks cert-manager to issue the Certificate again now, as `cmctl renew` does: an Issuing=True
     * condition on the status subresource, which cert-manager's trigger controller acts on. The other
     * conditions are sent back unchanged (a merge patch replaces the whole list).
     */
    async renewCertificate(ns: string, name: string, at: Date): Promise<void> {
      const c = await call<Certificate>(path(ns, name));
      const conditions = (c.status?.conditions ?? []).filter((x) => x.type !== 'Issuing');
      conditions.push({
        type: 'Issuing',
        status: 'True',
        reason: 'ManuallyTriggered',
        message: 'Certificate re-issuance requested by firebreak',
        lastTransitionTime: at.toISOString(),
      });
      await call(`${path(ns, name)}/status`, {
        method: 'PATCH',
        contentType: 'application/merge-patch+json',
        body: { status: { conditions } },
      });
    },
  };
}
