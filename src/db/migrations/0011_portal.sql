-- 0011 customer portal: one-time sign-in links e-mailed to requesters, requester sessions,
-- and the per-organization switch that lets its requesters see each other's tickets.

-- A sign-in link is requested by the web (a row with no token yet) and issued by the
-- `portal.sign_in_mail` job, which makes the token, stores only its SHA-256 and e-mails it:
-- the token itself is never written anywhere, not even into the job's payload.
CREATE TABLE portal_sign_in_links (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  requester_id uuid NOT NULL REFERENCES requesters(id) ON DELETE CASCADE,
  -- where the link points: PUBLIC_URL, else the origin the request came to
  base_url     text NOT NULL,
  -- the portal page to open once signed in (a ticket's page the requester was sent to), or NULL for the list
  return_to    text,
  requested_at timestamptz NOT NULL,
  token_hash   bytea,
  expires_at   timestamptz,
  used_at      timestamptz
);
-- Serves redeeming a token (and makes a token usable by one link only).
CREATE UNIQUE INDEX portal_sign_in_links_token_key ON portal_sign_in_links (token_hash);
-- Serves the cleanup of old links.
CREATE INDEX portal_sign_in_links_requested_idx ON portal_sign_in_links (requested_at);

CREATE TABLE portal_sessions (
  -- sha256 of the cookie value: a leaked table does not leak sessions
  token_hash   bytea PRIMARY KEY,
  requester_id uuid NOT NULL REFERENCES requesters(id) ON DELETE CASCADE,
  csrf_token   text NOT NULL,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL
);
-- Serves ending every session of a requester and the cleanup of expired ones.
CREATE INDEX portal_sessions_requester_idx ON portal_sessions (requester_id);

-- When true, every requester of the organization sees the organization's tickets in the portal
-- (GET /portal/tickets?scope=organization); off by default: a requester sees only their own.
ALTER TABLE organizations ADD COLUMN portal_shared boolean NOT NULL DEFAULT false;
