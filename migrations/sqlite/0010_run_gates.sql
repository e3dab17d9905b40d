-- The quality gates a held run tripped (a JSON array), and the steward's decision on it
-- (`approved` or `rejected` in `status`; who decided, and when).
ALTER TABLE runs ADD COLUMN gates TEXT;
ALTER TABLE runs ADD COLUMN decided_by TEXT;
ALTER TABLE runs ADD COLUMN decided_at TEXT;
