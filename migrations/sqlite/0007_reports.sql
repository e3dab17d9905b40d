-- Reports: the schedule a run was made under (freshness against it) and the rows quarantined
-- per reason (`{"rule:field": rows}` as JSON).
ALTER TABLE runs ADD COLUMN schedule TEXT;
ALTER TABLE runs ADD COLUMN quarantine_reasons TEXT;
