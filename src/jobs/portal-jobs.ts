/**
 * Portal job kinds: `portal.sign_in_mail` issues a requester's one-time sign-in link and
 * e-mails it (src/domain/portal/sign-in.ts). The link row is the idempotence claim: a link
 * issued already is never mailed twice.
 */
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import type { Jobs } from './queue.ts';
import { SYSTEM_ACTOR } from '../domain/context.ts';
import { sendNotice } from '../domain/email/outbound.ts';
import { SIGN_IN_MAIL_JOB, sendSignInMail } from '../domain/portal/sign-in.ts';

export async function registerPortalJobs(
  jobs: Jobs,
  deps: { db: Db; clock: Clock; logger: Logger; mail: () => Promise<{ secretKey: Buffer; smtpOutboundUrl?: string }> },
): Promise<void> {
  await jobs.work(SIGN_IN_MAIL_JOB, async (data: { linkId: string }) => {
    await sendSignInMail({ db: deps.db, clock: deps.clock, actor: SYSTEM_ACTOR }, {
      send: async (mailbox, notice) => sendNotice(await deps.mail(), mailbox, notice),
      warn: (obj, msg) => deps.logger.warn(obj, msg),
    }, data.linkId);
  }, { batchSize: 5, concurrency: 2 });
}
