/**
 * E-mail job kinds: `email.send` sends one outbound message (an agent's reply or an
 * automatic acknowledgement) from its `email_messages` row. Retries with backoff come
 * from the queue (retryLimit/retryBackoff set when the job is enqueued); the row is the
 * idempotence claim (src/domain/email/outbound.ts).
 */
import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { loadConfig, type Config } from '../platform/config.ts';
import { loadSecretKey } from '../platform/crypto.ts';
import { attachmentStore } from '../platform/storage.ts';
import type { Jobs } from './queue.ts';
import { EMAIL_SEND_JOB, sendOutbound, type SendDeps } from '../domain/email/outbound.ts';

export interface EmailJobDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** SMTP_OUTBOUND_URL, DATA_DIR (attachment store, secret key), TRIAGE_SECRET_KEY; read from the environment when absent */
  config?: Config;
}

export async function registerEmailJobs(jobs: Jobs, deps: EmailJobDeps): Promise<void> {
  let send: Promise<SendDeps> | undefined;
  // the key is read (or generated) on first use, so a worker that never sends mail never touches DATA_DIR/secret.key
  const sendDeps = () =>
    (send ??= (async () => {
      const config = deps.config ?? loadConfig();
      return {
        db: deps.db, clock: deps.clock, logger: deps.logger, store: attachmentStore(config),
        secretKey: await loadSecretKey(config), smtpOutboundUrl: config.smtpOutboundUrl,
      };
    })());
  await jobs.work(EMAIL_SEND_JOB, async (data: { emailMessageId: string }) => {
    await sendOutbound(await sendDeps(), data.emailMessageId);
  }, { batchSize: 5, concurrency: 4 });
}
