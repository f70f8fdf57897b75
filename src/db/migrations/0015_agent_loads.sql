-- Agent load kept by the database in the writing transaction (issue 3's benchmark).
--
-- Load was counted from the tickets on every decision: the pool snapshot counted every member's
-- open tickets (25 agents × ~200 index entries at 100,000 open tickets) and the claim counted the
-- chosen agent's again — most of routing's cost in PostgreSQL's CPU (bench:routing 03:21).
--
-- The count is now kept per agent by a row trigger on tickets, in the same transaction as the
-- change that moves it: every INSERT, UPDATE of assignee or status, and DELETE of a ticket, by any
-- command, any process or plain SQL, moves the counters of the agents involved before it commits,
-- and a rollback takes the change back with it. So the stored numbers are the count of the tickets
-- (what the seed's drifting `current_tickets` counter was not: it was bumped by the application on
-- some paths and forgotten on others). Counters never go below zero (a CHECK fails loudly rather
-- than drift), the test suite compares them with a count after every concurrency test, and the
-- maintenance job verifies them against the tickets (src/jobs/maintenance.ts).
--
-- Two numbers per agent, because "pending counts as load" is a setting: `open_count` (new, open,
-- in_progress) and `pending_count`. The view agent_load_now is the load routing uses.
--
-- `last_assigned_at` (least busy's tie-break: the agent given a ticket longest ago) moves here from
-- `agents`, set by the same trigger whenever a ticket's assignee becomes the agent (routing or by
-- hand): the claim no longer writes the agent's row as well — one row version less per ticket, on a
-- table every request reads.
--
-- Locking: the trigger updates the agents' rows in agent-id order (a reassignment touches two),
-- after the ticket row it belongs to. Automatic assignment already holds the agent's row in
-- `agents` (FOR NO KEY UPDATE) while it reads the load and writes the ticket, so the counter row
-- adds no new wait there; a resolve waits at most for an in-flight assignment to the same agent.
CREATE TABLE agent_loads (
  agent_id      uuid PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
  open_count    integer NOT NULL DEFAULT 0 CHECK (open_count >= 0),
  pending_count integer NOT NULL DEFAULT 0 CHECK (pending_count >= 0),
  last_assigned_at timestamptz
);

-- Sets the agents' counters (all agents when p_agents is NULL) from a count of their tickets: the
-- backfill below, bulk loads made with the triggers disabled, and the maintenance run's repair
-- (src/db/repositories/routing.ts verifyAgentLoads).
CREATE FUNCTION triage_recount_agent_loads(p_agents uuid[] DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
  INSERT INTO agent_loads (agent_id, open_count, pending_count)
  SELECT a.id,
         (SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status IN ('new','open','in_progress')),
         (SELECT count(*) FROM tickets t WHERE t.assignee_id = a.id AND t.status = 'pending')
    FROM agents a WHERE p_agents IS NULL OR a.id = ANY(p_agents)
  ON CONFLICT (agent_id) DO UPDATE SET open_count = excluded.open_count, pending_count = excluded.pending_count
$$;
SELECT triage_recount_agent_loads();
UPDATE agent_loads l SET last_assigned_at = a.last_assigned_at FROM agents a WHERE a.id = l.agent_id;
ALTER TABLE agents DROP COLUMN last_assigned_at;

CREATE FUNCTION triage_agent_loads_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO agent_loads (agent_id) VALUES (NEW.id) ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$$;
CREATE TRIGGER agents_load_row AFTER INSERT ON agents FOR EACH ROW EXECUTE FUNCTION triage_agent_loads_row();

-- 'open', 'pending' or NULL (not load)
CREATE FUNCTION triage_load_kind(status text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN status IN ('new','open','in_progress') THEN 'open' WHEN status = 'pending' THEN 'pending' END
$$;

CREATE FUNCTION triage_agent_load_add(p_agent uuid, p_kind text, p_delta int, p_given boolean) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE agent_loads
     SET open_count = open_count + CASE WHEN p_kind = 'open' THEN p_delta ELSE 0 END,
         pending_count = pending_count + CASE WHEN p_kind = 'pending' THEN p_delta ELSE 0 END,
         last_assigned_at = CASE WHEN p_given THEN now() ELSE last_assigned_at END
   WHERE agent_id = p_agent;
  -- An agent without a load row (every agent gets one when inserted; only a row deleted by hand
  -- lacks it) is left to the maintenance run, which recounts it: counting here would count the
  -- other rows of a multi-row statement twice (their own triggers run after this one).
END
$$;

CREATE FUNCTION triage_agent_loads_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  o_agent uuid;
  o_kind  text;
  n_agent uuid;
  n_kind  text;
  given   boolean;
BEGIN
  IF TG_OP <> 'INSERT' THEN
    o_agent := OLD.assignee_id;
    o_kind := triage_load_kind(OLD.status);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    n_agent := NEW.assignee_id;
    n_kind := triage_load_kind(NEW.status);
  END IF;
  -- the ticket's assignee became this agent (not a status change of a ticket they already had)
  given := n_agent IS NOT NULL AND o_agent IS DISTINCT FROM n_agent;
  IF o_agent = n_agent THEN
    -- the same agent, another status: one row, both counters
    IF o_kind IS DISTINCT FROM n_kind THEN
      UPDATE agent_loads
         SET open_count = open_count + (n_kind IS NOT DISTINCT FROM 'open')::int - (o_kind IS NOT DISTINCT FROM 'open')::int,
             pending_count = pending_count + (n_kind IS NOT DISTINCT FROM 'pending')::int - (o_kind IS NOT DISTINCT FROM 'pending')::int
       WHERE agent_id = n_agent;
    END IF;
    RETURN NULL;
  END IF;
  IF o_kind IS NULL THEN o_agent := NULL; END IF;
  IF n_kind IS NULL AND NOT given THEN n_agent := NULL; END IF;
  -- in agent-id order, so that two reassignments between the same two agents cannot deadlock
  IF o_agent IS NOT NULL AND n_agent IS NOT NULL AND n_agent < o_agent THEN
    PERFORM triage_agent_load_add(n_agent, n_kind, 1, given);
    PERFORM triage_agent_load_add(o_agent, o_kind, -1, false);
  ELSE
    IF o_agent IS NOT NULL THEN PERFORM triage_agent_load_add(o_agent, o_kind, -1, false); END IF;
    IF n_agent IS NOT NULL THEN PERFORM triage_agent_load_add(n_agent, n_kind, 1, given); END IF;
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER tickets_agent_load_insert AFTER INSERT ON tickets
  FOR EACH ROW WHEN (NEW.assignee_id IS NOT NULL) EXECUTE FUNCTION triage_agent_loads_tickets();
CREATE TRIGGER tickets_agent_load_update AFTER UPDATE OF assignee_id, status ON tickets
  FOR EACH ROW WHEN (OLD.assignee_id IS DISTINCT FROM NEW.assignee_id OR OLD.status IS DISTINCT FROM NEW.status)
  EXECUTE FUNCTION triage_agent_loads_tickets();
CREATE TRIGGER tickets_agent_load_delete AFTER DELETE ON tickets
  FOR EACH ROW WHEN (OLD.assignee_id IS NOT NULL) EXECUTE FUNCTION triage_agent_loads_tickets();

-- Which statuses count as load (migration 0002), now in PL/pgSQL: a SQL function that is not inlined
-- is planned again on every call (~40 µs — once per statement reading a load, once per agent tried
-- by a claim); PL/pgSQL keeps its plan for the session (~5 µs).
CREATE OR REPLACE FUNCTION load_statuses() RETURNS text[] LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN CASE WHEN coalesce((SELECT (value->>'pendingCountsAsLoad')::boolean FROM settings WHERE key = 'routing'), false)
              THEN ARRAY['new','open','in_progress','pending']
              ELSE ARRAY['new','open','in_progress'] END;
END
$$;

-- The load routing counts for each agent now: open tickets, and pending ones when the routing
-- setting says so (load_statuses(), migration 0002: an uncorrelated subquery, so PostgreSQL reads
-- the setting once per statement as an InitPlan, not once per agent).
CREATE VIEW agent_load_now AS
  SELECT l.agent_id, l.open_count + CASE WHEN (SELECT 'pending' = ANY(load_statuses())) THEN l.pending_count ELSE 0 END AS load,
         l.last_assigned_at
    FROM agent_loads l;

-- The claim (migration 0007) reads the stored load under the agent's lock instead of counting, and
-- no longer writes the agent's row (last_assigned_at is set by the load trigger).
CREATE OR REPLACE FUNCTION triage_route_claim(
  p_order uuid[], p_cursor_scope text, p_mode text, p_wait_each boolean,
  p_group_id uuid, p_skills text[], p_now timestamptz
) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE
  v_last   uuid;
  v_order  uuid[] := p_order;
  v_busy   uuid[] := '{}';
  v_tried  jsonb := '[]';
  v_id     uuid;
  v_pass   int;
  v_wait   boolean;
  v_agent  record;
  v_load   int;
  v_reason text;
BEGIN
  IF p_cursor_scope IS NOT NULL THEN
    IF p_mode = 'skip' THEN
      INSERT INTO routing_cursors (scope, updated_at) VALUES (p_cursor_scope, p_now) ON CONFLICT (scope) DO NOTHING;
      SELECT last_agent_id INTO v_last FROM routing_cursors WHERE scope = p_cursor_scope FOR UPDATE SKIP LOCKED;
      IF NOT FOUND THEN
        RETURN jsonb_build_object('cursorLocked', true);
      END IF;
    ELSE
      INSERT INTO routing_cursors (scope, updated_at) VALUES (p_cursor_scope, p_now)
        ON CONFLICT (scope) DO UPDATE SET scope = excluded.scope
        RETURNING last_agent_id INTO v_last;
    END IF;
    IF v_last IS NOT NULL THEN
      v_order := ARRAY(SELECT x FROM unnest(p_order) WITH ORDINALITY AS u(x, i) ORDER BY (x <= v_last), i);
    END IF;
  END IF;

  FOR v_pass IN 1..2 LOOP
    EXIT WHEN v_pass = 2 AND (p_mode <> 'wait' OR p_wait_each OR cardinality(v_busy) = 0);
    v_wait := p_wait_each OR v_pass = 2;
    FOREACH v_id IN ARRAY CASE WHEN v_pass = 1 THEN v_order ELSE v_busy END LOOP
      v_load := NULL;
      BEGIN
        IF v_wait THEN
          SELECT a.id, a.name, a.email, a.role, a.status, a.active, a.max_concurrent_tickets AS capacity, a.skills
            INTO v_agent FROM agents a WHERE a.id = v_id FOR NO KEY UPDATE;
          v_reason := CASE WHEN FOUND THEN NULL ELSE 'inactive' END;
        ELSE
          SELECT a.id, a.name, a.email, a.role, a.status, a.active, a.max_concurrent_tickets AS capacity, a.skills
            INTO v_agent FROM agents a WHERE a.id = v_id FOR NO KEY UPDATE SKIP LOCKED;
          IF NOT FOUND THEN
            IF EXISTS (SELECT 1 FROM agents WHERE id = v_id) THEN
              v_busy := v_busy || v_id;
              CONTINUE;
            END IF;
            v_reason := 'inactive';
          ELSE
            v_reason := NULL;
          END IF;
        END IF;
        IF v_reason IS NULL THEN
          v_reason := CASE
            WHEN NOT v_agent.active THEN 'inactive'
            WHEN v_agent.status <> 'online' THEN v_agent.status
            WHEN p_group_id IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM agent_groups WHERE agent_id = v_id AND group_id = p_group_id) THEN 'not_in_group'
            WHEN NOT (v_agent.skills @> p_skills) THEN 'missing_skill'
            ELSE NULL END;
        END IF;
        IF v_reason IS NULL THEN
          -- a statement of its own, after the lock: it sees what the lock's previous holder committed
          SELECT n.load INTO v_load FROM agent_load_now n WHERE n.agent_id = v_id;
          v_load := coalesce(v_load, 0);
          IF v_load < v_agent.capacity THEN
            IF p_cursor_scope IS NOT NULL THEN
              UPDATE routing_cursors SET last_agent_id = v_id, updated_at = p_now WHERE scope = p_cursor_scope;
            END IF;
            RETURN jsonb_build_object(
              'agent', jsonb_build_object('id', v_id, 'name', v_agent.name, 'email', v_agent.email, 'role', v_agent.role,
                                          'capacity', v_agent.capacity, 'load', v_load),
              'tried', v_tried);
          END IF;
          v_reason := 'at_capacity';
        END IF;
        v_tried := v_tried || jsonb_build_array(jsonb_build_object('id', v_id, 'reason', v_reason, 'load', v_load));
        -- release this agent's row: roll the block back (local variables keep their values)
        RAISE EXCEPTION USING ERRCODE = 'TRC01';
      EXCEPTION WHEN SQLSTATE 'TRC01' THEN
        NULL;
      END;
    END LOOP;
  END LOOP;
  RETURN jsonb_build_object('agent', NULL, 'tried', v_tried);
END
$$;

-- A whole routing decision in one round trip (src/domain/routing/engine.ts decide()): the group by
-- its slug, the pool (a group's active members, one agent, or every active agent) with presence,
-- skills, capacity and load, the eligible agents in the order the strategy tries them, then the
-- claim (triage_route_claim above: cursor, agent locks, load under the lock). It was two: the pool
-- snapshot, then the claim — and at 16 creates at once on two cores every round trip waits for a
-- CPU, so the decision's time was mostly the wait between the two.
--
-- The order is the chooser's (src/domain/routing/chooser.ts rankCandidates): round robin by id
-- (the claim rotates it past the cursor it locks); least busy and skill based by load, then the
-- agent given a ticket longest ago (never first), then id; a specific agent alone. The chooser still
-- explains the decision from the pool returned here, and the simulator (p_mode 'none') ranks in
-- TypeScript with the cursor read here, changing nothing; a test holds the two to the same answer.
--
-- Returns one row per agent of the pool (one row of NULL agent columns when it is empty), each with
-- the group; the claim (triage_route_claim's answer, or NULL: nobody eligible, a queue agents pick
-- from by hand, or a simulation) and the scope's cursor (a simulation only) on the first row. Rows,
-- not JSON: building a JSON pool cost PostgreSQL ~7 µs per agent, more than the rest of the decision.
CREATE TYPE triage_pool_agent AS (
  id uuid, name text, status text, active boolean, capacity int, load int, skills text[], last_assigned_at timestamptz
);

CREATE FUNCTION triage_route(
  p_group_slug text, p_scope text, p_agent uuid, p_skills text[], p_method text, p_auto boolean,
  p_exclude uuid[], p_mode text, p_now timestamptz
) RETURNS TABLE (
  group_id uuid, group_slug text, id uuid, name text, status text, active boolean, capacity int, load int, skills text[],
  last_assigned_at timestamptz, claim jsonb, cursor_agent uuid
) LANGUAGE plpgsql AS $$
DECLARE
  v_group_id   uuid;
  v_group_slug text;
  v_ids        uuid[];
  v_pool       triage_pool_agent[];
  v_order      uuid[];
  v_ranked     boolean := p_method IN ('least_busy', 'skill_based');
  v_scope      text;
  v_cursor     uuid;
  v_claim      jsonb;
BEGIN
  SELECT g.id, g.slug INTO v_group_id, v_group_slug FROM groups g WHERE g.slug = p_group_slug;
  IF p_scope = 'group' THEN
    SELECT coalesce(array_agg(ag.agent_id), '{}') INTO v_ids FROM agent_groups ag WHERE ag.group_id = v_group_id;
  ELSIF p_scope = 'agent' THEN
    v_ids := ARRAY[p_agent];
  ELSE
    SELECT coalesce(array_agg(a.id), '{}') INTO v_ids FROM agents a WHERE a.active;
  END IF;

  SELECT coalesce(array_agg(ROW(a.id, a.name, a.status, a.active, a.max_concurrent_tickets,
                                CASE WHEN a.active AND a.status = 'online' AND a.skills @> p_skills THEN coalesce(n.load, 0) END,
                                a.skills, n.last_assigned_at)::triage_pool_agent), '{}')
    INTO v_pool
    FROM agents a LEFT JOIN agent_load_now n ON n.agent_id = a.id
   WHERE a.id = ANY(v_ids) AND (a.active OR p_scope = 'agent');

  v_scope := CASE WHEN p_method = 'round_robin' AND p_auto THEN coalesce('group:' || v_group_id, 'all') END;
  IF p_mode = 'none' THEN
    SELECT c.last_agent_id INTO v_cursor FROM routing_cursors c WHERE c.scope = v_scope;
  ELSIF p_auto THEN
    SELECT coalesce(array_agg(p.id ORDER BY CASE WHEN v_ranked THEN p.load END,
                                            CASE WHEN v_ranked THEN p.last_assigned_at END NULLS FIRST, p.id), '{}')
      INTO v_order
      FROM unnest(v_pool) p
     WHERE p.active AND p.status = 'online' AND p.skills @> p_skills AND p.load < p.capacity
       AND NOT (p.id = ANY(p_exclude)) AND (p_method <> 'specific_agent' OR p.id = p_agent);
    -- nobody eligible: no cursor or agent is locked (the ticket waits in the queue)
    IF cardinality(v_order) > 0 THEN
      v_claim := triage_route_claim(
        v_order, v_scope, p_mode, p_mode = 'wait' AND p_method = 'round_robin',
        CASE WHEN p_method = 'specific_agent' THEN NULL ELSE v_group_id END, p_skills, p_now);
    END IF;
  END IF;
  RETURN QUERY
    SELECT v_group_id, v_group_slug, p.id, p.name, p.status, p.active, p.capacity, p.load, p.skills, p.last_assigned_at,
           CASE WHEN coalesce(p.i, 1) = 1 THEN v_claim END, CASE WHEN coalesce(p.i, 1) = 1 THEN v_cursor END
      FROM (SELECT 1) one LEFT JOIN unnest(v_pool) WITH ORDINALITY AS p(id, name, status, active, capacity, load, skills, last_assigned_at, i) ON true;
END
$$;
