import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findUnstorableValue, MAX_JSON_DEPTH } from '../../src/http/plugins/input.ts';
import { cleanFileName, FileStore, FileTooLargeError, sniffMimeType } from '../../src/platform/storage.ts';

describe('findUnstorableValue', () => {
  it('accepts ordinary JSON', () => {
    expect(findUnstorableValue({ a: [1, 'two', { three: null }], b: true, d: new Date() })).toBeUndefined();
    expect(findUnstorableValue('plain')).toBeUndefined();
    expect(findUnstorableValue(null)).toBeUndefined();
  });

  it('names the first NUL in a value or key, with the prefix', () => {
    expect(findUnstorableValue({ a: { b: ['x', 'y\u0000'] } })).toEqual({ path: 'a.b.1', message: expect.stringContaining('NUL') });
    expect(findUnstorableValue({ q: 'a\u0000' }, 'query.')).toMatchObject({ path: 'query.q' });
    expect(findUnstorableValue({ 'k\u0000': 1 })).toMatchObject({ path: 'k\\u0000' });
    expect(findUnstorableValue('\u0000')).toMatchObject({ path: '(body)' });
  });

  it('refuses nesting deeper than the limit, without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnstorableValue(deep)).toMatchObject({ message: expect.stringContaining(String(MAX_JSON_DEPTH)) });
    let ok: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = { a: ok };
    expect(findUnstorableValue(ok)).toBeUndefined();
  });

  it('finds a NUL wherever it hides (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => {
        const hasNul = JSON.stringify(v).includes('\\u0000');
        expect(findUnstorableValue(v) !== undefined).toBe(hasNul);
      }),
    );
  });
});

describe('attachment store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'triage-store-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('cleans file names down to a base name', () => {
    expect(cleanFileName('../../etc/passwd')).toBe('passwd');
    expect(cleanFileName('C:\\x\\y.txt')).toBe('y.txt');
    expect(cleanFileName('a\u0000b\u001f.txt')).toBe('ab.txt');
    expect(cleanFileName('   ')).toBe('attachment');
    expect(cleanFileName('x'.repeat(300))).toHaveLength(255);
  });

  it('sniffs text, binary and known formats from the bytes', async () => {
    const write = (name: string, content: Buffer | string) => {
      const p = join(dir, name);
      writeFileSync(p, content);
      return p;
    };
    expect(await sniffMimeType(write('a', 'hello <b>world</b>'))).toBe('text/plain');
    expect(await sniffMimeType(write('b', Buffer.from([0x00, 0x01, 0x02])))).toBe('application/octet-stream');
    expect(await sniffMimeType(write('c', Buffer.from([0xc3, 0x28])))).toBe('application/octet-stream');
    expect(await sniffMimeType(write('d', '%PDF-1.7\n%\xe2\xe3\n1 0 obj\n'))).toBe('application/pdf');
    // a multi-byte character cut by the 4 KiB head is still text
    expect(await sniffMimeType(write('e', 'a'.repeat(4095) + 'é'.repeat(10)))).toBe('text/plain');
  });

  it('stores a buffer exactly as a stream of the same bytes: hash, size, type, one copy, and the size limit', async () => {
    const store = new FileStore(join(dir, 'buffers'), 10_000);
    const samples: [string, Buffer][] = [
      ['note.txt', Buffer.from('a'.repeat(4095) + 'é'.repeat(10))],
      ['blob.bin', Buffer.from([0x00, 0x01, 0x02, 0xff])],
      ['doc.pdf', Buffer.from('%PDF-1.7\n%\xe2\xe3\n1 0 obj\n', 'latin1')],
      ['../../etc/passwd', Buffer.from('root:x:0:0')],
    ];
    for (const [name, bytes] of samples) {
      const fromBuffer = await store.saveBuffer(bytes, name);
      const fromStream = await new FileStore(join(dir, 'streams'), 10_000).save(Readable.from([bytes]), name);
      expect(fromBuffer).toEqual(fromStream);
      expect(readFileSync(store.pathOf(fromBuffer.sha256)).equals(bytes)).toBe(true);
      // the same content again: stored once, nothing left in the staging folder
      expect(await store.saveBuffer(bytes, 'again')).toMatchObject({ sha256: fromBuffer.sha256 });
    }
    expect(readdirSync(join(dir, 'buffers', 'tmp'))).toEqual([]);
    await expect(store.saveBuffer(Buffer.alloc(10_001), 'big')).rejects.toBeInstanceOf(FileTooLargeError);
  });

  it('stages without storing, commits by hash once, and discards', async () => {
    const store = new FileStore(join(dir, 'store'), 100);
    const staged = await store.stage(Readable.from([Buffer.from('same')]), 'one.txt');
    expect(staged).toMatchObject({ fileName: 'one.txt', size: 4, mimeType: 'text/plain' });
    expect(existsSync(store.pathOf(staged.sha256))).toBe(false);
    const stored = await store.commit(staged);
    expect(readFileSync(store.pathOf(stored.sha256), 'utf8')).toBe('same');
    const again = await store.commit(await store.stage(Readable.from([Buffer.from('same')]), 'two.txt'));
    expect(again.sha256).toBe(stored.sha256);
    const dropped = await store.stage(Readable.from([Buffer.from('other')]), 'x.txt');
    await store.discard(dropped);
    expect(existsSync(store.pathOf(dropped.sha256))).toBe(false);
    await expect(store.stage(Readable.from([Buffer.alloc(101)]), 'big.bin')).rejects.toBeInstanceOf(FileTooLargeError);
    expect(readdirSync(join(dir, 'store', 'tmp'))).toEqual([]);
  });
});
