-- Retention per dataset: when a version's or a run's quarantine file was removed, and what
-- each retention pass removed (shown by `lgsp status` and the reports).
ALTER TABLE versions ADD COLUMN quarantine_pruned_at TEXT;
ALTER TABLE runs ADD COLUMN quarantine_pruned_at TEXT;
CREATE TABLE retention_log (
    at       TEXT NOT NULL,
    dataset  TEXT NOT NULL,
    -- versions (files), records (history rows), quarantine (files), audit (entries redacted)
    kind     TEXT NOT NULL,
    removed  BIGINT NOT NULL,
    detail   TEXT NOT NULL
);
CREATE INDEX retention_log_by_at ON retention_log (at);
