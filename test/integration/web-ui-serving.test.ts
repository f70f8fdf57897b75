import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { expectProblem } from '../helpers/problems.ts';
import { UI_CSP, WEB_DIST, webUiRoutes } from '../../src/http/routes/web-ui.ts';

// test/global-setup.ts builds web/dist when it is stale, so the real build is served here
describe('the web UI at / (web/dist)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  const get = (url: string) => t.request('GET', url, { as: null });

  it('serves index.html at / and at the client routes, never cached, under a self-only CSP', async () => {
    for (const url of ['/', '/tickets/1042', '/tickets/1042?x=1', '/views/my-open', '/portal/anything/deep']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBe(UI_CSP);
      expect(res.body).toContain('<div id="root"></div>');
    }
    expect(UI_CSP).toContain("script-src 'self'");
    expect(UI_CSP).not.toMatch(/unsafe|\*/);
  });

  it('serves hashed assets as immutable and other files as revalidated', async () => {
    const js = readdirSync(join(WEB_DIST, 'assets')).find((f) => f.endsWith('.js'))!;
    const asset = await get(`/assets/${js}`);
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await get('/favicon.svg');
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
    expect((await t.request('HEAD', '/', { as: null })).statusCode).toBe(200);
  });

  it('keeps 404 problems for unknown paths, missing assets and anything outside web/dist', async () => {
    expectProblem(await get('/nothing-here'), 404, 'route.not_found');
    expectProblem(await get('/assets/missing-0000.js'), 404, 'route.not_found');
    expectProblem(await get('/assets/../../package.json'), 404, 'route.not_found');
    expectProblem(await get('/assets/%2e%2e/%2e%2e/package.json'), 404, 'route.not_found');
  });

  it('leaves /api alone: unknown API paths are still 401 without credentials and 404 with them', async () => {
    expectProblem(await get('/api/v1/nothing-here'), 401, 'auth.required');
    expectProblem(await t.request('GET', '/api/v1/nothing-here'), 404, 'route.not_found');
    expectProblem(await get('/api/nothing'), 404, 'route.not_found');
    expectProblem(await get('/api'), 404, 'route.not_found');
    expect((await get('/api/v1/openapi.json')).headers['content-type']).toMatch(/^application\/json/);
  });

  it('says how to build the UI when web/dist is missing, and still 404s the rest', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'triage-nodist-'));
    const app = Fastify();
    app.setNotFoundHandler((_req, reply) => reply.code(404).send({ code: 'route.not_found' }));
    await app.register(webUiRoutes, { distDir: empty });
    const root = await app.inject('/');
    expect(root.statusCode).toBe(503);
    expect(root.body).toContain('npm run build:web');
    expect((await app.inject('/nothing')).statusCode).toBe(404);
    await app.close();
    rmSync(empty, { recursive: true, force: true });
  });

  it('serves a file of its dist folder only from inside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'triage-dist-'));
    const dist = join(root, 'dist');
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), '<p>ui</p>');
    writeFileSync(join(root, 'secret.txt'), 'TOP-SECRET-CONTENT');
    const app = Fastify();
    await app.register(webUiRoutes, { distDir: dist + '/' });
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/tickets/..%2f..%2fsecret.txt']) {
      expect((await app.inject(url)).body, url).not.toContain('TOP-SECRET');
    }
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });
});
