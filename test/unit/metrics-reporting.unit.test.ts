import { authFailureReason } from '../../src/core/auth-failure.js';
import { StategateError } from '../../src/core/errors.js';
import { Outbox } from '../../src/core/stream/outbox.js';
import { bearerToken } from '../../src/policy/bearer.js';
import { createBearerCheck } from '../../src/server/metrics/bearer-check.js';

/** The pieces metrics are made of: reason labels, the metrics-port token check, and the outbox's reports. */
describe('authFailureReason', () => {
  const refusal = (authorization: string | undefined) => {
    try {
      bearerToken(authorization, 8192);
    } catch (err) {
      return err;
    }
    throw new Error('expected a refusal');
  };

  it('names the refusals of the bearer parser', () => {
    expect(authFailureReason(refusal(undefined))).toBe('missing');
    expect(authFailureReason(refusal('Bearer'))).toBe('missing');
    expect(authFailureReason(refusal('Basic abc'))).toBe('malformed');
    expect(authFailureReason(refusal('Bearer not-a-jwt'))).toBe('malformed');
    expect(authFailureReason(refusal(`Bearer ${'a'.repeat(9000)}`))).toBe('too_large');
  });

  it.each([
    ['token expired', 'expired'],
    ['signature invalid', 'invalid_signature'],
    ['unknown signing key', 'unknown_key'],
    ['ambiguous signing key: the token needs a kid', 'unknown_key'],
    ['signing keys unavailable: retry later', 'jwks_unavailable'],
    ['token issuer not accepted', 'claims'],
    ['token audience not accepted', 'claims'],
    ['token not yet valid', 'claims'],
    ['token has no sub claim', 'claims'],
    ['token malformed', 'malformed'],
    ['token uses an unsupported algorithm or header', 'malformed'],
    ['token could not be verified', 'invalid'],
    ['signing algorithm not accepted', 'invalid'],
  ])('names the JWT refusal "%s" %s', (message, reason) => {
    expect(authFailureReason(new StategateError('UNAUTHENTICATED', message))).toBe(reason);
  });
});

describe('createBearerCheck', () => {
  const check = createBearerCheck('the-metrics-token-123');

  it('accepts exactly Bearer <token>', () => {
    expect(check('Bearer the-metrics-token-123')).toBe(true);
    expect(check('bearer the-metrics-token-123')).toBe(true);
  });

  it.each([
    undefined,
    '',
    'Bearer',
    'Bearer ',
    'Bearer the-metrics-token-12',
    'Bearer the-metrics-token-1234',
    'Basic the-metrics-token-123',
    'the-metrics-token-123',
    'Bearer the-metrics-token-123 extra',
  ])('refuses %j', (authorization) => {
    expect(check(authorization)).toBe(false);
  });
});

describe('Outbox reports', () => {
  const observed = () => {
    const seen = { delivered: 0, cutOff: 0, dropped: 0 };
    return {
      seen,
      observer: {
        delivered: () => seen.delivered++,
        cutOff: () => seen.cutOff++,
        dropped: (n: number) => {
          seen.dropped += n;
        },
      },
    };
  };

  it('counts items the reader took, whether waiting or buffered', async () => {
    const { seen, observer } = observed();
    const outbox = new Outbox<number>(4, () => {}, observer);
    const it = outbox[Symbol.asyncIterator]();
    const waiting = it.next();
    outbox.offer(1); // straight to the waiting reader
    outbox.offer(2); // buffered
    await expect(waiting).resolves.toEqual({ value: 1, done: false });
    await expect(it.next()).resolves.toEqual({ value: 2, done: false });
    expect(seen).toEqual({ delivered: 2, cutOff: 0, dropped: 0 });
  });

  it('reports a slow subscriber cut off, with its buffer and the overflowing item as drops', async () => {
    const { seen, observer } = observed();
    const outbox = new Outbox<number>(2, () => {}, observer);
    expect([outbox.offer(1), outbox.offer(2), outbox.offer(3)]).toEqual([true, true, false]);
    expect(seen).toEqual({ delivered: 0, cutOff: 1, dropped: 3 });
    await expect(outbox[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'RESOURCE_EXHAUSTED' });
  });

  it('reports buffered items discarded when the stream ends', () => {
    const { seen, observer } = observed();
    const outbox = new Outbox<number>(8, () => {}, observer);
    outbox.offer(1);
    outbox.offer(2);
    outbox.close();
    expect(seen).toEqual({ delivered: 0, cutOff: 0, dropped: 2 });
    outbox.close();
    expect(seen.dropped).toBe(2);
  });
});
