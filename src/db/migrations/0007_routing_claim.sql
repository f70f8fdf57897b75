-- The claim half of a routing decision in one round trip (src/domain/routing/engine.ts decide()).
--
-- Before: the application took the round-robin cursor, then for each candidate a savepoint, the
-- agent's row lock, a count of its open tickets and the assignment record — five to eight round
-- trips per new ticket, each costing the application and the server a message exchange. The
-- function does the same steps with the same locks in the same order, server-side:
--
-- * the scope's round-robin cursor first (waiting, or SKIP LOCKED in 'skip' mode → {"cursorLocked": true});
--   the candidates, given in id order for round robin, are rotated to start after it;
-- * then one agent row at a time (FOR NO KEY UPDATE, so foreign-key checks of tickets are not
--   blocked), re-checking presence, membership and skills under the lock and counting the load in
--   a statement of its own — a volatile PL/pgSQL function takes a new snapshot per statement, so
--   the count sees every assignment the lock's previous holder committed;
-- * an agent found full or no longer eligible is released at once (its block is rolled back by an
--   exception: a transaction never waits for an agent while holding another);
-- * 'wait' mode: round robin waits for each agent in turn; the other strategies first take the
--   agents nobody holds (SKIP LOCKED), then wait for the busy ones; 'skip' mode never waits.
--
-- Returns {"agent": {id, name, email, role, capacity, load} | null, "tried": [{id, reason, load}]}.
CREATE FUNCTION triage_route_claim(
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
          SELECT count(*)::int INTO v_load FROM tickets WHERE assignee_id = v_id AND status = ANY(load_statuses());
          IF v_load < v_agent.capacity THEN
            IF p_cursor_scope IS NOT NULL THEN
              UPDATE routing_cursors SET last_agent_id = v_id, updated_at = p_now WHERE scope = p_cursor_scope;
            END IF;
            UPDATE agents SET last_assigned_at = p_now WHERE id = v_id;
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
