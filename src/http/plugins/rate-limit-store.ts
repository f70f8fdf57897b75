import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Db } from '../../db/client.ts';
import { hitRateLimit } from '../../db/repositories/auth.ts';
import type { Clock } from '../../platform/clock.ts';

type RouteKey = { method?: unknown; url?: string; path?: string };

/**
 * A @fastify/rate-limit store whose windows live in PostgreSQL, so that a
 * limit (say, 10 logins a minute per IP) holds across every Triage process on
 * the database instead of multiplying by their number. Each route gets its
 * own key space through `child`.
 */
export function databaseRateLimitStore(db: Db, clock: Clock): FastifyRateLimitStoreCtor {
  class DatabaseStore implements FastifyRateLimitStore {
    constructor(private readonly prefix = 'global') {}

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      const now = clock.now();
      hitRateLimit(db, `${this.prefix}:${key}`, timeWindow, now).then(
        ({ hits, windowStart }) => callback(null, { current: hits, ttl: Math.max(0, windowStart.getTime() + timeWindow - now.getTime()) }),
        (err: Error) => callback(err),
      );
    }

    // typed as the route's options, but @fastify/rate-limit 11 passes its merged limit options with the route under `routeInfo`
    // (reading only `url` gave every rate-limited route one shared key)
    child(options: RouteKey & { routeInfo?: RouteKey }): FastifyRateLimitStore {
      const route = options.routeInfo ?? options;
      return new DatabaseStore(`${String(route.method)} ${route.url ?? route.path}`);
    }
  }
  return DatabaseStore as unknown as FastifyRateLimitStoreCtor;
}
