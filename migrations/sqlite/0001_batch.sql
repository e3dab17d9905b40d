-- Datasets, their published versions, pipeline runs and master records (with history).
CREATE TABLE datasets (
    name            TEXT PRIMARY KEY,
    pipeline        TEXT NOT NULL,
    owner           TEXT NOT NULL,
    title           TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    key_fields      TEXT NOT NULL,
    schema_json     TEXT NOT NULL,
    current_version BIGINT NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
);

CREATE TABLE versions (
    dataset          TEXT NOT NULL REFERENCES datasets(name),
    version          BIGINT NOT NULL,
    run_id           TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    input_sha256     TEXT NOT NULL,
    row_count        BIGINT NOT NULL,
    inserted         BIGINT NOT NULL,
    updated          BIGINT NOT NULL,
    deleted          BIGINT NOT NULL,
    quarantined      BIGINT NOT NULL,
    prefix           TEXT NOT NULL,
    manifest_sha256  TEXT NOT NULL,
    PRIMARY KEY (dataset, version)
);

CREATE TABLE runs (
    id                   TEXT PRIMARY KEY,
    pipeline             TEXT NOT NULL,
    dataset              TEXT NOT NULL,
    trigger_kind         TEXT NOT NULL,
    started_at           TEXT NOT NULL,
    finished_at          TEXT,
    status               TEXT NOT NULL,
    input_path           TEXT NOT NULL,
    input_sha256         TEXT,
    input_bytes          BIGINT,
    rows_read            BIGINT,
    rows_valid           BIGINT,
    rows_quarantined     BIGINT,
    duplicates_collapsed BIGINT,
    inserted             BIGINT,
    updated              BIGINT,
    deleted              BIGINT,
    version              BIGINT,
    timings              TEXT,
    error                TEXT
);
CREATE INDEX runs_by_pipeline ON runs (pipeline, started_at);

CREATE TABLE records (
    dataset     TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    row_hash    TEXT NOT NULL,
    data        TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT,
    PRIMARY KEY (dataset, record_key, valid_from)
);

CREATE TABLE catalog_items (
    catalog     TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    parent_code TEXT,
    level       BIGINT,
    attrs       TEXT NOT NULL DEFAULT '{}',
    valid_from  TEXT,
    valid_to    TEXT,
    PRIMARY KEY (catalog, code)
);
