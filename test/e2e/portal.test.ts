/**
 * The customer portal in a real Chromium against a real `triage start`, at phone width
 * (375×740) and on a desktop (1280×800): the requester asks for a sign-in link, opens it from
 * the e-mail the server sent (captured by a real SMTP server on loopback), sees their ticket
 * and the agent's public reply but not the internal note, replies with a file that the agent
 * API then shows; and the web form, signed out, opens a ticket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simpleParser } from 'mailparser';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createTicket, launchBrowser, screenshot, startE2eServer, type E2eServer } from './browser.ts';
import { startSmtpCapture, type SmtpCapture } from '../helpers/smtp-capture.ts';

const VIEWPORTS = [
  { name: 'phone', width: 375, height: 740 },
  { name: 'desktop', width: 1280, height: 800 },
] as const;

// Page functions run in the browser; typed over `any`, this file keeps to Node's types (no DOM lib).
const pageWidth = (page: Page) => page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);

describe('customer portal (Chromium)', () => {
  let server: E2eServer;
  let browser: Browser;
  let capture: SmtpCapture;

  beforeAll(async () => {
    capture = await startSmtpCapture();
    [server, browser] = await Promise.all([startE2eServer({ SMTP_OUTBOUND_URL: capture.url }), launchBrowser()]);
    const mailbox = await server.api.request('POST', '/api/v1/mailboxes', { name: 'Acme support', address: 'support@acme.test', inbound: { type: 'smtp' } });
    expect(mailbox.status, JSON.stringify(mailbox.body)).toBe(201);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await capture?.close();
  });

  async function newContext(v: (typeof VIEWPORTS)[number]): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: v.width, height: v.height } });
    context.setDefaultTimeout(15_000);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    return { context, page, errors };
  }

  /** The sign-in link of the newest message the server sent to `email`. */
  async function linkFor(email: string): Promise<string> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      for (const m of [...capture.messages].reverse()) {
        if (!m.envelope.to.includes(email)) continue;
        const link = /https?:\/\/\S+\/portal\/sign-in\?token=[A-Za-z0-9_-]+(&next=\S+)?/.exec((await simpleParser(m.raw)).text ?? '')?.[0];
        if (link) return link;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`no sign-in link was mailed to ${email}`);
  }

  for (const v of VIEWPORTS) {
    it(`${v.name}: the requester signs in by the e-mailed link, sees the public reply but not the internal note, and replies with a file`, async () => {
      const email = `ann-${v.name}-${Date.now().toString(36)}@customer.test`;
      const ticket = await createTicket(server.api, { subject: `Printer offline (${v.name})`, requester: { name: 'Ann Customer', email } });
      const reply = await server.api.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { content: 'We replaced the toner cartridge; please try again.' });
      expect(reply.status).toBe(201);
      const note = await server.api.request('POST', `/api/v1/tickets/${ticket.id}/comments`, { content: 'INTERNAL zebracorn: customer broke it twice', isInternal: true });
      expect(note.status).toBe(201);

      const { context, page, errors } = await newContext(v);
      // on the phone the requester starts at the portal; on the desktop at the ticket's own page (a link from an e-mail)
      const start = v.name === 'phone' ? '/portal' : `/portal/tickets/${ticket.number}`;
      await page.goto(`${server.url}${start}`);
      await page.getByLabel('E-mail').fill(email);
      await page.getByRole('button', { name: 'Send me a sign-in link' }).click();
      await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
      await screenshot(page, `portal-check-inbox-${v.name}`);

      const link = await linkFor(email);
      await page.goto(link);
      if (v.name === 'phone') {
        await page.locator(`li[data-ticket="${ticket.number}"]`).waitFor();
        await screenshot(page, `portal-list-${v.name}`);
        await page.locator(`li[data-ticket="${ticket.number}"] a`).click();
      }
      await page.getByRole('heading', { name: ticket.subject }).waitFor();
      // the token left the address bar; the link led back where the requester started
      expect(page.url()).toBe(`${server.url}/portal/tickets/${ticket.number}`);
      await page.getByText('We replaced the toner cartridge; please try again.').waitFor();
      const text = await page.locator('body').innerText();
      expect(text).not.toContain('zebracorn');
      expect(text).not.toContain('customer broke it twice');
      expect(await page.content()).not.toContain('zebracorn');
      expect(await pageWidth(page)).toBeLessThanOrEqual(v.width);
      await screenshot(page, `portal-ticket-${v.name}`);

      await page.getByLabel('Your reply').fill(`Still offline from the ${v.name}, log attached.`);
      await page.getByLabel('Attach files').setInputFiles({ name: 'printer-log.txt', mimeType: 'text/plain', buffer: Buffer.from('E-42 paper path') });
      await page.getByRole('button', { name: 'Send reply' }).click();
      await page.locator('.portal-message-requester', { hasText: `Still offline from the ${v.name}` }).getByRole('link', { name: 'printer-log.txt' }).waitFor();
      await screenshot(page, `portal-replied-${v.name}`);

      const seen = (await server.api.request('GET', `/api/v1/tickets/${ticket.id}`)).body;
      const last = seen.comments.at(-1);
      expect(last).toMatchObject({ content: `Still offline from the ${v.name}, log attached.`, isInternal: false, author: { type: 'requester' } });
      expect(last.attachments.map((a: { fileName: string }) => a.fileName)).toEqual(['printer-log.txt']);
      expect(errors).toEqual([]);
      await context.close();

      // the link worked once: opened again (another browser), it is refused, with the way to a new one
      const again = await newContext(v);
      await again.page.goto(link);
      await again.page.getByRole('heading', { name: 'This link does not work' }).waitFor();
      expect(await again.page.getByRole('alert').innerText()).toContain('used already');
      await again.page.getByRole('link', { name: 'Ask for a new link' }).click();
      await again.page.getByRole('button', { name: 'Send me a sign-in link' }).waitFor();
      await again.context.close();
    });

    it(`${v.name}: the web form opens a ticket without an account`, async () => {
      const { context, page, errors } = await newContext(v);
      await page.goto(`${server.url}/portal/new`);
      const subject = `Order never arrived (${v.name})`;
      const email = `dee-${v.name}-${Date.now().toString(36)}@visitor.test`;
      await page.getByLabel('Your name').fill('Dee Visitor');
      await page.getByLabel('E-mail').fill(email);
      await page.getByLabel('Subject').fill(subject);
      await page.getByLabel('How can we help?').fill('I ordered a chair two weeks ago.');
      expect(await pageWidth(page)).toBeLessThanOrEqual(v.width);
      await screenshot(page, `portal-new-request-${v.name}`);
      // people take a few seconds to fill a form; the server refuses one sent faster
      await page.waitForTimeout(3_200);
      await page.getByRole('button', { name: 'Send request' }).click();
      const status = page.getByRole('status');
      await status.waitFor();
      const number = /#(\d+)/.exec(await status.innerText())?.[1];
      expect(number).toBeDefined();
      await screenshot(page, `portal-request-sent-${v.name}`);

      const tk = (await server.api.request('GET', `/api/v1/tickets/${number}`)).body;
      expect(tk).toMatchObject({ subject, source: 'web', channel: 'portal', requester: { email, name: 'Dee Visitor' } });
      expect(errors).toEqual([]);
      await context.close();
    });
  }
});
