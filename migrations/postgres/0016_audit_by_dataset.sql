-- The audit entries of one dataset, in log order: what was served from it (disclosure reports
-- per data subject).
CREATE INDEX audit_log_by_dataset ON audit_log (dataset, seq);
