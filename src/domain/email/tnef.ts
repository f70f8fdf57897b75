/**
 * The files inside a TNEF container (Outlook's winmail.dat, application/ms-tnef).
 * TNEF is a flat list of attributes after a 6-byte header (signature 0x223E9F78,
 * a 2-byte key): each is level (1 byte), id (4: type << 16 | name), length (4),
 * data, and a 2-byte checksum. An attachment starts at attAttachRendData; its
 * name is attAttachTitle and its bytes attAttachData. Malformed input gives
 * what was read up to the damage. (node-tnef does the same but logs to stdout.)
 */
const SIGNATURE = 0x223e9f78;
const LVL_ATTACHMENT = 0x02;
const ATT_ATTACH_REND_DATA = 0x9002;
const ATT_ATTACH_TITLE = 0x8010;
const ATT_ATTACH_DATA = 0x800f;

export interface TnefFile {
  name: string;
  content: Buffer;
}

export function isTnef(buf: Buffer): boolean {
  return buf.length >= 6 && buf.readUInt32LE(0) === SIGNATURE;
}

export function tnefAttachments(buf: Buffer): TnefFile[] {
  if (!isTnef(buf)) return [];
  const files: { name?: string; content?: Buffer }[] = [];
  let pos = 6;
  while (pos + 9 <= buf.length) {
    const level = buf.readUInt8(pos);
    const id = buf.readUInt32LE(pos + 1) & 0xffff;
    const length = buf.readUInt32LE(pos + 5);
    const start = pos + 9;
    const end = start + length;
    if (end + 2 > buf.length) break; // truncated: keep what was read
    if (level === LVL_ATTACHMENT) {
      if (id === ATT_ATTACH_REND_DATA) files.push({});
      const current = files[files.length - 1];
      if (current && id === ATT_ATTACH_TITLE) current.name = buf.toString('latin1', start, end).replace(/\0+$/, '').trim();
      if (current && id === ATT_ATTACH_DATA) current.content = buf.subarray(start, end);
    }
    pos = end + 2;
  }
  return files
    .filter((f): f is { name?: string; content: Buffer } => !!f.content && f.content.length > 0)
    .map((f, i) => ({ name: f.name || `attachment-${i + 1}`, content: Buffer.from(f.content) }));
}
