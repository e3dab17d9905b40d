-- Master entities: which source record belongs to which master entity (cross-reference), the
-- steward's decisions on pairs, and the pairs waiting for one.
CREATE TABLE entity_xref (
    entity              TEXT NOT NULL,
    source              TEXT NOT NULL,
    source_key          TEXT NOT NULL,
    master_id           TEXT NOT NULL,
    previous_master_id  TEXT,
    probability         DOUBLE PRECISION NOT NULL,
    since               TEXT NOT NULL,
    PRIMARY KEY (entity, source, source_key)
);

CREATE TABLE match_decisions (
    entity      TEXT NOT NULL,
    a           TEXT NOT NULL,
    b           TEXT NOT NULL,
    decision    TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (entity, a, b)
);

CREATE TABLE review_queue (
    id           TEXT PRIMARY KEY,
    entity       TEXT NOT NULL,
    a            TEXT NOT NULL,
    b            TEXT NOT NULL,
    probability  DOUBLE PRECISION NOT NULL,
    status       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    detail       TEXT NOT NULL
);
CREATE UNIQUE INDEX review_queue_pair ON review_queue (entity, a, b);
