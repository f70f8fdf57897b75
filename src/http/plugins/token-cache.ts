import type { PrincipalRow } from '../../db/repositories/auth.ts';

/**
 * A short-lived, in-process memory of API tokens already checked, so that an
 * integration's every request does not cost a database round trip (measured:
 * about a sixth of the create path's server time, see bench/RESULTS.md).
 *
 * Coherence: this process clears it whenever a token is revoked or an agent
 * changes, so here the effect is immediate; other processes on the same
 * PostgreSQL may honour a revoked token for at most `ttlMs`. 0 disables it.
 */
export class TokenCache {
  private readonly entries = new Map<string, { principal: PrincipalRow; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(key: string, nowMs: number): PrincipalRow | undefined {
    const hit = this.entries.get(key);
    if (!hit) return undefined;
    if (hit.until > nowMs) return hit.principal;
    this.entries.delete(key);
    return undefined;
  }

  set(key: string, principal: PrincipalRow, nowMs: number): void {
    if (this.ttlMs <= 0) return;
    // Map keeps insertion order: past the cap, forget the oldest entry.
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { principal, until: nowMs + this.ttlMs });
  }

  /** Forgets everything: called on any change to tokens or agents. */
  clear(): void {
    this.entries.clear();
  }
}
