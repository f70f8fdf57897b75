import type { Ctx } from '../context.ts';
import { Errors } from '../errors.ts';
import { can, require } from './policies.ts';
import { digest, dummyPasswordHash, hashPassword, newSecret, verifyPassword } from './secrets.ts';
import { findAgentByEmail, getPasswordHash, insertAgent, setPassword, type AgentRow } from '../../db/repositories/agents.ts';
import {
  deleteSession, getApiToken, insertApiToken, insertSession, listApiTokens, revokeApiToken, type ApiTokenRow,
} from '../../db/repositories/auth.ts';

export const SESSION_COOKIE = 'triage_session';
export const API_TOKEN_PREFIX = 'trg_';

/** Checks e-mail and password; on success opens a session and returns its cookie value and CSRF token. */
export async function login(
  ctx: Ctx,
  email: string,
  password: string,
  ttlSeconds: number,
): Promise<{ agent: AgentRow; sessionToken: string; csrfToken: string; expiresAt: Date }> {
  const agent = await findAgentByEmail(ctx.db, email);
  const stored = agent?.active ? await getPasswordHash(ctx.db, agent.id) : undefined;
  const ok = await verifyPassword(stored ?? (await dummyPasswordHash()), password);
  if (!agent || !stored || !ok) throw Errors.badCredentials();
  const now = ctx.clock.now();
  const sessionToken = newSecret();
  const csrfToken = newSecret();
  const expiresAt = new Date(now.getTime() + ttlSeconds * 1000);
  await insertSession(ctx.db, { tokenHash: digest(sessionToken), agentId: agent.id, csrfToken, expiresAt }, now);
  return { agent, sessionToken, csrfToken, expiresAt };
}

export async function logout(ctx: Ctx, sessionToken: string): Promise<void> {
  await deleteSession(ctx.db, digest(sessionToken));
}

/** Creates an API token for the actor; the secret is returned once and stored only hashed. */
export async function createApiToken(ctx: Ctx, name: string): Promise<{ token: string; row: ApiTokenRow }> {
  require(ctx.actor.type === 'agent', 'Only agents own API tokens.');
  const token = newSecret(API_TOKEN_PREFIX);
  const row = await insertApiToken(
    ctx.db,
    { agentId: ctx.actor.id!, name, tokenHash: digest(token), prefix: token.slice(0, API_TOKEN_PREFIX.length + 6) },
    ctx.clock.now(),
  );
  return { token, row };
}

/** Your own tokens; an admin may ask for everyone's. */
export async function listTokens(ctx: Ctx, all: boolean): Promise<ApiTokenRow[]> {
  if (all) require(can.administer(ctx.actor), 'Only admins list everyone’s tokens.');
  return listApiTokens(ctx.db, all ? undefined : ctx.actor.id!);
}

export async function revokeToken(ctx: Ctx, id: string): Promise<void> {
  const token = await getApiToken(ctx.db, id);
  // someone else's token is answered as missing, not forbidden: its existence is not yours to know
  if (!token || !can.manageToken(ctx.actor, token)) throw Errors.notFound('api_token', id);
  await revokeApiToken(ctx.db, id, ctx.clock.now());
}

/**
 * Creates an admin with this e-mail unless an agent already has it.
 * Idempotent: safe on every start (ADMIN_EMAIL / ADMIN_PASSWORD) and from the CLI.
 */
export async function ensureAdmin(ctx: Ctx, a: { email: string; password: string; name?: string }): Promise<'created' | 'exists'> {
  const passwordHash = await hashPassword(a.password);
  return ctx.db.transaction(async (db) => {
    const now = ctx.clock.now();
    const id = await insertAgent(
      db,
      { name: a.name ?? 'Administrator', email: a.email, role: 'admin', skills: [], maxConcurrentTickets: 0, status: 'offline' },
      now,
    );
    if (!id) return 'exists';
    await setPassword(db, id, passwordHash, now);
    return 'created';
  });
}
