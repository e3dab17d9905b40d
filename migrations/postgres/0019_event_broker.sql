-- Change events on a message broker (NATS JetStream): each event's publication to the broker,
-- and since when each sink takes events (events are made for versions and failures from the
-- first subscription or sink on, not for the history before).
ALTER TABLE events ADD COLUMN brokered_at TEXT;
CREATE TABLE event_sinks (
    name        TEXT PRIMARY KEY,
    since       TEXT NOT NULL
);
