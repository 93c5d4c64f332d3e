// In-process counts of Slack delivery, read by tests and (later) /metrics.
export class SlackCounters {
  /** Messages Slack accepted. */
  delivered = 0;
  /** Attempts that failed and will be tried again (HTTP errors, timeouts, retryable Slack errors). */
  failedAttempts = 0;
  /** 429 answers: delivery paused for Retry-After. */
  rateLimited = 0;
  /** Messages given up (attempts used up, or an error that no retry can fix). */
  abandoned = 0;

  snapshot(): { delivered: number; failedAttempts: number; rateLimited: number; abandoned: number } {
    return {
      delivered: this.delivered,
      failedAttempts: this.failedAttempts,
      rateLimited: this.rateLimited,
      abandoned: this.abandoned,
    };
  }
}
