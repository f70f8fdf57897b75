/**
 * Mailboxes as data: the addresses Triage receives mail for, how (SMTP listener or
 * an IMAP account) and how it answers (the mailbox's SMTP server or SMTP_OUTBOUND_URL).
 * Passwords are sealed with the secret key (src/platform/crypto.ts) and never returned.
 */
import type { Db } from '../../db/client.ts';
import { isUniqueViolation } from '../../db/client.ts';
import {
  cachedMailboxes, deleteMailbox as deleteMailboxRow, getMailbox, insertMailbox, listMailboxes, updateMailbox as updateMailboxRow,
  type MailboxRow, type MailboxWrite,
} from '../../db/repositories/email.ts';
import { getGroupBySlug } from '../../db/repositories/agents.ts';
import { decryptSecret, encryptSecret } from '../../platform/crypto.ts';
import type { Ctx } from '../context.ts';
import { can, require } from '../auth/policies.ts';
import { Errors } from '../errors.ts';

export type InboundInput =
  | { type: 'smtp' }
  | {
    type: 'imap'; host: string; port: number; secure: boolean; user: string; password?: string; folder?: string;
    /** committed messages are moved here (created when missing) instead of only being marked seen */
    processedFolder?: string | null;
  };

export interface OutboundInput {
  host: string;
  port: number;
  secure: boolean;
  user?: string;
  password?: string;
}

export interface MailboxInput {
  address: string;
  name: string;
  group?: string | null;
  category?: string | null;
  inbound?: InboundInput;
  outbound?: OutboundInput | null;
  autoAcknowledge?: boolean;
  isActive?: boolean;
}

/** `local+anything@domain` → `local@domain` (the reply token rides in the `+` part). */
export function baseAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const at = a.lastIndexOf('@');
  if (at < 0) return a;
  const local = a.slice(0, at);
  const plus = local.indexOf('+');
  return (plus >= 0 ? local.slice(0, plus) : local) + a.slice(at);
}

/** The active mailbox an address delivers to; accepts `local+anything@domain` (reply addresses). */
export async function mailboxForRecipient(db: Db, address: string): Promise<{ id: string; address: string } | undefined> {
  const a = address.trim().toLowerCase();
  const active = (await cachedMailboxes(db)).filter((m) => m.is_active);
  const base = baseAddress(a);
  const row = active.find((m) => m.address === a) ?? active.find((m) => m.address === base);
  return row ? { id: row.id, address: row.address } : undefined;
}

/** Active IMAP mailboxes with their password decrypted, for the pollers. */
export async function imapMailboxes(
  db: Db,
  key: Buffer,
): Promise<{
  id: string; address: string; host: string; port: number; secure: boolean; user: string; password: string; folder: string; processedFolder: string | null;
}[]> {
  const rows = await listMailboxes(db, { activeOnly: true });
  return rows.flatMap((m) => {
    if (m.inbound.type !== 'imap') return [];
    const i = m.inbound;
    return [{
      id: m.id, address: m.address, host: i.host, port: i.port, secure: i.secure, user: i.user,
      password: m.inbound_password_enc ? decryptSecret(m.inbound_password_enc, key) : '', folder: i.folder ?? 'INBOX',
      processedFolder: i.processedFolder ?? null,
    }];
  });
}

async function checkGroup(db: Db, group: string | null | undefined): Promise<void> {
  if (group && !(await getGroupBySlug(db, group))) throw Errors.validation([{ path: 'group', message: `No group "${group}"` }]);
}

/** IMAP names INBOX case-insensitively (RFC 3501 §5.1); every other name is compared as written. */
const sameFolder = (a: string, b: string) => a === b || (a.toUpperCase() === 'INBOX' && b.toUpperCase() === 'INBOX');

function inboundRow(i: InboundInput): MailboxRow['inbound'] {
  if (i.type === 'smtp') return { type: 'smtp' };
  const folder = i.folder ?? 'INBOX';
  if (i.processedFolder && sameFolder(i.processedFolder, folder)) {
    throw Errors.validation([{ path: 'inbound.processedFolder', message: `Must differ from the folder that is read ("${folder}")` }]);
  }
  return {
    type: 'imap', host: i.host, port: i.port, secure: i.secure, user: i.user, folder,
    ...(i.processedFolder ? { processedFolder: i.processedFolder } : {}),
  };
}

function outboundRow(o: OutboundInput): NonNullable<MailboxRow['outbound']> {
  return { host: o.host, port: o.port, secure: o.secure, ...(o.user ? { user: o.user } : {}) };
}

const duplicate = (address: string) =>
  Errors.conflict('mailbox.address_taken', `A mailbox for ${address} exists already.`, [{ path: 'address', message: 'Already used by another mailbox' }]);

export async function createMailbox(ctx: Ctx, input: MailboxInput, key: Buffer): Promise<MailboxRow> {
  require(can.administer(ctx.actor), 'Only admins manage mailboxes.');
  await checkGroup(ctx.db, input.group);
  const inbound = input.inbound ?? { type: 'smtp' };
  if (inbound.type === 'imap' && !inbound.password) throw Errors.validation([{ path: 'inbound.password', message: 'Required for an IMAP mailbox' }]);
  const address = input.address.trim().toLowerCase();
  try {
    return await insertMailbox(ctx.db, {
      address, name: input.name, groupSlug: input.group ?? null, category: input.category ?? null,
      inbound: inboundRow(inbound),
      inboundPasswordEnc: inbound.type === 'imap' && inbound.password ? encryptSecret(inbound.password, key) : null,
      outbound: input.outbound ? outboundRow(input.outbound) : null,
      outboundPasswordEnc: input.outbound?.password ? encryptSecret(input.outbound.password, key) : null,
      autoAcknowledge: input.autoAcknowledge ?? false, isActive: input.isActive ?? true,
    }, ctx.clock.now());
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate(address);
    throw err;
  }
}

/**
 * Changes a mailbox; `inbound`/`outbound` replace the current ones, and a password left out
 * keeps the stored one (the API never returns it, so a client cannot send it back).
 */
export async function updateMailbox(ctx: Ctx, id: string, input: Partial<MailboxInput>, key: Buffer): Promise<MailboxRow> {
  require(can.administer(ctx.actor), 'Only admins manage mailboxes.');
  await checkGroup(ctx.db, input.group);
  const current = await getMailbox(ctx.db, id);
  if (!current) throw Errors.notFound('mailbox', id);
  const w: MailboxWrite = {
    address: input.address?.trim().toLowerCase(), name: input.name, groupSlug: input.group, category: input.category,
    autoAcknowledge: input.autoAcknowledge, isActive: input.isActive,
  };
  if (input.inbound) {
    w.inbound = inboundRow(input.inbound);
    if (input.inbound.type === 'smtp') w.inboundPasswordEnc = null;
    else if (input.inbound.password) w.inboundPasswordEnc = encryptSecret(input.inbound.password, key);
    else if (!current.inbound_password_enc) throw Errors.validation([{ path: 'inbound.password', message: 'Required for an IMAP mailbox' }]);
  }
  if (input.outbound !== undefined) {
    w.outbound = input.outbound ? outboundRow(input.outbound) : null;
    if (!input.outbound) w.outboundPasswordEnc = null;
    else if (input.outbound.password) w.outboundPasswordEnc = encryptSecret(input.outbound.password, key);
  }
  try {
    return (await updateMailboxRow(ctx.db, id, w, ctx.clock.now()))!;
  } catch (err) {
    if (isUniqueViolation(err)) throw duplicate(w.address ?? current.address);
    throw err;
  }
}

/** Deletes a mailbox; its messages stay on their tickets (their mailbox becomes unknown). */
export async function deleteMailbox(ctx: Ctx, id: string): Promise<void> {
  require(can.administer(ctx.actor), 'Only admins manage mailboxes.');
  if (!(await deleteMailboxRow(ctx.db, id))) throw Errors.notFound('mailbox', id);
}

/** The API's mailbox: secrets only as `hasPassword`. */
export function presentMailbox(m: MailboxRow) {
  return {
    id: m.id,
    address: m.address,
    name: m.name,
    group: m.group_slug,
    category: m.category,
    inbound: m.inbound.type === 'imap'
      ? { ...m.inbound, folder: m.inbound.folder ?? 'INBOX', processedFolder: m.inbound.processedFolder ?? null, hasPassword: m.inbound_password_enc !== null }
      : { type: 'smtp' as const },
    outbound: m.outbound ? { ...m.outbound, user: m.outbound.user ?? null, hasPassword: m.outbound_password_enc !== null } : null,
    autoAcknowledge: m.auto_acknowledge,
    isActive: m.is_active,
    createdAt: new Date(m.created_at).toISOString(),
    updatedAt: new Date(m.updated_at).toISOString(),
  };
}
export type MailboxDto = ReturnType<typeof presentMailbox>;
