/**
 * Secrets at rest (mailbox passwords): AES-256-GCM with a key from TRIAGE_SECRET_KEY,
 * sealed as `v1:<iv>:<tag>:<ciphertext>` (base64url) so the format can change later.
 * The same key also signs reply addresses (src/domain/email/token.ts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from './config.ts';

const KEY_BYTES = 32;

/** A 32-byte key written as base64 (44 characters) or hex (64 characters); throws naming the variable otherwise. */
export function parseSecretKey(value: string, name = 'TRIAGE_SECRET_KEY'): Buffer {
  const v = value.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(v) ? Buffer.from(v, 'hex') : Buffer.from(v, 'base64');
  if (key.length !== KEY_BYTES) throw new Error(`${name} must be 32 bytes, base64 or hex (generate one with: openssl rand -base64 32)`);
  return key;
}

/**
 * The secret key: TRIAGE_SECRET_KEY when set; otherwise a key generated once and kept in
 * DATA_DIR/secret.key (mode 0600). Several hosts (web, worker, mail processes on different
 * machines) must share TRIAGE_SECRET_KEY: each would otherwise generate its own and could
 * neither read the others' mailbox passwords nor verify their reply tokens.
 */
export async function loadSecretKey(config: Pick<Config, 'dataDir' | 'secretKey'>): Promise<Buffer> {
  const fromEnv = config.secretKey;
  if (fromEnv && fromEnv.trim() !== '') return parseSecretKey(fromEnv);
  const path = join(config.dataDir, 'secret.key');
  try {
    return parseSecretKey(await readFile(path, 'utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(config.dataDir, { recursive: true });
  const key = randomBytes(KEY_BYTES);
  try {
    // 'wx': two processes starting at once — the second reads the first one's key
    await writeFile(path, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return parseSecretKey(await readFile(path, 'utf8'), path);
    throw err;
  }
  await chmod(path, 0o600);
  return key;
}

const b64 = (b: Buffer) => b.toString('base64url');

/** Seals a secret with AES-256-GCM (random 96-bit IV). */
export function encryptSecret(plain: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
  return `v1:${b64(iv)}:${b64(cipher.getAuthTag())}:${b64(data)}`;
}

/** Opens a sealed secret; throws when it was sealed with another key or altered. */
export function decryptSecret(sealed: string, key: Buffer): string {
  const [version, iv, tag, data] = sealed.split(':');
  if (version !== 'v1' || iv === undefined || tag === undefined || data === undefined) throw new Error('Unknown secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
}
