/**
 * The real-world e-mail corpus (INDEX.tsv + messages). The workplace's copy
 * (`../shared/corpus/email` beside the repository) is preferred when present,
 * so messages added there are tested too; otherwise the copy kept in the
 * repository (test/fixtures/email-corpus), so a clean clone anywhere runs the same tests.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export const CORPUS_DIR = [process.env.TRIAGE_EMAIL_CORPUS, resolve(repoRoot, '../shared/corpus/email'), join(repoRoot, 'test/fixtures/email-corpus')]
  .filter((d): d is string => !!d)
  .find((d) => existsSync(join(d, 'INDEX.tsv')))!;

export interface CorpusEntry {
  file: string;
  sourceRepo: string;
  category: string;
  expected: 'yes' | 'no' | 'unknown';
  charset: string;
  hasAttachments: boolean;
  notes: string;
  /** the message's bytes */
  raw(): Buffer;
}

/** Every row of INDEX.tsv, in file order. */
export function corpus(): CorpusEntry[] {
  const [, ...rows] = readFileSync(join(CORPUS_DIR, 'INDEX.tsv'), 'utf8').split('\n').filter((l) => l.trim());
  return rows.map((line) => {
    const [file, sourceRepo, , category, expected, charset, hasAttachments, notes] = line.split('\t');
    return {
      file, sourceRepo, category, expected: expected as CorpusEntry['expected'], charset,
      hasAttachments: hasAttachments === 'yes', notes: notes ?? '',
      raw: () => readFileSync(join(CORPUS_DIR, file)),
    };
  });
}
