// The one error tree: what is stored for an error on a step, a run and in the journal.
import { describe, expect, test } from 'vitest';
import {
  FirebreakError,
  LeaseLostError,
  NonRetryableError,
  StepTimeoutError,
  serializeError,
  ValidationError,
} from '../../src/core/errors.ts';

describe('serializeError', () => {
  test('keeps code, nonRetryable, details and the cause', () => {
    const cause = new Error('connection reset');
    const err = new FirebreakError('upstream', 'deploy API failed', {
      cause,
      nonRetryable: true,
      details: { status: 503 },
    });
    expect(serializeError(err)).toEqual({
      name: 'FirebreakError',
      code: 'upstream',
      message: 'deploy API failed',
      nonRetryable: true,
      details: { status: 503 },
      cause: { name: 'Error', code: 'error', message: 'connection reset', nonRetryable: false },
    });
  });

  test('a NonRetryableError thrown by a step stays non-retryable, with its cause', () => {
    const err = new NonRetryableError('service "ghost" does not exist', {
      cause: new ValidationError('unknown service'),
    });
    expect(serializeError(err)).toMatchObject({
      name: 'NonRetryableError',
      code: 'non_retryable',
      nonRetryable: true,
      cause: { name: 'ValidationError', code: 'validation', nonRetryable: true },
    });
  });

  test('retryable by default; a plain error may say nonRetryable itself', () => {
    expect(serializeError(new FirebreakError('x', 'flaky')).nonRetryable).toBe(false);
    expect(serializeError(new Error('flaky')).nonRetryable).toBe(false);
    const marked = Object.assign(new Error('bad request'), { nonRetryable: true });
    expect(serializeError(marked)).toEqual({
      name: 'Error',
      code: 'error',
      message: 'bad request',
      nonRetryable: true,
    });
  });

  test('a plain error keeps its cause, and a thrown non-error becomes a message', () => {
    const err = new TypeError('fetch failed', { cause: 'ECONNREFUSED' });
    expect(serializeError(err)).toEqual({
      name: 'TypeError',
      code: 'error',
      message: 'fetch failed',
      nonRetryable: false,
      cause: { name: 'Error', code: 'error', message: 'ECONNREFUSED', nonRetryable: false },
    });
    expect(serializeError(42)).toEqual({ name: 'Error', code: 'error', message: '42', nonRetryable: false });
  });

  test('an abort is coded as aborted', () => {
    const controller = new AbortController();
    controller.abort();
    expect(serializeError(controller.signal.reason)).toMatchObject({ name: 'AbortError', code: 'aborted' });
  });

  test('a long cause chain is cut after three causes', () => {
    let err: Error = new Error('root');
    for (let i = 1; i <= 5; i++) err = new FirebreakError('wrap', `wrap ${i}`, { cause: err });
    const depth = (e: { cause?: unknown } | undefined): number => (e?.cause ? 1 + depth(e.cause) : 0);
    expect(depth(serializeError(err))).toBe(3);
  });

  test('survives a JSON round trip, as it is stored', () => {
    const stored = serializeError(new StepTimeoutError('errorRatio', 30_000));
    expect(JSON.parse(JSON.stringify(stored))).toEqual(stored);
    expect(stored).toMatchObject({
      code: 'step_timeout',
      details: { step: 'errorRatio', timeoutMs: 30_000 },
    });
  });
});

describe('the error tree', () => {
  test('domain errors are FirebreakErrors named after their class', () => {
    const err = new LeaseLostError('run-1');
    expect(err).toBeInstanceOf(FirebreakError);
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'LeaseLostError', code: 'lease_lost', details: { runId: 'run-1' } });
  });

  test('nextRetryDelayMs is data on the error', () => {
    expect(
      new FirebreakError('rate_limited', 'slow down', { nextRetryDelayMs: 5_000 }).nextRetryDelayMs,
    ).toBe(5_000);
  });
});
