-- The first master id each source record had: a cluster split off after a merge gets back the
-- id its records had first, so ids stay stable under any sequence of steward decisions.
ALTER TABLE entity_xref ADD COLUMN first_master_id TEXT;
