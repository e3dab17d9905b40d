-- When a running run was last seen alive: a run not seen for longer than its lease is marked
-- `interrupted` (its process died).
ALTER TABLE runs ADD COLUMN heartbeat_at TEXT;
-- The encoding a run was told to read its input in instead of the pipeline's (`--encoding`).
ALTER TABLE runs ADD COLUMN encoding TEXT;
