import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';

/** STATEGATE_METRICS_*: where the metrics port listens, when it is off, and how it is protected. */
const emptyDir = () => mkdtempSync(join(tmpdir(), 'stategate-metrics-config-'));
const load = (env: Record<string, string>) => loadConfig(env, emptyDir());

describe('the metrics port configuration', () => {
  it('defaults to the API port + 1 on loopback, without a token', () => {
    expect(load({}).metrics).toEqual({ port: 8081, host: '127.0.0.1', token: null });
    expect(load({ STATEGATE_PORT: '9000' }).metrics).toEqual({ port: 9001, host: '127.0.0.1', token: null });
  });

  it('stays on loopback with authentication on, even when the API listens everywhere', () => {
    const config = load({ STATEGATE_JWKS_URI: 'https://idp.example.com/jwks.json', STATEGATE_HOST: '0.0.0.0' });
    expect(config.host).toBe('0.0.0.0');
    expect(config.metrics?.host).toBe('127.0.0.1');
  });

  it('follows the API host when authentication is disabled', () => {
    expect(load({ STATEGATE_AUTH_DISABLED: 'true' }).metrics?.host).toBe('0.0.0.0');
    expect(load({ STATEGATE_AUTH_DISABLED: 'true', STATEGATE_HOST: '10.0.0.5' }).metrics?.host).toBe('10.0.0.5');
  });

  it('listens where STATEGATE_METRICS_HOST says', () => {
    const config = load({ STATEGATE_JWKS_URI: 'https://idp.example.com/jwks.json', STATEGATE_METRICS_HOST: '0.0.0.0' });
    expect(config.metrics?.host).toBe('0.0.0.0');
  });

  it('is off with STATEGATE_METRICS_PORT=0, and by default when the API port is ephemeral (0)', () => {
    expect(load({ STATEGATE_METRICS_PORT: '0' }).metrics).toBeNull();
    expect(load({ STATEGATE_PORT: '0' }).metrics).toBeNull();
    expect(load({ STATEGATE_PORT: '0', STATEGATE_METRICS_PORT: '9100' }).metrics?.port).toBe(9100);
  });

  it('keeps the token', () => {
    const token = 'a-long-enough-metrics-token';
    expect(load({ STATEGATE_METRICS_TOKEN: token }).metrics?.token).toBe(token);
  });

  it.each([
    [{ STATEGATE_METRICS_PORT: '8080' }, /STATEGATE_METRICS_PORT: must differ from STATEGATE_PORT/],
    [{ STATEGATE_PORT: '65535' }, /STATEGATE_METRICS_PORT: STATEGATE_PORT \+ 1 is no port/],
    [{ STATEGATE_METRICS_PORT: '70000' }, /STATEGATE_METRICS_PORT/],
    [{ STATEGATE_METRICS_HOST: ' ' }, /STATEGATE_METRICS_HOST/],
  ])('refuses %j', (env, message) => {
    expect(() => load(env)).toThrow(message);
  });

  it('refuses a short token without repeating it', () => {
    const token = 'short-secret';
    let message = '';
    try {
      load({ STATEGATE_METRICS_TOKEN: token });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/STATEGATE_METRICS_TOKEN: must be at least 16 characters/);
    expect(message).not.toContain(token);
  });
});
