// Kubernetes storage quantities ("50Gi", "500M") as bytes and back.

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
};

/** Bytes of a Kubernetes storage quantity ("50Gi", "500M", "1073741824"). */
export function quantityBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)([kMGT]i?|)$/.exec(q.trim());
  const unit = m ? UNITS[m[2]!] : undefined;
  if (!m || unit === undefined) throw new Error(`cannot read storage quantity "${q}"`);
  return Number(m[1]) * unit;
}

/** Whole GiB, rounded up: the size to ask for. */
export function gibQuantity(bytes: number): string {
  return `${Math.ceil(bytes / 2 ** 30)}Gi`;
}
