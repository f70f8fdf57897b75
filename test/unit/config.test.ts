import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/platform/config.ts';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ port: 3000, dataDir: resolve('./data'), trustProxy: false, logLevel: 'info', authCacheSeconds: 5, loginRateLimit: 10 });
    expect(c.databaseUrl).toBeUndefined();
  });

  it('treats empty variables as unset, not as the current folder or a silent log level', () => {
    expect(loadConfig({ DATA_DIR: '', LOG_LEVEL: '', HOST: '', TRUST_PROXY: '' })).toMatchObject({
      dataDir: resolve('./data'), logLevel: 'info', host: '0.0.0.0', trustProxy: false,
    });
  });

  it('reads TRUST_PROXY as yes/no words, or as the proxies’ addresses', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'FALSE' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: 'no' }).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: ' 10.0.0.1, 10.0.0.2 ' }).trustProxy).toBe('10.0.0.1, 10.0.0.2');
  });

  it('names the variable of a bad number', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ AUTH_CACHE_SECONDS: '-1' })).toThrow(/AUTH_CACHE_SECONDS/);
    expect(() => loadConfig({ TRIAGE_ROLES: 'web,chef' })).toThrow(/TRIAGE_ROLES/);
  });
});
