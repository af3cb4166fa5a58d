/** REST error answers (src/transports/rest/status.ts): status, body and the headers that go with them. */
import { StategateError } from '../../src/core/errors.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { AuthenticationError } from '../../src/policy/auth-error.js';
import { errorAnswer, RestError } from '../../src/transports/rest/status.js';

const answer = (err: unknown) => errorAnswer(err, silentLogger, 'test');

describe('errorAnswer', () => {
  it('UNAUTHENTICATED is 401 with the bearer challenge (RFC 6750), invalid_token when a token was presented', () => {
    expect(answer(new AuthenticationError('missing bearer token', false))).toEqual({
      status: 401,
      body: { code: 16, message: 'missing bearer token', details: [] },
      headers: { 'www-authenticate': 'Bearer realm="stategate"' },
    });
    expect(answer(new AuthenticationError('token expired', true)).headers).toEqual({
      'www-authenticate': 'Bearer realm="stategate", error="invalid_token", error_description="token expired"',
    });
  });

  it.each([
    [1, '1'],
    [999, '1'],
    [1000, '1'],
    [1001, '2'],
    [2500, '3'],
    [0, '0'],
  ])('Retry-After of retryAfterMs %d is %s seconds (rounded up)', (ms, seconds) => {
    const err = new StategateError('RESOURCE_EXHAUSTED', 'rate limit exceeded', { retryAfterMs: ms });
    expect(answer(err)).toEqual({
      status: 429,
      body: { code: 8, message: 'rate limit exceeded', details: [] },
      headers: { 'retry-after': seconds },
    });
  });

  it('no Retry-After without a retry hint; a RestError keeps its own headers beside the new ones', () => {
    expect(answer(new StategateError('RESOURCE_EXHAUSTED', 'too many streams')).headers).toEqual({});
    expect(answer(new RestError('UNIMPLEMENTED', 'use GET', 405, { allow: 'GET' }))).toEqual({
      status: 405,
      body: { code: 12, message: 'use GET', details: [] },
      headers: { allow: 'GET' },
    });
  });

  it('anything unexpected is a masked 500 without headers', () => {
    expect(answer(new Error('secret detail'))).toEqual({
      status: 500,
      body: { code: 13, message: 'internal error', details: [] },
      headers: {},
    });
  });
});
