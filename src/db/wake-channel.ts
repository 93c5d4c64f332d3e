/** The NOTIFY channel that wakes workers (new runs, cancels, approvals, slots, settings). */
export const WAKE_CHANNEL = 'firebreak_wake';
