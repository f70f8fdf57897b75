import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Deps } from '../helpers.ts';
import { problems } from '../schemas/common.ts';
import type { LiveHub } from './live-hub.ts';

const HEARTBEAT_MS = 20_000;

interface Viewer {
  id: string;
  name: string;
}

/**
 * GET /api/v1/events: server-sent events for the signed-in agent's browser — `ticket`
 * ({ticketId, kind}) when any ticket is created, changed or commented on (by anyone, in any
 * process: the database announces every committed change, see live-hub.ts), and `viewers`
 * ({ticketId, viewers}) when someone opens or leaves a ticket. `?viewing=<ticket id>` registers
 * this connection as viewing that ticket. Viewers are tracked per process: with several web
 * processes, an agent sees the other viewers connected to the same process only.
 */
export async function eventRoutes(app: FastifyInstance, deps: Deps & { hub: LiveHub }) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const streams = new Map<string, ServerResponse>();
  const viewers = new Map<string, Map<string, Viewer>>();

  const send = (res: ServerResponse, event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  const broadcast = (event: string, data: unknown) => {
    for (const res of streams.values()) send(res, event, data);
  };
  const viewersOf = (ticketId: string): Viewer[] => {
    const unique = new Map<string, Viewer>();
    for (const v of viewers.get(ticketId)?.values() ?? []) unique.set(v.id, v);
    return [...unique.values()];
  };
  const unsubscribe = deps.hub.subscribe((e) => broadcast('ticket', e));

  // open streams would keep app.close() waiting for ever
  app.addHook('preClose', async () => {
    unsubscribe();
    for (const res of streams.values()) res.end();
    streams.clear();
  });

  r.get('/events', {
    schema: {
      tags: ['live'], summary: 'Live updates (text/event-stream): `ticket` {ticketId, kind} and `viewers` {ticketId, viewers}',
      querystring: z.strictObject({ viewing: z.uuid().optional().describe('the ticket this browser tab shows (for collision warnings)') }),
      response: problems(400, 401),
    },
  }, async (req, reply) => {
    const id = randomUUID();
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
      'X-Request-Id': req.id,
    });
    res.write('retry: 2000\n\n');
    streams.set(id, res);
    const viewing = req.query.viewing;
    if (viewing) {
      const set = viewers.get(viewing) ?? new Map<string, Viewer>();
      viewers.set(viewing, set.set(id, { id: req.actor.id!, name: req.actor.name ?? 'Someone' }));
      broadcast('viewers', { ticketId: viewing, viewers: viewersOf(viewing) });
    } else {
      send(res, 'ready', { connection: id });
    }
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    req.raw.once('close', () => {
      clearInterval(heartbeat);
      streams.delete(id);
      if (viewing) {
        const set = viewers.get(viewing);
        set?.delete(id);
        if (set?.size === 0) viewers.delete(viewing);
        broadcast('viewers', { ticketId: viewing, viewers: viewersOf(viewing) });
      }
    });
  });
}
