-- Retention: a version whose files were removed keeps its row (counts, manifest checksum) and
-- says when its files went.
ALTER TABLE versions ADD COLUMN pruned_at TEXT;
