-- Master records: each record version's row (small, rewritten when the record is closed) apart
-- from its data (written once and never changed), so that a usual run, which closes records all
-- over the key range, rewrites few pages. `records` stays, as a view with the same columns.
CREATE TABLE record_data (
    id          INTEGER PRIMARY KEY,
    data        TEXT NOT NULL
);

CREATE TABLE record_versions (
    dataset     TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    valid_from  BIGINT NOT NULL,
    valid_to    BIGINT,
    row_hash    TEXT NOT NULL,
    data_id     INTEGER NOT NULL,
    PRIMARY KEY (dataset, record_key, valid_from)
) WITHOUT ROWID;

INSERT INTO record_data (id, data) SELECT rowid, data FROM records;
INSERT INTO record_versions (dataset, record_key, valid_from, valid_to, row_hash, data_id)
    SELECT dataset, record_key, valid_from, valid_to, row_hash, rowid FROM records;
DROP TABLE records;

-- Only versions up to the dataset's current one: a large publication commits its record changes
-- in parts before its version becomes current (see src/store/sqlite_publish.rs).
CREATE VIEW records AS
    SELECT v.dataset, v.record_key, v.row_hash, d.data, v.valid_from,
           CASE WHEN v.valid_to <= s.current_version THEN v.valid_to END AS valid_to
    FROM record_versions v
    JOIN datasets s ON s.name = v.dataset
    LEFT JOIN record_data d ON d.id = v.data_id
    WHERE v.valid_from <= s.current_version;

CREATE TRIGGER records_insert INSTEAD OF INSERT ON records
BEGIN
    INSERT INTO record_data (data) VALUES (NEW.data);
    INSERT INTO record_versions (dataset, record_key, valid_from, valid_to, row_hash, data_id)
        VALUES (NEW.dataset, NEW.record_key, NEW.valid_from, NEW.valid_to, NEW.row_hash, last_insert_rowid());
END;

CREATE TRIGGER records_update INSTEAD OF UPDATE OF valid_to ON records
BEGIN
    UPDATE record_versions SET valid_to = NEW.valid_to
    WHERE dataset = OLD.dataset AND record_key = OLD.record_key AND valid_from = OLD.valid_from;
END;

CREATE TRIGGER records_delete INSTEAD OF DELETE ON records
BEGIN
    DELETE FROM record_data WHERE id = (SELECT data_id FROM record_versions
        WHERE dataset = OLD.dataset AND record_key = OLD.record_key AND valid_from = OLD.valid_from);
    DELETE FROM record_versions
    WHERE dataset = OLD.dataset AND record_key = OLD.record_key AND valid_from = OLD.valid_from;
END;
