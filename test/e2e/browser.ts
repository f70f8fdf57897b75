/**
 * End-to-end harness: a real `triage start` (test/helpers/triage-process.ts) on a fresh
 * database — PGlite in a temporary DATA_DIR, or a new database on TEST_DATABASE_URL — and
 * Debian's Chromium driven by playwright-core. Screenshots go to test-output/e2e/ (gitignored).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Client, startTriage, type TriageProcess } from '../helpers/triage-process.ts';
import { createServerDatabase, TEST_DATABASE_URL } from '../helpers/db.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/e2e/', import.meta.url));
export const ADMIN = { email: 'ada@e2e.test', password: 'e2e-admin-password' };

export interface E2eServer {
  triage: TriageProcess;
  url: string;
  /** the admin's API client (Bearer token) for arranging data */
  api: Client;
  close(): Promise<void>;
}

/** Starts Triage on a fresh database with an admin; `env` adds settings (SMTP_PORT …). */
export async function startE2eServer(env: Record<string, string> = {}): Promise<E2eServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'triage-e2e-'));
  const server = TEST_DATABASE_URL ? await createServerDatabase('triage_e2e') : undefined;
  const triage = await startTriage({
    DATA_DIR: dataDir, ...(server ? { DATABASE_URL: server.url } : {}),
    ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password, ROUTING_SWEEP_SECONDS: '0', ...env,
  });
  const api = new Client(triage.url);
  const login = await api.signIn(ADMIN.email, ADMIN.password);
  if (login.status !== 200) throw new Error(`admin sign-in: ${login.status}`);
  return {
    triage, url: triage.url, api,
    async close() {
      await triage.stop();
      await server?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Chromium, headless, without the background traffic this network refuses. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A browser session (own cookies) at 1280×800 whose page collects dialogs and page errors. */
export async function newSession(browser: Browser): Promise<{ context: BrowserContext; page: Page; dialogs: string[]; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  const dialogs: string[] = [];
  const errors: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(`${d.type()}: ${d.message()}`);
    void d.dismiss();
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, dialogs, errors };
}

/** Signs in through the UI's form and waits for the ticket list. */
export async function signIn(page: Page, url: string, who: { email: string; password: string }): Promise<void> {
  await page.goto(url);
  await page.getByLabel('E-mail').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('searchbox', { name: 'Search tickets' }).waitFor();
}

/** Saves a full-page screenshot as test-output/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}${TEST_DATABASE_URL ? '-postgres' : '-pglite'}.png`), fullPage: true });
}

/** Creates an agent (admin API) who can sign in with the password. */
export async function createAgent(api: Client, o: { name: string; email: string; password: string; role?: string; status?: string }) {
  const res = await api.request('POST', '/api/v1/agents', { role: 'agent', status: 'online', ...o });
  if (res.status !== 201) throw new Error(`POST /agents: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; name: string };
}

/** Opens a ticket through the API. */
export async function createTicket(api: Client, over: Record<string, unknown> = {}) {
  const res = await api.request('POST', '/api/v1/tickets', {
    subject: 'Cannot log in', description: 'The login page says my password is wrong.',
    requester: { name: 'Ann Customer', email: `ann-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}@example.com` },
    category: 'account', source: 'web', ...over,
  });
  if (res.status !== 201) throw new Error(`POST /tickets: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { id: string; number: number; version: number; subject: string };
}
