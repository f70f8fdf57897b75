import type { Db } from '../client.ts';
import type { AgentRole } from './agents.ts';

/** Who is calling, as resolved from a session cookie or an API token. */
export interface PrincipalRow {
  agent_id: string;
  name: string;
  email: string;
  role: AgentRole;
}

export interface SessionPrincipal extends PrincipalRow {
  csrf_token: string;
}

export async function insertSession(
  db: Db,
  s: { tokenHash: Buffer; agentId: string; csrfToken: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  await db.query('INSERT INTO sessions (token_hash, agent_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    s.tokenHash, s.agentId, s.csrfToken, now, s.expiresAt,
  ]);
}

export async function findSession(db: Db, tokenHash: Buffer, now: Date): Promise<SessionPrincipal | undefined> {
  return (
    await db.query<SessionPrincipal>(
      `SELECT s.agent_id, s.csrf_token, a.name, a.email, a.role FROM sessions s JOIN agents a ON a.id = s.agent_id
        WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.active`,
      [tokenHash, now],
    )
  ).rows[0];
}

export async function deleteSession(db: Db, tokenHash: Buffer): Promise<void> {
  await db.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
}

export async function deleteExpiredSessions(db: Db, now: Date): Promise<number> {
  return (await db.query('DELETE FROM sessions WHERE expires_at <= $1', [now])).rowCount;
}

export interface ApiTokenRow {
  id: string;
  agent_id: string;
  name: string;
  prefix: string;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export async function insertApiToken(
  db: Db,
  t: { agentId: string; name: string; tokenHash: Buffer; prefix: string },
  now: Date,
): Promise<ApiTokenRow> {
  return (
    await db.query<ApiTokenRow>(
      `INSERT INTO api_tokens (agent_id, name, token_hash, prefix, created_at) VALUES ($1, $2, $3, $4, $5)
       RETURNING id, agent_id, name, prefix, created_at, last_used_at, revoked_at`,
      [t.agentId, t.name, t.tokenHash, t.prefix, now],
    )
  ).rows[0];
}

/**
 * Resolves a Bearer token. `last_used_at` is written at most once a minute so
 * that authentication does not turn every read into a write.
 */
export async function findApiTokenPrincipal(db: Db, tokenHash: Buffer, now: Date): Promise<PrincipalRow | undefined> {
  const row = (
    await db.query<PrincipalRow & { id: string; last_used_at: Date | null }>(
      `SELECT t.id, t.last_used_at, a.id AS agent_id, a.name, a.email, a.role FROM api_tokens t JOIN agents a ON a.id = t.agent_id
        WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND a.active`,
      [tokenHash],
    )
  ).rows[0];
  if (row && (!row.last_used_at || now.getTime() - row.last_used_at.getTime() > 60_000)) {
    await db.query('UPDATE api_tokens SET last_used_at = $2 WHERE id = $1', [row.id, now]);
  }
  return row;
}

/** Tokens of one agent, or of everyone when `agentId` is undefined (admins). */
export async function listApiTokens(db: Db, agentId: string | undefined): Promise<ApiTokenRow[]> {
  return (
    await db.query<ApiTokenRow>(
      `SELECT id, agent_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens
        WHERE revoked_at IS NULL AND ($1::uuid IS NULL OR agent_id = $1) ORDER BY created_at DESC, id`,
      [agentId ?? null],
    )
  ).rows;
}

export async function getApiToken(db: Db, id: string): Promise<ApiTokenRow | undefined> {
  return (
    await db.query<ApiTokenRow>(
      'SELECT id, agent_id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens WHERE id = $1 AND revoked_at IS NULL',
      [id],
    )
  ).rows[0];
}

export async function revokeApiToken(db: Db, id: string, now: Date): Promise<void> {
  await db.query('UPDATE api_tokens SET revoked_at = $2 WHERE id = $1', [id, now]);
}

export interface IdempotencyRow {
  request_hash: string;
  status_code: number | null;
  response: unknown;
}

/**
 * Claims an Idempotency-Key inside the caller's transaction. Returns null when
 * this request claimed it; otherwise the stored first response (a concurrent
 * first request is waited for by the unique index).
 */
export async function claimIdempotencyKey(
  db: Db,
  k: { actorId: string; key: string; method: string; path: string; requestHash: string },
  now: Date,
): Promise<IdempotencyRow | null> {
  const claimed = await db.query(
    `INSERT INTO idempotency_keys (actor_id, key, method, path, request_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (actor_id, key) DO NOTHING`,
    [k.actorId, k.key, k.method, k.path, k.requestHash, now],
  );
  if (claimed.rowCount === 1) return null;
  return (
    await db.query<IdempotencyRow>('SELECT request_hash, status_code, response FROM idempotency_keys WHERE actor_id = $1 AND key = $2', [
      k.actorId, k.key,
    ])
  ).rows[0];
}

export async function saveIdempotentResponse(
  db: Db,
  k: { actorId: string; key: string },
  statusCode: number,
  response: unknown,
): Promise<void> {
  await db.query('UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE actor_id = $1 AND key = $2', [
    k.actorId, k.key, statusCode, JSON.stringify(response),
  ]);
}

/** Deletes idempotency keys stored before `before`; returns how many. */
export async function deleteIdempotencyKeysBefore(db: Db, before: Date): Promise<number> {
  return (await db.query('DELETE FROM idempotency_keys WHERE created_at < $1', [before])).rowCount;
}

/**
 * Counts one hit in the fixed window of `key` (`windowMs` long), starting a
 * new window when the last one is over; atomic under concurrency (one upsert).
 * Returns the hits in the current window and when it started.
 */
export async function hitRateLimit(db: Db, key: string, windowMs: number, now: Date): Promise<{ hits: number; windowStart: Date }> {
  const r = await db.query<{ hits: number; window_start: Date }>(
    `INSERT INTO rate_limits AS rl (key, window_start, hits) VALUES ($1, $2, 1)
     ON CONFLICT (key) DO UPDATE SET
       hits = CASE WHEN rl.window_start + $3 * interval '1 millisecond' <= $2 THEN 1 ELSE rl.hits + 1 END,
       window_start = CASE WHEN rl.window_start + $3 * interval '1 millisecond' <= $2 THEN $2 ELSE rl.window_start END
     RETURNING hits, window_start`,
    [key, now, windowMs],
  );
  return { hits: r.rows[0].hits, windowStart: r.rows[0].window_start };
}

/** Deletes rate-limit windows that started before `before`; returns how many. */
export async function deleteRateLimitsBefore(db: Db, before: Date): Promise<number> {
  return (await db.query('DELETE FROM rate_limits WHERE window_start < $1', [before])).rowCount;
}

/** Ends every session of the agent except `keep` (the hash of the session to keep, or null). */
export async function deleteSessionsOfAgent(db: Db, agentId: string, keep: Buffer | null): Promise<number> {
  return (await db.query('DELETE FROM sessions WHERE agent_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)', [agentId, keep])).rowCount;
}
