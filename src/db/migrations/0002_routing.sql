-- 0002 routing: assignment rules, category skills, round-robin cursors, the
-- waiting queue, and the priority score kept on each ticket.

-- Whether pending tickets (waiting on the customer) count as an agent's load:
-- the admin's routing setting, read by every query that needs the load.
CREATE FUNCTION pending_counts_as_load() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT (value->>'pendingCountsAsLoad')::boolean FROM settings WHERE key = 'routing'), false)
$$;

-- Each agent's open work: the count of their assigned tickets by status class,
-- maintained by the triggers below in the same transaction as every change to
-- a ticket's assignee or status. It is count(*) materialised — exact at every
-- commit, never written by application code, so it cannot drift — and lets
-- routing read one row per candidate instead of counting hundreds of index
-- entries per candidate (bench/RESULTS.md, Routing).
CREATE TABLE agent_loads (
  agent_id      uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
  -- new, open, in_progress
  open_count    integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
  pending_count integer NOT NULL DEFAULT 0 CHECK (pending_count >= 0)
);
INSERT INTO agent_loads (agent_id, open_count, pending_count)
  SELECT t.assignee_id, count(*) FILTER (WHERE t.status IN ('new','open','in_progress')), count(*) FILTER (WHERE t.status = 'pending')
    FROM tickets t WHERE t.assignee_id IS NOT NULL GROUP BY t.assignee_id;

-- A negative delta only ever follows a positive one, so its row exists: a plain
-- UPDATE (an upsert would check the would-be row, -1, against the CHECK first).
CREATE FUNCTION agent_load_add(agent uuid, st text, delta integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  o integer := CASE WHEN st IN ('new','open','in_progress') THEN delta ELSE 0 END;
  p integer := CASE WHEN st = 'pending' THEN delta ELSE 0 END;
BEGIN
  IF o = 0 AND p = 0 THEN RETURN; END IF;
  IF delta < 0 THEN
    UPDATE agent_loads SET open_count = open_count + o, pending_count = pending_count + p WHERE agent_id = agent;
  ELSE
    INSERT INTO agent_loads (agent_id, open_count, pending_count) VALUES (agent, o, p)
    ON CONFLICT (agent_id) DO UPDATE SET open_count = agent_loads.open_count + excluded.open_count,
                                         pending_count = agent_loads.pending_count + excluded.pending_count;
  END IF;
END $$;

CREATE FUNCTION tickets_track_agent_load() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o uuid;
  n uuid;
BEGIN
  IF TG_OP <> 'INSERT' THEN o := OLD.assignee_id; END IF;
  IF TG_OP <> 'DELETE' THEN n := NEW.assignee_id; END IF;
  -- two agents' rows are always updated in id order, so concurrent hand-overs cannot deadlock
  IF o IS NOT NULL AND (n IS NULL OR o <= n) THEN PERFORM agent_load_add(o, OLD.status, -1); END IF;
  IF n IS NOT NULL THEN PERFORM agent_load_add(n, NEW.status, 1); END IF;
  IF o IS NOT NULL AND n IS NOT NULL AND o > n THEN PERFORM agent_load_add(o, OLD.status, -1); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER tickets_agent_load_insert AFTER INSERT ON tickets
  FOR EACH ROW WHEN (NEW.assignee_id IS NOT NULL) EXECUTE FUNCTION tickets_track_agent_load();
CREATE TRIGGER tickets_agent_load_update AFTER UPDATE OF assignee_id, status ON tickets
  FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION tickets_track_agent_load();
CREATE TRIGGER tickets_agent_load_delete AFTER DELETE ON tickets
  FOR EACH ROW WHEN (OLD.assignee_id IS NOT NULL) EXECUTE FUNCTION tickets_track_agent_load();

-- An agent's load now: open tickets, plus pending ones when the setting says so.
CREATE FUNCTION load_of(agent uuid) RETURNS integer LANGUAGE sql STABLE AS $$
  SELECT coalesce((SELECT l.open_count + CASE WHEN pending_counts_as_load() THEN l.pending_count ELSE 0 END
                     FROM agent_loads l WHERE l.agent_id = agent), 0)
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
