import type { Db } from '../db/client.ts';
import type { Clock } from '../platform/clock.ts';
import type { Logger } from '../platform/logger.ts';
import { SYSTEM_ACTOR } from '../domain/context.ts';
import { drainQueue, returnTicketsToQueue } from '../domain/routing/engine.ts';
import { DEFAULT_ROUTING_SETTINGS, withDefaults } from '../domain/routing/settings.ts';
import { agentsWithWork, getSetting, offlineAgentsWithTickets } from '../db/repositories/routing.ts';

/**
 * The router's safety net. Commands drain the queue the moment a slot frees,
 * but a drain can be passed over (an agent row busy in another transaction, a
 * process killed between commit and drain). The sweep finds every online agent
 * with a free slot and a waiting ticket they may take, and drains it; with
 * `returnTicketsOnOffline`, it also returns tickets still held by offline agents.
 * Safe in any number of processes at once: it claims with SKIP LOCKED.
 */
export async function sweepRouting(db: Db, clock: Clock): Promise<{ assigned: number; returned: number }> {
  const settings = withDefaults(DEFAULT_ROUTING_SETTINGS, await getSetting(db, 'routing'));
  if (!settings.enabled) return { assigned: 0, returned: 0 };
  let returned = 0;
  if (settings.returnTicketsOnOffline) {
    for (const agentId of await offlineAgentsWithTickets(db)) {
      returned += await db.transaction((tx) => returnTicketsToQueue(tx, clock.now(), agentId, SYSTEM_ACTOR));
    }
  }
  let assigned = 0;
  for (const agentId of await agentsWithWork(db)) {
    assigned += (await drainQueue({ db, clock }, agentId, { skipLocked: true, actor: SYSTEM_ACTOR })).length;
  }
  return { assigned, returned };
}

/** Runs the sweep every `everySeconds` (0 = never); returns a stop function. Errors are logged, never thrown. */
export function scheduleRoutingSweep(db: Db, clock: Clock, logger: Logger, everySeconds: number): () => void {
  if (everySeconds <= 0) return () => undefined;
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sweepRouting(db, clock)
      .then((r) => (r.assigned || r.returned ? logger.info(r, 'routing sweep') : undefined))
      .catch((err) => logger.warn({ err }, 'routing sweep failed'))
      .finally(() => (running = false));
  }, everySeconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
