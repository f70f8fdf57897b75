-- Searches and views filtered by group, status and priority (`status:open priority>=high group:billing`,
-- the commonest triage queue) count their matches exactly up to 10,001. With the index on
-- (group, status) alone, every candidate ticket was visited for its priority: 263 ms at p95 on
-- 1,000,000 tickets (bench:search, 2026-11-29). The wider index answers group, status and priority
-- from the index and replaces the narrower one, so ticket writes maintain no more indexes than before.
CREATE INDEX tickets_group_status_priority_idx ON tickets (assignee_group_id, status, priority);
DROP INDEX tickets_group_idx;
