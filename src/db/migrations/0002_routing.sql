-- 0002 routing: assignment rules, category skills, round-robin cursors, the
-- waiting queue, and the priority score kept on each ticket.

-- Which ticket statuses count as an agent's load. Pending (waiting on the
-- customer) counts only when the admin says so (settings key 'routing').
-- One definition for every query that counts load, in every process.
CREATE FUNCTION load_statuses() RETURNS text[] LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN coalesce((SELECT (value->>'pendingCountsAsLoad')::boolean FROM settings WHERE key = 'routing'), false)
              THEN ARRAY['new','open','in_progress','pending']
              ELSE ARRAY['new','open','in_progress'] END
$$;

ALTER TABLE agents ADD COLUMN last_assigned_at timestamptz;

ALTER TABLE tickets
  -- the priority calculator's score and each factor's contribution
  ADD COLUMN priority_score   integer,
  ADD COLUMN priority_factors jsonb,
  -- skills an agent needs to be given this ticket from the queue
  ADD COLUMN routing_skills   text[] NOT NULL DEFAULT '{}',
  -- set while the ticket waits for an agent to be free (NULL: not waiting, or a
  -- queue agents pick from by hand)
  ADD COLUMN queued_at        timestamptz,
  -- a waiting ticket only this agent may take (a specific_agent rule whose agent was away)
  ADD COLUMN routing_agent_id uuid REFERENCES agents(id) ON DELETE SET NULL,
  -- agents who gave the ticket up: the queue never hands it back to them
  ADD COLUMN routing_excluded uuid[] NOT NULL DEFAULT '{}',
  -- in a queue agents pick from by hand (a `group` rule): never assigned automatically
  ADD COLUMN manual_queue     boolean NOT NULL DEFAULT false,
  -- the latest routing decision: method, rule, candidates and why each was skipped
  ADD COLUMN assignment       jsonb;

-- Serves queue draining: the oldest most urgent waiting ticket first.
CREATE INDEX tickets_queue_idx ON tickets (priority_rank, created_at, id)
  WHERE queued_at IS NOT NULL AND assignee_id IS NULL;

CREATE TABLE assignment_rules (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        varchar(255) NOT NULL,
  position    integer NOT NULL,
  is_active   boolean NOT NULL DEFAULT true,
  -- {categories?, subcategories?, priorities?, tiers?, organizations?, sources?, tags?, keywords?}
  conditions  jsonb NOT NULL DEFAULT '{}',
  -- {type, agentId?, group?, skills?}
  action      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Serves rule evaluation in order.
CREATE INDEX assignment_rules_position_idx ON assignment_rules (position, created_at) WHERE is_active;

-- Skills a category (optionally narrowed by subcategory; '' = any) requires.
CREATE TABLE category_skills (
  category    varchar(100) NOT NULL,
  subcategory varchar(100) NOT NULL DEFAULT '',
  skills      text[] NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (category, subcategory)
);

-- Round-robin position per scope ('group:<id>' or 'all'): the last agent given a
-- ticket. Its row lock serialises round-robin decisions of one scope across processes.
CREATE TABLE routing_cursors (
  scope         text PRIMARY KEY,
  last_agent_id uuid,
  updated_at    timestamptz NOT NULL DEFAULT now()
);
