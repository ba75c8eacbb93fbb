-- Migration 0005: the numbers the extractor read and set aside for a reason (a bound or a
-- target such as 超过/力争, a change in 个百分点, a distribution bin, money that is not a fund
-- figure, a section about another fund), so a steward can see what was read and left out.
-- One row per number; `quote` is the number with the words before it on its line, `value`
-- the number in the base unit of its kind (元, 人, 人次, %), `surface` the number with its unit as written (50亿元).  Written and
-- removed with its report, like `rejections`.
CREATE TABLE IF NOT EXISTS dropped (
    doc_id VARCHAR NOT NULL,
    seq INTEGER NOT NULL,
    reason VARCHAR NOT NULL,
    quote VARCHAR NOT NULL,
    quote_start INTEGER NOT NULL,
    quote_end INTEGER NOT NULL,
    value DOUBLE,
    surface VARCHAR,
    PRIMARY KEY (doc_id, seq)
);
