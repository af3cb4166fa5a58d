/**
 * Admission control of core (src/core/admission.ts): the token bucket per principal, the in-flight bound
 * and the streams-per-principal bound, on a clock the test moves.
 */
import { Admission } from '../../src/core/admission.js';
import { StategateError } from '../../src/core/errors.js';

const limits = { rateLimitRps: 10, rateLimitBurst: 3, maxInFlight: 2, streamsPerPrincipal: 2 };

function refusal(fn: () => unknown): StategateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StategateError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('rate limit', () => {
  it('lets a burst through, then refuses with RESOURCE_EXHAUSTED and a retry hint, then refills at the rate', () => {
    let now = 1_000_000;
    const admission = new Admission(limits, () => now);
    for (let i = 0; i < 3; i++) admission.charge('sub:alice');
    const err = refusal(() => admission.charge('sub:alice'));
    expect(err.code).toBe('RESOURCE_EXHAUSTED');
    expect(err.retryAfterMs).toBe(100);
    now += 100;
    admission.charge('sub:alice');
    expect(() => admission.charge('sub:alice')).toThrow(StategateError);
  });

  it('keeps one bucket per principal', () => {
    const admission = new Admission(limits, () => 0);
    for (let i = 0; i < 3; i++) admission.charge('sub:alice');
    expect(() => admission.charge('sub:alice')).toThrow(StategateError);
    expect(() => admission.charge('sub:bob')).not.toThrow();
    expect(() => admission.charge('ip:127.0.0.1')).not.toThrow();
  });

  it('never refuses when the rate is 0 (off)', () => {
    const admission = new Admission({ ...limits, rateLimitRps: 0 }, () => 0);
    for (let i = 0; i < 10_000; i++) admission.charge('sub:alice');
  });

  it('names the principal by sub, else by the peer address', () => {
    expect(Admission.principal({ transport: 'rest', metadata: {}, peer: '10.0.0.1' }, { sub: 'alice' })).toBe(
      'sub:alice',
    );
    expect(Admission.principal({ transport: 'rest', metadata: {}, peer: '10.0.0.1' }, {})).toBe('ip:10.0.0.1');
    expect(Admission.principal({ transport: 'rest', metadata: {}, peer: '10.0.0.1' }, { sub: 7 })).toBe('ip:10.0.0.1');
  });
});

describe('in-flight bound', () => {
  it('sheds calls past the bound at once, and admits again when one finishes', async () => {
    const admission = new Admission(limits);
    const gates: Array<() => void> = [];
    const held = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));
    const first = admission.inFlightCall(held);
    const second = admission.inFlightCall(held);
    await expect(admission.inFlightCall(held)).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
      retryAfterMs: 1000,
    });
    expect(admission.stats.inFlight).toBe(2);
    gates.shift()?.();
    await expect(first).resolves.toBe('done');
    const third = admission.inFlightCall(held);
    for (const open of gates.splice(0)) open();
    await expect(Promise.all([second, third])).resolves.toEqual(['done', 'done']);
    expect(admission.stats.inFlight).toBe(0);
  });

  it('frees the slot of a call that fails', async () => {
    const admission = new Admission({ ...limits, maxInFlight: 1 });
    await expect(admission.inFlightCall(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(admission.inFlightCall(async () => 1)).resolves.toBe(1);
  });
});

describe('streams per principal', () => {
  it('refuses a stream past the bound until one is released; a release counts once', () => {
    const admission = new Admission(limits);
    const a = admission.openStream('sub:alice');
    admission.openStream('sub:alice');
    expect(refusal(() => admission.openStream('sub:alice')).code).toBe('RESOURCE_EXHAUSTED');
    admission.openStream('sub:bob');
    a();
    a();
    admission.openStream('sub:alice');
    expect(() => admission.openStream('sub:alice')).toThrow(StategateError);
  });
});
