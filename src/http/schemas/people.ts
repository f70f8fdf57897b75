import { z } from 'zod';

export const Role = z.enum(['agent', 'supervisor', 'admin']);
export const Presence = z.enum(['online', 'away', 'busy', 'offline']);
export const Tier = z.enum(['free', 'standard', 'premium', 'enterprise']);
const Slug = z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'Lower-case letters, digits, - and _').max(100);
const Password = z.string().min(8).max(256);

export const Agent = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  role: Role,
  groups: z.array(z.string()),
  skills: z.array(z.string()),
  maxConcurrentTickets: z.number().int(),
  currentTickets: z.number().int(),
  status: Presence,
  active: z.boolean().describe('false: deactivated (cannot sign in, never routed)'),
  lastActiveAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const CreateAgentBody = z.strictObject({
  name: z.string().trim().min(1).max(255),
  email: z.email().max(320),
  role: Role.optional(),
  groups: z.array(Slug).max(100).optional(),
  skills: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
  maxConcurrentTickets: z.number().int().min(0).max(1000).optional(),
  status: Presence.optional(),
  password: Password.optional(),
});
export const UpdateAgentBody = CreateAgentBody.partial().extend({
  /** false deactivates (admins only): signed out everywhere, tokens refused, open tickets back to the queue, never routed; true reactivates */
  active: z.boolean().optional(),
});

export const Group = z.object({
  id: z.uuid(),
  slug: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  memberCount: z.number().int(),
  members: z
    .array(z.object({ id: z.uuid(), name: z.string(), status: Presence, load: z.number().int(), capacity: z.number().int() }))
    .optional()
    .describe('active members with their live load (open tickets counted now)'),
  load: z.number().int().optional().describe('open tickets assigned to members'),
  capacity: z.number().int().optional().describe('sum of the members’ capacity'),
  waiting: z.number().int().optional().describe('unassigned open tickets in this queue'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const CreateGroupBody = z.strictObject({
  slug: Slug.optional().describe('defaults to the name, lower-cased, with other characters turned into -'),
  name: z.string().trim().min(1).max(255),
  description: z.string().max(2000).optional(),
});
export const UpdateGroupBody = z.strictObject({ name: z.string().trim().min(1).max(255), description: z.string().max(2000).nullable() }).partial();

export const Requester = z.object({
  id: z.uuid(),
  name: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  userId: z.uuid().nullable(),
  organization: z.string().nullable(),
  organizationId: z.uuid().nullable(),
  tier: Tier,
  ownTier: Tier.nullable(),
  /** mail to this address bounced: nothing is sent to it until an agent clears the mark */
  emailBouncing: z.object({ since: z.string(), reason: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const UpdateRequesterBody = z
  .strictObject({
    name: z.string().trim().min(1).max(255),
    phone: z.string().trim().max(50).nullable(),
    organization: z.string().trim().min(1).max(255).nullable(),
    tier: Tier.nullable(),
    /** false clears the bouncing mark (the address was fixed, the mailbox is back) */
    emailBouncing: z.literal(false),
  })
  .partial();

export const Organization = z.object({ id: z.uuid(), name: z.string(), tier: Tier, createdAt: z.string(), updatedAt: z.string() });
export const CreateOrganizationBody = z.strictObject({ name: z.string().trim().min(1).max(255), tier: Tier.optional() });
export const UpdateOrganizationBody = CreateOrganizationBody.partial();

export const LoginBody = z.strictObject({ email: z.email().max(320), password: z.string().min(1).max(256) });
export const ApiToken = z.object({
  id: z.uuid(),
  agentId: z.uuid(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
