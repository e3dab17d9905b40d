-- The address (ip:port) a request came from, in its audit entry (part of the chained content).
ALTER TABLE audit_log ADD COLUMN peer TEXT NOT NULL DEFAULT '';
