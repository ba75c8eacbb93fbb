-- MedFund's views over the tables (migrations/): the views `documents` and `fund_facts`
-- are the data contract (spec/fund-facts.md) that other tools read.  Pure definitions,
-- re-created (with indicators.sql) whenever migrations run; a change here comes with a new
-- migration so that files already at the latest version get it (see pipelines/store.py).

-- Every figure before corrections: the extracted facts and the stewards' added ones.
CREATE OR REPLACE VIEW fact_base AS
SELECT fact_id, doc_id, region_code, region_name, region_level, year, fund, metric, item, basis, value,
       unit, derived, quote, quote_start, quote_end, rule_id, rules,
       quote_start AS anchor_start, quote_end AS anchor_end,
       concat_ws('/', fund, metric, item, year, basis) AS anchor_key, NULL::VARCHAR AS added_by, period,
       confidence, confidence_reasons
FROM fact
UNION ALL
SELECT c.fact_id, c.doc_id, r.region_code, r.region_name, r.region_level, c.year, c.fund, c.metric, c.item,
       c.basis, c.value, c.unit, false, c.quote, c.anchor_start, c.anchor_end, 'steward.add', ['steward.add'],
       c.anchor_start, c.anchor_end, c.anchor_key, c.correction_id, c.period, 'high', NULL::VARCHAR
FROM correction c JOIN report r USING (doc_id)
WHERE c.action = 'add' AND r.region_code IS NOT NULL;

-- The correction in force for each fact (the latest one; an add is the figure itself).
CREATE OR REPLACE VIEW correction_latest AS
SELECT * FROM correction
WHERE action <> 'add'
QUALIFY row_number() OVER (
    PARTITION BY doc_id, anchor_start, anchor_end, anchor_key ORDER BY created_at DESC, correction_id DESC
) = 1;

-- The facts as the stewards vouch for them: rejected ones left out, corrected ones changed.
CREATE OR REPLACE VIEW fact_current AS
SELECT b.fact_id, b.doc_id, b.region_code, b.region_name, b.region_level,
       CASE WHEN c.action = 'correct' THEN c.year ELSE b.year END AS year,
       CASE WHEN c.action = 'correct' THEN c.fund ELSE b.fund END AS fund,
       CASE WHEN c.action = 'correct' THEN c.metric ELSE b.metric END AS metric,
       CASE WHEN c.action = 'correct' THEN c.item ELSE b.item END AS item,
       CASE WHEN c.action = 'correct' THEN c.basis ELSE b.basis END AS basis,
       CASE WHEN c.action = 'correct' THEN c.value ELSE b.value END AS value,
       CASE WHEN c.action = 'correct' THEN c.unit ELSE b.unit END AS unit,
       b.derived AND coalesce(c.action, '') <> 'correct' AS derived,
       b.quote, b.quote_start, b.quote_end, b.rule_id, b.rules,
       CASE WHEN c.action = 'correct' THEN 'corrected' WHEN b.added_by IS NOT NULL THEN 'added'
            ELSE 'extracted' END AS origin,
       CASE WHEN c.action IN ('correct', 'confirm') THEN c.correction_id ELSE b.added_by END AS correction_id,
       -- a partial figure's period: the corrected one's, else the one read (or added)
       CASE WHEN (CASE WHEN c.action = 'correct' THEN c.basis ELSE b.basis END) = 'partial'
            THEN coalesce(CASE WHEN c.action = 'correct' THEN c.period END, b.period)
       END AS period,
       -- a steward's confirmation, correction or restore vouches for the figure
       CASE WHEN c.action IN ('correct', 'restore', 'confirm') THEN 'high' ELSE b.confidence END AS confidence,
       CASE WHEN c.action IN ('correct', 'restore', 'confirm') THEN NULL ELSE b.confidence_reasons END
           AS confidence_reasons
FROM fact_base b
LEFT JOIN correction_latest c
  ON c.doc_id = b.doc_id AND c.anchor_start = b.anchor_start AND c.anchor_end = b.anchor_end
 AND c.anchor_key = b.anchor_key
WHERE coalesce(c.action, '') <> 'reject';

-- Every correction with the fact it applies to now (NULL when a re-ingest no longer reads
-- that figure, or the report was removed) and whether it is the one in force.
CREATE OR REPLACE VIEW correction_log AS
SELECT c.*, b.fact_id AS current_fact_id, rp.file_name,
       c.action = 'add' OR c.correction_id IN (SELECT correction_id FROM correction_latest) AS in_force,
       b.fund AS extracted_fund, b.metric AS extracted_metric, b.item AS extracted_item,
       b.year AS extracted_year, b.basis AS extracted_basis, b.value AS extracted_value, b.quote AS fact_quote
FROM correction c
LEFT JOIN fact_base b
  ON b.doc_id = c.doc_id AND b.anchor_start = c.anchor_start AND b.anchor_end = c.anchor_end
 AND b.anchor_key = c.anchor_key
LEFT JOIN report rp ON rp.doc_id = c.doc_id;

CREATE OR REPLACE VIEW documents AS
SELECT doc_id, file_name, text, reader, encoding, size_bytes, report_year, year_evidence, genre,
       region_code, region_name, region_level, region_parent_code, region_confidence, region_evidence,
       n_facts, n_rejections, warnings, ingested_at, title, source_url
FROM report;

-- The contract's facts are the stewards' current ones (`origin`: extracted, corrected, added).
CREATE OR REPLACE VIEW fund_facts AS
SELECT region_code, region_name, region_level, year, fund, metric, item, basis, value, unit,
       derived, doc_id, quote, period, confidence, confidence_reasons, fact_id, quote_start, quote_end, rule_id,
       rules, origin, correction_id
FROM fact_current;
