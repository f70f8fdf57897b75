import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileTypeFromBuffer, fileTypeFromFile } from 'file-type';

/** A file saved in the attachment store, ready to be linked to a ticket or comment. */
export interface StoredFile {
  fileName: string;
  sha256: string;
  size: number;
  /** sniffed from the content, never taken from the client */
  mimeType: string;
}

/** A file written to the store's temporary folder, not yet in the store. */
export interface StagedFile extends StoredFile {
  tmpPath: string;
}

export class FileTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`File larger than ${limit} bytes`);
  }
}

/** The attachment store of a configuration: `DATA_DIR/attachments`. */
export function attachmentStore(config: { dataDir: string; attachmentMaxBytes: number }): FileStore {
  return new FileStore(join(config.dataDir, 'attachments'), config.attachmentMaxBytes);
}

/**
 * Content-addressed file store under `<root>/ab/cd/<sha256>`: the same file
 * uploaded twice is stored once, and a stored file never changes.
 */
export class FileStore {
  constructor(
    private readonly root: string,
    readonly maxBytes: number,
  ) {}

  pathOf(sha256: string): string {
    return join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  /**
   * Streams `input` to a temporary file, hashing and sniffing it on the way;
   * throws FileTooLargeError past `maxBytes` (nothing is kept then). The file
   * is not in the store until `commit`: a request that fails later leaves nothing behind.
   */
  async stage(input: Readable, fileName: string): Promise<StagedFile> {
    const tmpDir = join(this.root, 'tmp');
    await mkdir(tmpDir, { recursive: true });
    const tmp = join(tmpDir, randomUUID());
    const hash = createHash('sha256');
    let size = 0;
    const limit = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > limit) return done(new FileTooLargeError(limit));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(input, meter, createWriteStream(tmp));
      // @fastify/multipart truncates instead of failing when its own limit is hit
      if ((input as Readable & { truncated?: boolean }).truncated) throw new FileTooLargeError(limit);
      const sha256 = hash.digest('hex');
      const mimeType = await sniffMimeType(tmp);
      return { fileName: cleanFileName(fileName), sha256, size, mimeType, tmpPath: tmp };
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /** Moves a staged file to its place (or drops it when that content is stored already). */
  async commit(file: StagedFile): Promise<StoredFile> {
    const target = this.pathOf(file.sha256);
    if (existsSync(target)) {
      await rm(file.tmpPath, { force: true });
      // fresh mtime: the sweep must not take a file a request is about to link (see sweep)
      const now = new Date();
      await utimes(target, now, now);
    } else {
      await mkdir(join(target, '..'), { recursive: true });
      await rename(file.tmpPath, target);
    }
    return { fileName: file.fileName, sha256: file.sha256, size: file.size, mimeType: file.mimeType };
  }

  /** Deletes a staged file that will not be committed. */
  async discard(file: StagedFile): Promise<void> {
    await rm(file.tmpPath, { force: true });
  }

  /**
   * Deletes stored files that no attachment row references, and staging
   * leftovers, once they are older than `graceMs` (a request commits a file
   * before its transaction links it, and commit() refreshes the mtime of a file
   * it reuses, so a grace of minutes makes the race impossible). `referenced`
   * answers for a batch of hashes. Returns how many files were deleted.
   */
  async sweep(referenced: (hashes: string[]) => Promise<Set<string>>, graceMs: number, now = Date.now()): Promise<number> {
    let deleted = 0;
    const old = async (path: string) => now - (await stat(path)).mtimeMs > graceMs;
    const list = async (dir: string) => readdir(dir).catch(() => [] as string[]);
    for (const name of await list(join(this.root, 'tmp'))) {
      const path = join(this.root, 'tmp', name);
      if (await old(path)) deleted += await rm(path, { force: true }).then(() => 1);
    }
    for (const a of await list(this.root)) {
      if (!/^[0-9a-f]{2}$/.test(a)) continue;
      for (const b of await list(join(this.root, a))) {
        const dir = join(this.root, a, b);
        const candidates: string[] = [];
        for (const sha of await list(dir)) if (await old(join(dir, sha))) candidates.push(sha);
        if (candidates.length === 0) continue;
        const keep = await referenced(candidates);
        for (const sha of candidates) {
          if (!keep.has(sha)) deleted += await rm(join(dir, sha), { force: true }).then(() => 1);
        }
      }
    }
    return deleted;
  }

  /** Stages and commits in one step (callers with no later failure point). */
  async save(input: Readable, fileName: string): Promise<StoredFile> {
    return this.commit(await this.stage(input, fileName));
  }

  /**
   * Stores content already in memory (an inbound message and its parts): hashed and sniffed
   * from the buffer, written once to the staging folder and renamed into place — without the
   * stream, the re-reads for sniffing and a mkdir per file that `save` costs (e-mail ingest
   * stores a file or more per message).
   */
  async saveBuffer(content: Buffer, fileName: string): Promise<StoredFile> {
    if (content.length > this.maxBytes) throw new FileTooLargeError(this.maxBytes);
    const sha256 = createHash('sha256').update(content).digest('hex');
    const head = content.subarray(0, SNIFF_BYTES);
    const mimeType = mimeOf(await fileTypeFromBuffer(content), head, content.length > SNIFF_BYTES);
    const file = { fileName: cleanFileName(fileName), sha256, size: content.length, mimeType };
    const target = this.pathOf(sha256);
    if (existsSync(target)) {
      const now = new Date();
      await utimes(target, now, now); // fresh mtime, as commit()
      return file;
    }
    const tmp = join(await this.dir(join(this.root, 'tmp')), randomUUID());
    await writeFile(tmp, content);
    await this.dir(join(target, '..'));
    await rename(tmp, target);
    return file;
  }

  /** Folders known to exist (created once per process; the sweep never removes them). */
  private readonly dirs = new Set<string>();
  private async dir(path: string): Promise<string> {
    if (!this.dirs.has(path)) {
      await mkdir(path, { recursive: true });
      this.dirs.add(path);
    }
    return path;
  }

  open(sha256: string): Readable {
    return createReadStream(this.pathOf(sha256));
  }
}

const SNIFF_BYTES = 4096;

/** The MIME type from the file's magic bytes; text/plain for UTF-8 text; octet-stream otherwise. */
export async function sniffMimeType(path: string): Promise<string> {
  const detected = await fileTypeFromFile(path);
  if (detected) return detected.mime;
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return mimeOf(undefined, buf.subarray(0, bytesRead), bytesRead === buf.length);
  } finally {
    await fh.close();
  }
}

/** The detected type, else text/plain when the head is UTF-8 (`more`: the file goes on after it). */
function mimeOf(detected: { mime: string } | undefined, head: Buffer, more: boolean): string {
  if (detected) return detected.mime;
  if (head.length === 0 || head.includes(0)) return 'application/octet-stream';
  try {
    // `stream` when the file goes on: a character cut at the end of the head is not an error
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: more });
    return 'text/plain';
  } catch {
    return 'application/octet-stream';
  }
}

/** Keeps the base name only, without control characters or path separators. */
export function cleanFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().slice(0, 255);
  return clean || 'attachment';
}
