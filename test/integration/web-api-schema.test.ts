import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateApiSchema, SCHEMA_FILE } from '../../scripts/api-schema.ts';

describe('the web UI API client types', () => {
  it('are generated from the current OpenAPI document (run `npm run gen:api` when this fails)', async () => {
    const fresh = await generateApiSchema();
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    // a plain equality: a diff of 12,000 lines is useless, the fix is one command
    expect(committed === fresh, 'web/src/api/schema.d.ts is stale: run `npm run gen:api` and commit it').toBe(true);
  });
});
