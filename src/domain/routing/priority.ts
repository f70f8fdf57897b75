import { z } from 'zod';
import type { TicketPriority } from '../tickets/lifecycle.ts';

const Points = z.number().int().min(-1000).max(1000);

/**
 * The priority calculator's weights and thresholds (settings key 'priority').
 * The defaults are the seed's PriorityCalculator, so a fresh install scores
 * tickets exactly as the seed describes.
 */
export const PrioritySettings = z.strictObject({
  /** points per requester tier */
  tiers: z.strictObject({ free: Points, standard: Points, premium: Points, enterprise: Points }),
  /** points per category; categories not listed get `otherCategory` */
  categories: z.record(z.string().min(1).max(100), Points),
  otherCategory: Points,
  /** urgent words or phrases, matched case-insensitively on word boundaries in subject and description */
  urgentKeywords: z.array(z.string().trim().min(1).max(100)).max(200),
  /** points for each distinct urgent keyword found */
  keywordPoints: Points,
  attachmentPoints: Points,
  /** a requester with more than `frequentRequesterTickets` tickets in the last `recentWindowDays` days */
  frequentRequesterTickets: z.number().int().min(0).max(100_000),
  recentWindowDays: z.number().int().min(1).max(3650),
  frequentRequesterPoints: Points,
  /** a requester whose previous ticket is younger than `repeatWithinHours` */
  repeatWithinHours: z.number().min(0).max(24 * 3650),
  repeatPoints: Points,
  /** lowest score of each level; below `normal` is low */
  thresholds: z
    .strictObject({ critical: Points, high: Points, normal: Points })
    .refine((t) => t.critical > t.high && t.high > t.normal, 'critical > high > normal'),
  /** when false the calculated priority replaces the caller's */
  explicitPriorityWins: z.boolean(),
});
export type PrioritySettings = z.infer<typeof PrioritySettings>;

export const DEFAULT_PRIORITY_SETTINGS: PrioritySettings = {
  tiers: { free: 0, standard: 10, premium: 20, enterprise: 30 },
  categories: { billing: 50, technical: 40, account: 30, feature_request: 20, general: 10 },
  otherCategory: 10,
  urgentKeywords: ['urgent', 'emergency', 'critical', 'asap', 'immediate', 'broken', 'down', 'error', 'cannot access', 'not working'],
  keywordPoints: 15,
  attachmentPoints: 5,
  frequentRequesterTickets: 5,
  recentWindowDays: 30,
  frequentRequesterPoints: 10,
  repeatWithinHours: 24,
  repeatPoints: 5,
  thresholds: { critical: 80, high: 60, normal: 40 },
  explicitPriorityWins: true,
};

export interface PriorityInput {
  tier: 'free' | 'standard' | 'premium' | 'enterprise';
  category: string;
  subject: string;
  description: string;
  attachments: number;
  /** the requester's tickets in the recent window, this one not counted */
  recentTickets: number;
  /** when the requester's previous ticket was opened, if any */
  lastTicketAt: Date | null;
  now: Date;
  /** the priority the caller asked for, if any */
  explicit?: TicketPriority;
}

export interface PriorityFactor {
  factor: 'tier' | 'category' | 'keyword' | 'attachments' | 'frequent_requester' | 'repeat_requester';
  detail: string;
  points: number;
}

export interface PriorityScore {
  score: number;
  /** the level the score maps to */
  calculated: TicketPriority;
  /** the priority the ticket gets */
  priority: TicketPriority;
  /** 'explicit' when the caller's priority was kept */
  source: 'calculated' | 'explicit';
  factors: PriorityFactor[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * True when `phrase` occurs in `text` as whole words (case-insensitive, any
 * script; a combining mark counts as part of its word, so a decomposed "é" is one letter).
 */
export function containsPhrase(text: string, phrase: string): boolean {
  const words = phrase.trim().split(/\s+/).map(escapeRegExp).join('\\s+');
  return new RegExp(`(?<![\\p{L}\\p{M}\\p{N}_])${words}(?![\\p{L}\\p{M}\\p{N}_])`, 'iu').test(text);
}

/** Subject and description as one text to search, kept apart so that no phrase spans both. */
export function searchableText(subject: string, description: string): string {
  return `${subject}\n\u2029.\u2029\n${description}`;
}

/**
 * Scores a new ticket (the seed's PriorityCalculator, with its weights as
 * settings) and says how much each factor contributed.
 */
export function scorePriority(input: PriorityInput, s: PrioritySettings): PriorityScore {
  const factors: PriorityFactor[] = [];
  const add = (factor: PriorityFactor['factor'], detail: string, points: number) => {
    if (points !== 0) factors.push({ factor, detail, points });
  };
  add('tier', input.tier, s.tiers[input.tier]);
  const category = Object.keys(s.categories).find((c) => c.toLowerCase() === input.category.toLowerCase());
  add('category', input.category, category !== undefined ? s.categories[category] : s.otherCategory);
  const text = searchableText(input.subject, input.description);
  const seen = new Set<string>();
  for (const keyword of s.urgentKeywords) {
    const k = keyword.toLowerCase();
    if (seen.has(k) || !containsPhrase(text, k)) continue;
    seen.add(k);
    add('keyword', k, s.keywordPoints);
  }
  if (input.attachments > 0) add('attachments', String(input.attachments), s.attachmentPoints);
  if (input.recentTickets > s.frequentRequesterTickets) {
    add('frequent_requester', `${input.recentTickets} tickets in ${s.recentWindowDays} days`, s.frequentRequesterPoints);
  }
  if (input.lastTicketAt && input.now.getTime() - input.lastTicketAt.getTime() < s.repeatWithinHours * 3600_000) {
    add('repeat_requester', `previous ticket ${input.lastTicketAt.toISOString()}`, s.repeatPoints);
  }
  const score = factors.reduce((sum, f) => sum + f.points, 0);
  const calculated: TicketPriority =
    score >= s.thresholds.critical ? 'critical' : score >= s.thresholds.high ? 'high' : score >= s.thresholds.normal ? 'normal' : 'low';
  const keepExplicit = input.explicit !== undefined && s.explicitPriorityWins;
  return {
    score,
    calculated,
    priority: keepExplicit ? input.explicit! : calculated,
    source: keepExplicit ? 'explicit' : 'calculated',
    factors,
  };
}
