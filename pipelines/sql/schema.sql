-- MedFund storage.  Tables hold what the pipeline wrote; the views `documents` and
-- `fund_facts` are the data contract (spec/fund-facts.md) that other tools read.

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

CREATE OR REPLACE VIEW documents AS
SELECT doc_id, file_name, text, reader, encoding, size_bytes, report_year, year_evidence, genre,
       region_code, region_name, region_level, region_parent_code, region_confidence, region_evidence,
       n_facts, n_rejections, warnings, ingested_at
FROM report;

CREATE OR REPLACE VIEW fund_facts AS
SELECT region_code, region_name, region_level, year, fund, metric, item, basis, value, unit,
       derived, doc_id, quote, fact_id, quote_start, quote_end, rule_id, rules
FROM fact;
