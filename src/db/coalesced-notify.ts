// NOTIFY sent after a commit instead of inside the transaction. PostgreSQL makes every transaction that
// notifies take one database-wide lock at commit and hold it until its commit record is flushed, so
// notifying commits cannot share a WAL flush: under a burst of webhooks they queued one fsync at a time.
// Sent afterwards, at most one NOTIFY is in flight and calls made meanwhile collapse into one more.
import type { SqlDriver } from './driver.ts';

/** Returns a function that sends `payload` on `channel`; it never throws and never waits. */
export function coalescedNotify(
  driver: Pick<SqlDriver, 'notify'>,
  channel: string,
  payload: string,
): () => void {
  let sending = false;
  let again = false;
  const send = (): void => {
    if (sending) {
      again = true;
      return;
    }
    sending = true;
    driver
      .notify(channel, payload)
      // A lost wake-up only delays the work until the listeners' next poll.
      .catch(() => {})
      .finally(() => {
        sending = false;
        if (again) {
          again = false;
          send();
        }
      });
  };
  return send;
}
