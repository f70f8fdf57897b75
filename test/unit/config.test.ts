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

  it('runs every role by default; TRIAGE_ROLES splits web and worker into separate processes', () => {
    expect(loadConfig({}).roles).toEqual(['web', 'worker', 'mail']);
    expect(loadConfig({ TRIAGE_ROLES: '' }).roles).toEqual(['web', 'worker', 'mail']);
    expect(loadConfig({ TRIAGE_ROLES: 'web' }).roles).toEqual(['web']);
    expect(loadConfig({ TRIAGE_ROLES: 'worker' }).roles).toEqual(['worker']);
    expect(loadConfig({ TRIAGE_ROLES: ' web , worker,web ' }).roles).toEqual(['web', 'worker']);
    expect(() => loadConfig({ TRIAGE_ROLES: ' , ' })).toThrow(/TRIAGE_ROLES/);
  });

  it('polls for due jobs every second by default; JOBS_POLL_SECONDS takes fractions down to 0.5', () => {
    expect(loadConfig({})).toMatchObject({ jobsPollSeconds: 1, testJobs: false });
    expect(loadConfig({ JOBS_POLL_SECONDS: '0.5' }).jobsPollSeconds).toBe(0.5);
    expect(() => loadConfig({ JOBS_POLL_SECONDS: '0.1' })).toThrow(/JOBS_POLL_SECONDS/);
    expect(() => loadConfig({ JOBS_POLL_SECONDS: 'often' })).toThrow(/JOBS_POLL_SECONDS/);
    expect(loadConfig({ TRIAGE_TEST_JOBS: '1' }).testJobs).toBe(true);
  });

  it('names the variable of a bad number', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ AUTH_CACHE_SECONDS: '-1' })).toThrow(/AUTH_CACHE_SECONDS/);
    expect(() => loadConfig({ TRIAGE_ROLES: 'web,chef' })).toThrow(/TRIAGE_ROLES/);
  });
});
