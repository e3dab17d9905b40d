-- Versioned shared catalogs: items with validity periods, successor crosswalk, load history.
DROP TABLE catalog_items;

CREATE TABLE catalogs (
    id              TEXT PRIMARY KEY,
    name_vi         TEXT NOT NULL,
    name_en         TEXT NOT NULL DEFAULT '',
    authority       TEXT NOT NULL DEFAULT '',
    parent_catalog  TEXT,
    spec_json       TEXT NOT NULL,
    current_version BIGINT NOT NULL DEFAULT 0,
    updated_at      TEXT NOT NULL
);

CREATE TABLE catalog_items (
    catalog     TEXT NOT NULL,
    code        TEXT NOT NULL,
    valid_from  TEXT NOT NULL,
    valid_to    TEXT NOT NULL,
    name        TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    parent_code TEXT,
    level       BIGINT,
    attrs       TEXT NOT NULL,
    PRIMARY KEY (catalog, code, valid_from)
);
CREATE INDEX catalog_items_parent ON catalog_items (catalog, parent_code);

CREATE TABLE catalog_successors (
    catalog    TEXT NOT NULL,
    code       TEXT NOT NULL,
    successor  TEXT NOT NULL,
    merge_type TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (catalog, code, successor)
);

CREATE TABLE catalog_versions (
    catalog   TEXT NOT NULL,
    version   BIGINT NOT NULL,
    loaded_at TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    items     BIGINT NOT NULL,
    added     BIGINT NOT NULL,
    changed   BIGINT NOT NULL,
    retired   BIGINT NOT NULL,
    prefix    TEXT NOT NULL,
    PRIMARY KEY (catalog, version)
);
