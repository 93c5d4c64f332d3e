// Splits a PostgreSQL wire-protocol byte stream into messages (a type byte, then a length that counts
// itself), so the TCP proxy can tell where a statement's answer ends. The client's first message (the
// startup packet) has no type byte. SSL is never negotiated through the proxy (the tests do not use it).

export interface WireMessage {
  /** One character: 'Z' ReadyForQuery, 'S' Sync, 'Q' simple query, … ('' for the startup packet). */
  type: string;
  body: Buffer;
}

/** A reader for one direction of one connection: feed it chunks, get the messages they complete. */
export function messageReader(opts: { startup: boolean }): (chunk: Buffer) => WireMessage[] {
  let buffered: Buffer = Buffer.alloc(0);
  let awaitingStartup = opts.startup;
  return (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const out: WireMessage[] = [];
    for (;;) {
      const header = awaitingStartup ? 4 : 5;
      if (buffered.length < header) break;
      const length = buffered.readInt32BE(header - 4);
      const total = header - 4 + length;
      if (buffered.length < total) break;
      out.push({
        type: awaitingStartup ? '' : String.fromCharCode(buffered[0]!),
        body: buffered.subarray(header, total),
      });
      buffered = buffered.subarray(total);
      awaitingStartup = false;
    }
    return out;
  };
}

/** The server's messages. */
export const serverMessages = () => messageReader({ startup: false });

/** The client's messages, the startup packet first. */
export const clientMessages = () => messageReader({ startup: true });
