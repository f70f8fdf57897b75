-- 0003 SLA: business-hours calendars, policies with targets and escalation,
-- each ticket's computed SLA state, and the warnings and breaches recorded.

CREATE TABLE calendars (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        varchar(255) NOT NULL,
  timezone    text NOT NULL,
  -- {mon: [["09:00","17:00"]], …}: local wall time, validated by the application
  hours       jsonb NOT NULL,
  -- [{date: "2026-12-25", name, recurring?}]
  holidays    jsonb NOT NULL DEFAULT '[]',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The seed's policy, in minutes (response_time_minutes is the first-response
-- target), extended: a calendar (NULL = 24×7), a next-response target, targets
-- per priority overriding the defaults, a warning threshold and escalation actions.
ALTER TABLE sla_policies
  ADD COLUMN calendar_id           uuid REFERENCES calendars(id) ON DELETE RESTRICT,
  ADD COLUMN next_response_minutes integer CHECK (next_response_minutes > 0),
  -- {critical: {firstResponseMinutes?, nextResponseMinutes?, resolutionMinutes?}, …}
  ADD COLUMN targets_by_priority   jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN warn_at_percent       integer NOT NULL DEFAULT 80 CHECK (warn_at_percent BETWEEN 1 AND 99),
  -- {notify?: boolean, raisePriority?: boolean, moveToGroup?: slug}
  ADD COLUMN escalation            jsonb NOT NULL DEFAULT '{}';
-- Serves policy matching in order.
CREATE INDEX sla_policies_position_idx ON sla_policies (position, created_at) WHERE is_active;

-- ticket_sla keeps the seed's columns (response_due, resolution_due, response_met,
-- resolution_met) and adds the state derived from the ticket's history.
ALTER TABLE ticket_sla
  ADD COLUMN paused         boolean NOT NULL DEFAULT false,
  -- 'ok' | 'at_risk' | 'breached' | 'met' | 'paused' — the worst over the open targets
  ADD COLUMN state          text NOT NULL DEFAULT 'ok' CHECK (state IN ('ok','at_risk','breached','met','paused')),
  -- [{target, dueAt, warnAt, startedAt, elapsedMinutes, status, metAt}]
  ADD COLUMN targets        jsonb NOT NULL DEFAULT '[]',
  -- the next instant something must happen (a warning or a breach): its job runs then
  ADD COLUMN next_check_at  timestamptz,
  -- the earliest open breach deadline (sortBy=slaDue)
  ADD COLUMN next_due_at    timestamptz,
  ADD COLUMN updated_at     timestamptz NOT NULL DEFAULT now();
-- Serves sortBy=slaDue and the "breaching soon" views.
CREATE INDEX ticket_sla_next_due_idx ON ticket_sla (next_due_at) WHERE next_due_at IS NOT NULL;
-- Serves ?slaStatus=.
CREATE INDEX ticket_sla_state_idx ON ticket_sla (state);

CREATE TABLE sla_events (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  ticket_id   uuid NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
  policy_id   uuid REFERENCES sla_policies(id) ON DELETE SET NULL,
  kind        text NOT NULL CHECK (kind IN ('warning','breach')),
  target      text NOT NULL CHECK (target IN ('first_response','next_response','resolution')),
  due_at      timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL,
  -- exactly once, however often or late the job runs: one row per deadline
  UNIQUE (ticket_id, target, kind, due_at)
);
-- Serves GET /tickets/:id/sla-events (and the unique key above serves it too).
CREATE INDEX sla_events_recorded_idx ON sla_events (recorded_at);
