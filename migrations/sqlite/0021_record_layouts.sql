-- Master-record data is written as a JSON array of the record's values, in the order of the
-- field names its version recorded here (without the names repeated in every record: a first
-- load of millions of records writes about a third fewer bytes). Records written as JSON objects
-- before stay as they are; readers turn either form into the same object.
CREATE TABLE record_layouts (
    dataset     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    fields      TEXT NOT NULL,
    PRIMARY KEY (dataset, version)
);
