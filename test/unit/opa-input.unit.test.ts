import fc from 'fast-check';
import type { PolicyInput } from '../../src/core/ports/access.js';
import { policyInputJson } from '../../src/policy/opa-input.js';

/** The JSON a policy sees: core's bigint, Date and byte values made JSON, the credential left out. */

const base: PolicyInput = {
  method: '/stategate.EventService/Search',
  claims: { sub: 'alice', exp: 1_900_000_000 },
  metadata: { 'x-tenant': 'a', authorization: 'Bearer eyJhbGciOi.secret.sig' },
  body: {},
  transport: 'grpc',
};

describe('policyInputJson', () => {
  it('writes 64-bit nanosecond times (bigint) as exact decimal strings, numbers as numbers', () => {
    const time = 1_700_000_000_123_456_789n; // beyond 2^53: a JSON number would round it
    const json = policyInputJson({
      ...base,
      body: { domain: 'd', min: 0n, max: time, limit: 10 },
      response: { entity: { version: 3 }, time, position: 7 },
    });
    expect(JSON.parse(json)).toMatchObject({
      body: { domain: 'd', min: '0', max: '1700000000123456789', limit: 10 },
      response: { entity: { version: 3 }, time: '1700000000123456789', position: 7 },
    });
  });

  it('writes Dates as RFC 3339 strings and bytes (Uint8Array or Buffer) as base64', () => {
    const json = policyInputJson({
      ...base,
      body: { exp: new Date('2030-01-02T03:04:05.678Z'), raw: new Uint8Array([1, 2, 255]) },
      response: { buf: Buffer.from('hi'), view: new Uint8Array([9, 8, 7, 6]).subarray(1, 3) },
    });
    expect(JSON.parse(json)).toMatchObject({
      body: { exp: '2030-01-02T03:04:05.678Z', raw: 'AQL/' },
      response: { buf: 'aGk=', view: 'CAc=' },
    });
  });

  it('leaves out the raw authorization header but keeps every other header and the claims', () => {
    const parsed = JSON.parse(policyInputJson(base));
    expect(parsed.metadata).toEqual({ 'x-tenant': 'a' });
    expect(parsed.claims).toEqual({ sub: 'alice', exp: 1_900_000_000 });
    expect(JSON.stringify(parsed)).not.toContain('secret');
    expect(parsed).toMatchObject({ method: base.method, transport: 'grpc', body: {} });
    expect('response' in parsed).toBe(false);
  });

  it('leaves out undefined fields, as the transports do', () => {
    const parsed = JSON.parse(policyInputJson({ ...base, body: { domain: 'd', key: undefined } }));
    expect(parsed.body).toEqual({ domain: 'd' });
  });

  it('always answers parseable JSON for any mix of JSON values, bigints and bytes', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.bigInt(), fc.uint8Array({ maxLength: 8 })),
      node: fc.oneof(
        { depthSize: 'small' },
        tie('leaf'),
        fc.array(tie('node'), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
      ),
    })).node;
    fc.assert(
      fc.property(value, (body) => {
        const parsed = JSON.parse(policyInputJson({ ...base, body }));
        expect(parsed.method).toBe(base.method);
        expect(JSON.stringify(parsed)).not.toMatch(/"type":"Buffer"/);
      }),
    );
  });
});
