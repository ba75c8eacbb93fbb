-- Migration 0001: the tables of the first versioned schema (what the pipeline and the
-- stewards write).  The views are not here: they are pure definitions, re-created from
-- views.sql and indicators.sql whenever migrations run (see pipelines/store.py).
--
-- This migration also adopts files made before schema versions were recorded (they have no
-- schema_version table and count as version 0): every statement is CREATE ... IF NOT EXISTS,
-- so it adds what such a file lacks and leaves its tables and rows as they are.  Keep it so;
-- later migrations need not be idempotent (each runs once per file).

CREATE TABLE IF NOT EXISTS report (
    doc_id             VARCHAR PRIMARY KEY,   -- sha256 of the file's bytes
    file_name          VARCHAR NOT NULL,
    source_path        VARCHAR,
    text               VARCHAR NOT NULL,      -- the normalised text every quote is taken from
    reader             VARCHAR,
    encoding           VARCHAR,
    size_bytes         BIGINT,
    report_year        INTEGER,
    year_evidence      VARCHAR,
    genre              VARCHAR,
    region_code        VARCHAR,
    region_name        VARCHAR,
    region_level       VARCHAR,
    region_parent_code VARCHAR,
    region_confidence  VARCHAR,
    region_evidence    VARCHAR[],
    n_facts            INTEGER,
    n_rejections       INTEGER,
    warnings           VARCHAR[],
    extractor_version  VARCHAR,
    ingested_at        TIMESTAMP
);

CREATE TABLE IF NOT EXISTS fact (
    fact_id      VARCHAR PRIMARY KEY,
    doc_id       VARCHAR NOT NULL,
    region_code  VARCHAR NOT NULL,
    region_name  VARCHAR NOT NULL,
    region_level VARCHAR NOT NULL,
    year         INTEGER NOT NULL,
    fund         VARCHAR NOT NULL,
    metric       VARCHAR NOT NULL,
    item         VARCHAR NOT NULL,
    basis        VARCHAR NOT NULL,
    value        DOUBLE NOT NULL,
    unit         VARCHAR NOT NULL,
    derived      BOOLEAN NOT NULL,
    quote        VARCHAR NOT NULL,
    quote_start  INTEGER NOT NULL,
    quote_end    INTEGER NOT NULL,
    rule_id      VARCHAR NOT NULL,
    rules        VARCHAR[]
);

CREATE TABLE IF NOT EXISTS rejections (
    doc_id      VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    reason      VARCHAR NOT NULL,
    quote       VARCHAR,
    quote_start INTEGER,
    quote_end   INTEGER,
    rule_id     VARCHAR,
    candidate   JSON,
    PRIMARY KEY (doc_id, seq)
);

CREATE TABLE IF NOT EXISTS checks (
    doc_id      VARCHAR NOT NULL,
    seq         INTEGER NOT NULL,
    check_id    VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,   -- error | warning | info
    message     VARCHAR NOT NULL,   -- Chinese, for people
    region_code VARCHAR,
    year        INTEGER,
    fund        VARCHAR,
    metric      VARCHAR,
    item        VARCHAR,
    basis       VARCHAR,
    expected    DOUBLE,
    actual      DOUBLE,
    fact_ids    VARCHAR[],
    quote       VARCHAR,
    PRIMARY KEY (doc_id, seq)
);

-- Stewards' corrections: stored apart from what the extractor wrote, never overwriting it.
-- A correction applies to the fact read at (doc_id, anchor_start, anchor_end) with the
-- fund/metric/item/year/basis `anchor_key` it had when it was read, so it finds the fact again
-- after the document is re-ingested.  The latest correction of a fact decides (restore
-- returns to the extracted figure); an `add` is a figure the extractor missed, quoted from the text.
CREATE TABLE IF NOT EXISTS correction (
    correction_id VARCHAR PRIMARY KEY,
    action        VARCHAR NOT NULL,      -- correct | reject | add | restore
    doc_id        VARCHAR NOT NULL,
    fact_id       VARCHAR NOT NULL,      -- the fact when corrected (an added figure's own id)
    anchor_start  INTEGER NOT NULL,
    anchor_end    INTEGER NOT NULL,
    anchor_key    VARCHAR NOT NULL,
    year          INTEGER,               -- the figure as the steward states it (correct, add)
    fund          VARCHAR,
    metric        VARCHAR,
    item          VARCHAR,
    basis         VARCHAR,
    value         DOUBLE,
    unit          VARCHAR,
    quote         VARCHAR,               -- add: the quoted text (it occurs in the document)
    reason        VARCHAR NOT NULL,
    author        VARCHAR NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

-- Region and report year a steward set for a document whose detection was unsure; applied
-- whenever the document is (re-)ingested.
CREATE TABLE IF NOT EXISTS report_override (
    doc_id      VARCHAR PRIMARY KEY,
    region_code VARCHAR,
    report_year INTEGER,
    author      VARCHAR NOT NULL,
    created_at  TIMESTAMP NOT NULL
);

-- Reports removed from the library, and by whom.
CREATE TABLE IF NOT EXISTS report_removal (
    doc_id     VARCHAR NOT NULL,
    file_name  VARCHAR NOT NULL,
    n_facts    INTEGER,
    reason     VARCHAR NOT NULL,
    author     VARCHAR NOT NULL,
    removed_at TIMESTAMP NOT NULL
);
