import { type CorsConfig, type CorsRequest, corsAnswer, PROTOCOL_HEADERS } from '../../src/server/http/cors.js';

const APP = 'https://app.example.com';

function config(overrides: Partial<CorsConfig> = {}): CorsConfig {
  return {
    origins: [APP, 'http://localhost:3000'],
    methods: ['POST', 'GET'],
    headers: ['authorization', 'content-type'],
    credentials: false,
    maxAgeSeconds: 600,
    ...overrides,
  };
}

const get = (origin: string | undefined): CorsRequest => ({
  method: 'GET',
  origin,
  requestMethod: undefined,
  requestHeaders: undefined,
});
const preflight = (origin: string, requestHeaders = 'authorization, content-type'): CorsRequest => ({
  method: 'OPTIONS',
  origin,
  requestMethod: 'POST',
  requestHeaders,
});

describe('corsAnswer: which origins get cross-origin access', () => {
  it('by default (no origin configured) gives no origin access, and nothing varies by Origin', () => {
    const closed = config({ origins: [] });
    for (const origin of [APP, 'https://evil.example', 'null', undefined]) {
      expect(corsAnswer(closed, get(origin)).headers).toEqual({});
    }
    expect(corsAnswer(closed, preflight('https://evil.example'))).toEqual({ preflight: true, headers: {} });
  });

  it('echoes a listed origin exactly, with Vary: Origin and the exposed status headers', () => {
    expect(corsAnswer(config(), get(APP))).toEqual({
      preflight: false,
      headers: {
        'access-control-allow-origin': APP,
        'access-control-expose-headers':
          'grpc-status, grpc-message, grpc-status-details-bin, retry-after, www-authenticate',
        vary: 'origin',
      },
    });
    expect(corsAnswer(config(), get('http://localhost:3000')).headers['access-control-allow-origin']).toBe(
      'http://localhost:3000',
    );
  });

  it.each([
    ['null', 'null'],
    ['a suffix look-alike', 'https://app.example.com.evil.example'],
    ['a prefix look-alike', 'https://evil-app.example.com'],
    ['a subdomain', 'https://www.app.example.com'],
    ['another scheme', 'http://app.example.com'],
    ['another port', 'https://app.example.com:8443'],
    ['the default port spelled out', 'https://app.example.com:443'],
    ['a trailing slash', 'https://app.example.com/'],
    ['a path', 'https://app.example.com/x'],
    ['other case', 'https://APP.example.com'],
    ['upper-case scheme', 'HTTPS://app.example.com'],
    ['two origins joined', `${APP}, https://evil.example`],
    ['userinfo', 'https://app.example.com@evil.example'],
    ['whitespace', ` ${APP}`],
    ['an empty origin', ''],
  ])('never matches %s (%s) against a configured list, but still says Vary: Origin', (_name, origin) => {
    expect(corsAnswer(config(), get(origin)).headers).toEqual({ vary: 'origin' });
    expect(corsAnswer(config(), preflight(origin))).toEqual({ preflight: true, headers: { vary: 'origin' } });
  });

  it('with * answers the literal * for any origin (null too), never echoing it, with no Vary', () => {
    for (const origin of [APP, 'https://evil.example', 'null']) {
      const { headers } = corsAnswer(config({ origins: ['*'] }), get(origin));
      expect(headers['access-control-allow-origin']).toBe('*');
      expect(headers.vary).toBeUndefined();
      expect(headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('sends Allow-Credentials only when configured, and only to an allowed origin', () => {
    expect(corsAnswer(config(), get(APP)).headers['access-control-allow-credentials']).toBeUndefined();
    const withCredentials = config({ credentials: true });
    expect(corsAnswer(withCredentials, get(APP)).headers['access-control-allow-credentials']).toBe('true');
    expect(corsAnswer(withCredentials, preflight(APP)).headers['access-control-allow-credentials']).toBe('true');
    expect(corsAnswer(withCredentials, get('https://evil.example')).headers).toEqual({ vary: 'origin' });
  });

  it('gives no CORS header to a request without Origin (same-origin or not a browser)', () => {
    expect(corsAnswer(config(), get(undefined)).headers).toEqual({ vary: 'origin' });
  });
});

describe('corsAnswer: preflights', () => {
  it('answers an allowed preflight with methods, headers (the protocol headers always among them) and max-age', () => {
    const { preflight: isPreflight, headers } = corsAnswer(config(), preflight(APP));
    expect(isPreflight).toBe(true);
    expect(headers['access-control-allow-origin']).toBe(APP);
    expect(headers['access-control-allow-methods']).toBe('POST, GET');
    expect(headers['access-control-allow-headers']?.split(', ')).toEqual([
      'authorization',
      'content-type',
      ...PROTOCOL_HEADERS.filter((h) => h !== 'content-type'),
    ]);
    expect(headers['access-control-max-age']).toBe('600');
    expect(headers['access-control-expose-headers']).toBeUndefined();
  });

  it('always allows the Connect and gRPC-Web protocol headers, even when the list names none', () => {
    const { headers } = corsAnswer(config({ headers: [] }), preflight(APP, 'connect-protocol-version, x-grpc-web'));
    for (const name of ['connect-protocol-version', 'connect-timeout-ms', 'grpc-timeout', 'x-grpc-web', 'x-user-agent'])
      expect(headers['access-control-allow-headers']).toContain(name);
  });

  it('with headers * echoes what the browser asks for (a literal * would not cover Authorization)', () => {
    const { headers } = corsAnswer(config({ headers: ['*'] }), preflight(APP, 'authorization,x-custom'));
    expect(headers['access-control-allow-headers']).toBe('authorization,x-custom');
    expect(headers.vary).toBe('origin, access-control-request-headers');
  });

  it('is only an OPTIONS request with Origin and Access-Control-Request-Method', () => {
    expect(corsAnswer(config(), { ...preflight(APP), method: 'POST' }).preflight).toBe(false);
    expect(corsAnswer(config(), { ...preflight(APP), requestMethod: undefined }).preflight).toBe(false);
    expect(corsAnswer(config(), { ...get(undefined), method: 'OPTIONS', requestMethod: 'POST' }).preflight).toBe(false);
  });
});
