-- Where each pipeline's source stopped (last file read, HTTP validators, SQL cursor), saved only
-- after a successful run.
CREATE TABLE source_state (
    pipeline    TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (pipeline, name)
);

-- Leases: one holder at a time per name (a pipeline's run, the scheduler's backup job); a lease
-- not renewed before expires_at may be taken by another instance.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Scheduled fire times claimed by an instance: a slot is run once, whatever the instances.
CREATE TABLE schedule_slots (
    job         TEXT NOT NULL,
    slot        TEXT NOT NULL,
    holder      TEXT NOT NULL,
    claimed_at  TEXT NOT NULL,
    PRIMARY KEY (job, slot)
);
