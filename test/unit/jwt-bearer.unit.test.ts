/**
 * The bearer-token parser in front of JWT verification (src/policy/bearer.ts) and the challenge HTTP
 * transports send with UNAUTHENTICATED (src/policy/auth-error.ts).
 */
import { StategateError } from '../../src/core/errors.js';
import { AuthenticationError, bearerChallenge } from '../../src/policy/auth-error.js';
import { bearerToken } from '../../src/policy/bearer.js';

const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln';

function refusal(authorization: string | undefined, max = 2048): AuthenticationError {
  try {
    bearerToken(authorization, max);
  } catch (err) {
    expect(err).toBeInstanceOf(AuthenticationError);
    expect((err as AuthenticationError).code).toBe('UNAUTHENTICATED');
    return err as AuthenticationError;
  }
  throw new Error(`accepted ${authorization}`);
}

describe('bearerToken', () => {
  it.each([[`Bearer ${JWT}`], [`bearer ${JWT}`], [`BEARER   ${JWT}`], [`  Bearer ${JWT}  `]])(
    'takes the JWT of %j',
    (header) => {
      expect(bearerToken(header, 2048)).toBe(JWT);
    },
  );

  it.each<[string | undefined, RegExp, boolean]>([
    [undefined, /^missing bearer token/, false],
    ['', /^missing bearer token/, false],
    ['   ', /^missing bearer token/, false],
    ['Basic dXNlcjpwYXNz', /^unsupported authorization scheme/, true],
    ['Bearer', /^missing bearer token after Bearer$/, true],
    ['Bearer    ', /^missing bearer token after Bearer$/, true],
    [JWT, /^unsupported authorization scheme/, true],
    ['Bearerxyz', /^unsupported authorization scheme/, true],
    [`Bearer ${JWT} extra`, /^bearer token malformed$/, true],
    [`Bearer ${JWT}, Bearer ${JWT}`, /^bearer token malformed$/, true],
    ['Bearer not a jwt', /^bearer token malformed$/, true],
    ['Bearer garbage!!', /^bearer token malformed$/, true],
    ['Bearer abc.def', /^bearer token malformed: not a JWT$/, true],
    ['Bearer a.b.c.d', /^bearer token malformed: not a JWT$/, true],
    ['Bearer ..', /^bearer token malformed: not a JWT$/, true],
    ['Bearer a/b.c+d.e', /^bearer token malformed: not a JWT$/, true],
  ])('refuses %j: %s', (header, message, presented) => {
    const err = refusal(header);
    expect(err.message).toMatch(message);
    expect(err.tokenPresented).toBe(presented);
  });

  it('refuses a token over the cap by its size, before looking at it, and never echoes it', () => {
    const big = `Bearer ${'a'.repeat(300)}.${'b'.repeat(300)}.${'c'.repeat(300)}`;
    const err = refusal(big, 512);
    expect(err.message).toBe('bearer token too large (at most 512 bytes)');
    // A megabyte of anything is refused by length alone.
    expect(refusal(`Basic ${'x'.repeat(1_000_000)}`, 512).message).toMatch(/too large/);
    // Exactly at the cap is fine.
    const exact = `${'a'.repeat(100)}.${'b'.repeat(100)}.${'c'.repeat(510 - 200)}`;
    expect(Buffer.byteLength(exact)).toBe(512);
    expect(bearerToken(`Bearer ${exact}`, 512)).toBe(exact);
  });

  it('never puts the presented value in its message', () => {
    for (const header of ['Basic c2VjcmV0LXBhc3N3b3Jk', 'Bearer s3cr3t-t0ken!', 'Bearer s3cr3t.t0ken']) {
      expect(refusal(header).message).not.toMatch(/s3cr3t|c2VjcmV0/);
    }
  });
});

describe('bearerChallenge', () => {
  it('is the bare Bearer challenge when no credentials were presented', () => {
    expect(bearerChallenge(new AuthenticationError('missing bearer token', false))).toBe('Bearer realm="stategate"');
  });

  it('adds error="invalid_token" and the description when a token was refused', () => {
    expect(bearerChallenge(new AuthenticationError('token expired', true))).toBe(
      'Bearer realm="stategate", error="invalid_token", error_description="token expired"',
    );
  });

  it('treats any other UNAUTHENTICATED (e.g. a stream whose token expired) as a refused token', () => {
    expect(bearerChallenge(new StategateError('UNAUTHENTICATED', 'token expired: reconnect'))).toBe(
      'Bearer realm="stategate", error="invalid_token", error_description="token expired: reconnect"',
    );
  });

  it('keeps the description inside RFC 6750 characters (no quote, backslash or non-ASCII)', () => {
    expect(bearerChallenge(new AuthenticationError('bad "x" \\ é\n', true))).toBe(
      'Bearer realm="stategate", error="invalid_token", error_description="bad x  "',
    );
  });
});
