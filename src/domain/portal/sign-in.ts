/**
 * Portal sign-in by a one-time link e-mailed to the requester (no passwords for customers).
 *
 * The web process only records that a link was requested and enqueues `portal.sign_in_mail`
 * in the same transaction; the job makes the token, stores its SHA-256 and e-mails the link.
 * So the answer is the same (202) and takes the same path whether or not the address is
 * known, and the token is written nowhere in clear — not even in the job's payload.
 */
import type { Ctx } from '../context.ts';
import { AppError } from '../errors.ts';
import { digest, newSecret } from '../auth/secrets.ts';
import { findRequesterByEmail } from '../../db/repositories/people.ts';
import { hitRateLimit } from '../../db/repositories/auth.ts';
import {
  deletePortalSession, insertPortalSession, insertSignInLink, issueSignInLink, redeemSignInLink, unissueSignInLink,
} from '../../db/repositories/portal.ts';
import { listMailboxes, type MailboxRow } from '../../db/repositories/email.ts';

export const PORTAL_SESSION_COOKIE = 'triage_portal_session';
export const SIGN_IN_MAIL_JOB = 'portal.sign_in_mail';
/** How long an e-mailed link may be used (once). */
export const SIGN_IN_LINK_TTL_MS = 15 * 60_000;
/** Links per address in SIGN_IN_ADDRESS_WINDOW_MS, known address or not (more: 429). */
export const SIGN_IN_PER_ADDRESS = 5;
export const SIGN_IN_ADDRESS_WINDOW_MS = 15 * 60_000;

const linkRefused = {
  unknown: 'This sign-in link is not valid. Ask for a new one.',
  used: 'This sign-in link was used already. Ask for a new one.',
  expired: 'This sign-in link has expired. Ask for a new one.',
} as const;

/**
 * Asks for a sign-in link for `email`. When a requester has that address and it is not
 * bouncing, a link request is recorded and its e-mail job enqueued; otherwise nothing
 * happens. Either way the caller answers 202. `baseUrl` is where the link points; `returnTo`
 * the portal page it opens once signed in (a path checked by the route), else the list.
 */
export async function requestSignInLink(ctx: Ctx, email: string, baseUrl: string, returnTo: string | null = null): Promise<void> {
  const address = email.trim().toLowerCase();
  const now = ctx.clock.now();
  // counted for every address, known or not, so a 429 reveals nothing about who is a customer
  const { hits } = await hitRateLimit(ctx.db, `portal-link:${digest(address).toString('hex')}`, SIGN_IN_ADDRESS_WINDOW_MS, now);
  if (hits > SIGN_IN_PER_ADDRESS) {
    throw new AppError(429, 'request.rate_limited', 'Too many requests', 'Too many sign-in links were asked for this address; try again in 15 minutes.');
  }
  const requester = await findRequesterByEmail(ctx.db, address);
  if (!requester || requester.email_bouncing_at || !ctx.jobs) return;
  await ctx.db.transaction(async (db) => {
    const linkId = await insertSignInLink(db, { requesterId: requester.id, baseUrl, returnTo }, now);
    await ctx.jobs!.send(db, SIGN_IN_MAIL_JOB, { linkId }, { retryLimit: 3, retryDelaySeconds: 30, retryBackoff: true });
  });
}

export interface SignInMailDeps {
  /** sends one automatic message from a mailbox; false when no SMTP server is configured for it */
  send(mailbox: MailboxRow, notice: { to: string[]; subject: string; text: string }): Promise<boolean>;
  warn(obj: object, msg: string): void;
}

/**
 * The `portal.sign_in_mail` job: issues the link's token (once) and e-mails it from the first
 * active mailbox. A failed send forgets the token and throws, so the retry issues a new one;
 * a link already issued (the job ran before) is not sent again.
 */
export async function sendSignInMail(ctx: Ctx, deps: SignInMailDeps, linkId: string): Promise<'sent' | 'skipped'> {
  const [mailbox] = await listMailboxes(ctx.db, { activeOnly: true });
  if (!mailbox) {
    deps.warn({ linkId }, 'portal sign-in link not e-mailed: no active mailbox to send from');
    return 'skipped';
  }
  const token = newSecret();
  const link = await issueSignInLink(ctx.db, linkId, digest(token), new Date(ctx.clock.now().getTime() + SIGN_IN_LINK_TTL_MS));
  if (!link || link.bouncing) return 'skipped';
  const next = link.return_to ? `&next=${encodeURIComponent(link.return_to)}` : '';
  const url = `${link.base_url}/portal/sign-in?token=${encodeURIComponent(token)}${next}`;
  try {
    const sent = await deps.send(mailbox, {
      to: [link.email],
      subject: `Your sign-in link for ${mailbox.name || 'the support portal'}`,
      text: [
        `Hello ${link.name},`,
        '',
        'Open this link to see your support requests. It works once, for the next 15 minutes:',
        '',
        url,
        '',
        'If you did not ask for it, you can ignore this message.',
      ].join('\n'),
    });
    if (!sent) {
      deps.warn({ linkId }, 'portal sign-in link not e-mailed: no SMTP server for the mailbox (set SMTP_OUTBOUND_URL)');
      await unissueSignInLink(ctx.db, linkId);
      return 'skipped';
    }
    return 'sent';
  } catch (err) {
    await unissueSignInLink(ctx.db, linkId);
    throw err;
  }
}

/**
 * Exchanges a link's token for a requester session: the link is used up at once. Returns
 * the session's cookie value and CSRF token; a used, expired or unknown link is a 401.
 */
export async function redeemLink(
  ctx: Ctx,
  token: string,
  ttlSeconds: number,
): Promise<{ requesterId: string; sessionToken: string; csrfToken: string; expiresAt: Date }> {
  const now = ctx.clock.now();
  return ctx.db.transaction(async (db) => {
    const r = await redeemSignInLink(db, digest(token), now);
    if ('refused' in r) throw new AppError(401, `portal.link_${r.refused}`, 'Sign-in link not valid', linkRefused[r.refused]);
    const sessionToken = newSecret();
    const csrfToken = newSecret();
    const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
    await insertPortalSession(db, { tokenHash: digest(sessionToken), requesterId: r.requesterId, csrfToken, expiresAt }, now);
    return { requesterId: r.requesterId, sessionToken, csrfToken, expiresAt };
  });
}

export async function signOut(ctx: Ctx, sessionToken: string): Promise<void> {
  await deletePortalSession(ctx.db, digest(sessionToken));
}
