-- Native types: every point in time becomes timestamptz (it was RFC 3339 text in UTC), and the
-- access generation counter's key a bigint like every other integer. The text converts as is:
-- the hub wrote it with microseconds and `Z`, which timestamptz keeps exactly.
ALTER TABLE datasets ALTER COLUMN updated_at TYPE timestamptz USING CAST(updated_at AS timestamptz);
ALTER TABLE versions ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz), ALTER COLUMN pruned_at TYPE timestamptz USING CAST(pruned_at AS timestamptz), ALTER COLUMN quarantine_pruned_at TYPE timestamptz USING CAST(quarantine_pruned_at AS timestamptz);
ALTER TABLE runs ALTER COLUMN started_at TYPE timestamptz USING CAST(started_at AS timestamptz), ALTER COLUMN finished_at TYPE timestamptz USING CAST(finished_at AS timestamptz), ALTER COLUMN decided_at TYPE timestamptz USING CAST(decided_at AS timestamptz), ALTER COLUMN heartbeat_at TYPE timestamptz USING CAST(heartbeat_at AS timestamptz), ALTER COLUMN quarantine_pruned_at TYPE timestamptz USING CAST(quarantine_pruned_at AS timestamptz);
ALTER TABLE catalogs ALTER COLUMN updated_at TYPE timestamptz USING CAST(updated_at AS timestamptz);
ALTER TABLE catalog_versions ALTER COLUMN loaded_at TYPE timestamptz USING CAST(loaded_at AS timestamptz);
ALTER TABLE agencies ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz);
ALTER TABLE clients ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz), ALTER COLUMN revoked_at TYPE timestamptz USING CAST(revoked_at AS timestamptz);
ALTER TABLE grants ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz), ALTER COLUMN revoked_at TYPE timestamptz USING CAST(revoked_at AS timestamptz);
ALTER TABLE tokens ALTER COLUMN expires_at TYPE timestamptz USING CAST(expires_at AS timestamptz), ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz);
ALTER TABLE client_pulls ALTER COLUMN pulled_at TYPE timestamptz USING CAST(pulled_at AS timestamptz);
ALTER TABLE audit_log ALTER COLUMN at TYPE timestamptz USING CAST(at AS timestamptz);
ALTER TABLE source_state ALTER COLUMN updated_at TYPE timestamptz USING CAST(updated_at AS timestamptz);
ALTER TABLE leases ALTER COLUMN expires_at TYPE timestamptz USING CAST(expires_at AS timestamptz);
ALTER TABLE schedule_slots ALTER COLUMN claimed_at TYPE timestamptz USING CAST(claimed_at AS timestamptz);
ALTER TABLE match_decisions ALTER COLUMN decided_at TYPE timestamptz USING CAST(decided_at AS timestamptz);
ALTER TABLE review_queue ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz);
ALTER TABLE retention_log ALTER COLUMN at TYPE timestamptz USING CAST(at AS timestamptz);
ALTER TABLE event_subscriptions ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz), ALTER COLUMN revoked_at TYPE timestamptz USING CAST(revoked_at AS timestamptz);
ALTER TABLE events ALTER COLUMN at TYPE timestamptz USING CAST(at AS timestamptz), ALTER COLUMN brokered_at TYPE timestamptz USING CAST(brokered_at AS timestamptz);
ALTER TABLE event_deliveries ALTER COLUMN next_at TYPE timestamptz USING CAST(next_at AS timestamptz), ALTER COLUMN delivered_at TYPE timestamptz USING CAST(delivered_at AS timestamptz);
ALTER TABLE event_sinks ALTER COLUMN since TYPE timestamptz USING CAST(since AS timestamptz);
ALTER TABLE console_users ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz), ALTER COLUMN disabled_at TYPE timestamptz USING CAST(disabled_at AS timestamptz);
ALTER TABLE console_sessions ALTER COLUMN created_at TYPE timestamptz USING CAST(created_at AS timestamptz), ALTER COLUMN seen_at TYPE timestamptz USING CAST(seen_at AS timestamptz), ALTER COLUMN expires_at TYPE timestamptz USING CAST(expires_at AS timestamptz);
ALTER TABLE access_generation ALTER COLUMN id TYPE BIGINT;
-- The metadata kept as JSON documents becomes jsonb: a run's timings, quarantine reasons and
-- gates, a grant's fields and protections. What consumers receive as the hub wrote it stays text:
-- record data, a dataset's key fields and schema, a catalog's spec and item attributes (jsonb
-- would reorder their keys), the audit log's details (hashed as written) and events' bodies
-- (signed as written).
ALTER TABLE runs ALTER COLUMN timings TYPE jsonb USING CAST(timings AS jsonb), ALTER COLUMN quarantine_reasons TYPE jsonb USING CAST(quarantine_reasons AS jsonb), ALTER COLUMN gates TYPE jsonb USING CAST(gates AS jsonb);
ALTER TABLE grants ALTER COLUMN fields TYPE jsonb USING CAST(fields AS jsonb), ALTER COLUMN protect TYPE jsonb USING CAST(protect AS jsonb);
