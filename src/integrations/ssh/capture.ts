// One output stream of a command, kept up to a cap. The cut is made after redaction, on a little more
// than the cap: a secret that straddles the cap is still whole when the redactor sees it, so no prefix
// of it survives the cut.
const REDACTION_MARGIN = 16 * 1024;

export class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const room = this.limit + REDACTION_MARGIN - this.kept;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.chunks.push(part);
    this.kept += part.length;
  }

  /** The redacted text, cut to the cap, with a marker saying how much was dropped. */
  finish(redact: (text: string) => string): { text: string; truncated: boolean } {
    const text = redact(Buffer.concat(this.chunks).toString('utf8'));
    const bytes = Buffer.from(text, 'utf8');
    if (bytes.length <= this.limit && this.total === this.kept) return { text, truncated: false };
    const head = bytes
      .subarray(0, this.limit)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    return {
      text: `${head}\n[truncated: ${this.total} bytes of output, the first ${this.limit} kept]`,
      truncated: true,
    };
  }
}
