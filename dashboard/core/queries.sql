-- Named, parametrised queries of the dashboard.  Each starts with `-- name: NAME`; pages
-- call them through dashboard.db.query(NAME, **params) and never write SQL.
-- Tables in the `main` schema are materialised when the database is opened (see db.py);
-- They are copies taken from the MedFund file when it is loaded (db.py); queries listed in
-- db.FILE_QUERIES run on the file itself.

-- name: region_options
-- Regions with figures (vouched or waiting in the 待核查 queue), with the province and city they
-- belong to (for grouping), and how many years of vouched indicators each has (its trend).
WITH counted AS (  -- per region first: the names are joined to thousands of rows, not millions
    SELECT region_code, any_value(region_name) AS region_name, any_value(region_level) AS region_level,
           count(*) AS n_rows
    FROM facts GROUP BY region_code
)
SELECT i.region_code, i.region_name, i.region_level,
       coalesce(p.name, '') AS province_name,
       coalesce(c.name, '') AS city_name,
       i.n_rows,
       coalesce(y.n_years, 0) AS n_years
FROM counted i
LEFT JOIN region_table p ON p.code = left(i.region_code, 2) || '0000' AND i.region_level <> 'province'
LEFT JOIN region_table c ON c.code = left(i.region_code, 4) || '00' AND i.region_level = 'county'
LEFT JOIN (
    SELECT region_code, count(DISTINCT year) AS n_years FROM ind WHERE view_basis = 'actual' GROUP BY region_code
) y ON y.region_code = i.region_code
ORDER BY i.region_code;

-- name: year_span
SELECT min(year) AS first_year, max(year) AS last_year FROM facts;

-- name: indicators
-- One row per region, year and fund for the chosen basis view.
SELECT *
FROM ind
WHERE view_basis = $basis
  AND list_contains($regions, region_code)
  AND list_contains($funds, fund)
  AND year BETWEEN $first_year AND $last_year
ORDER BY region_code, fund, year;

-- name: indicator_sources
-- The facts an indicator's values were chosen from, with their quotes and documents.
SELECT v.region_code, v.region_name, v.year, v.fund, v.metric, v.value, v.basis, v.derived, v.computed,
       v.fact_id, v.doc_id, v.quote, v.n_sources_agree, v.n_disagree, d.report_name, d.file_name, d.source_url
FROM ind_values v
LEFT JOIN docs d USING (doc_id)
WHERE v.view_basis = $basis
  AND list_contains($regions, v.region_code)
  AND list_contains($funds, v.fund)
  AND list_contains($metrics, v.metric)
  AND v.year BETWEEN $first_year AND $last_year
ORDER BY v.region_code, v.fund, v.metric, v.year;

-- name: facts
-- Every fact within the filters (all items and bases) as the stewards vouch for it
-- (origin: extracted, corrected or added), with its document.
SELECT f.fact_id, f.region_code, f.region_name, f.year, f.fund, f.metric, f.item, f.basis, f.value, f.unit,
       f.derived, f.quote, f.doc_id, d.report_name, d.file_name, d.source_url, f.rule_id, f.origin, f.correction_id,
       f.origin <> 'extracted' AS corrected, f.confidence, f.confidence_reasons
FROM facts f
LEFT JOIN docs d USING (doc_id)
WHERE list_contains($regions, f.region_code)
  AND list_contains($funds, f.fund)
  AND f.year BETWEEN $first_year AND $last_year
ORDER BY f.region_code, f.year, f.fund, f.metric, f.item, f.basis, f.doc_id, f.quote_start;

-- name: awaiting_review
-- The figures within the filters that wait for a steward (confidence review): read, but in no
-- indicator, chart, card, deck or workbook until confirmed or corrected (the 待核查 queue).
SELECT f.fact_id, f.region_code, f.region_name, f.year, f.fund, f.metric, f.item, f.basis, f.value, f.unit,
       f.period, f.quote, f.quote_start, f.quote_end, f.doc_id, d.report_name, d.file_name, f.confidence_reasons
FROM facts f
LEFT JOIN docs d USING (doc_id)
WHERE f.confidence = 'review'
  AND list_contains($regions, f.region_code)
  AND list_contains($funds, f.fund)
  AND f.year BETWEEN $first_year AND $last_year
ORDER BY f.region_code, f.year, f.doc_id, f.quote_start;

-- name: partial_facts
-- Outcomes for part of a year (basis `partial`: 一季度, 1-6月, 截至9月底 …, in `period`) within the
-- filters, vouched only: confidence high (read without doubt, or confirmed, corrected or restored
-- by a steward) and not held for a magnitude error.  Only the 年内进度 page reads them: the
-- whole-year queries (indicators, indicator_sources) never hold a partial fact.
SELECT f.fact_id, f.region_code, f.region_name, f.year, f.fund, f.metric, f.item, f.basis, f.period,
       f.value, f.unit, f.derived, f.quote, f.quote_start, f.doc_id, d.report_name, d.file_name, d.report_year
FROM facts f
LEFT JOIN docs d USING (doc_id)
WHERE f.basis = 'partial' AND f.confidence = 'high'
  AND f.fact_id NOT IN (SELECT fact_id FROM held_facts)
  AND list_contains($regions, f.region_code)
  AND list_contains($funds, f.fund)
  AND f.year BETWEEN $first_year AND $last_year
ORDER BY f.region_code, f.fund, f.year, f.metric, f.doc_id, f.quote_start;

-- name: data_as_of
-- How new the figures are (数据截至): the years, and periods of part-year outcomes, of the vouched
-- outcomes (actual or partial) of the chosen regions and funds — every region and fund when
-- $all_regions — and when a report was last imported into the library (always one row).
SELECT p.year, p.period, i.last_ingest
FROM (SELECT max(ingested_at) AS last_ingest FROM docs) i
LEFT JOIN (
    SELECT DISTINCT year, CASE WHEN basis = 'partial' THEN period END AS period
    FROM facts
    WHERE confidence = 'high' AND basis IN ('actual', 'partial')
      AND fact_id NOT IN (SELECT fact_id FROM held_facts)  -- held for a magnitude error
      AND ($all_regions OR (list_contains($regions, region_code) AND list_contains($funds, fund)))
) p ON true
ORDER BY p.year DESC NULLS LAST, p.period NULLS FIRST;

-- name: facts_by_id
SELECT f.fact_id, f.region_code, f.region_name, f.year, f.fund, f.metric, f.item, f.basis, f.value, f.unit,
       f.derived, f.quote, f.quote_start, f.quote_end, f.doc_id, d.report_name, d.file_name, f.origin, f.correction_id
FROM facts f
LEFT JOIN docs d USING (doc_id)
WHERE f.fact_id IN (SELECT unnest($fact_ids::VARCHAR[]))
ORDER BY f.doc_id, f.quote_start;

-- name: document_text
-- (on the file: report texts are not copied into memory)
SELECT doc_id, file_name, text FROM documents WHERE doc_id = $doc_id;

-- name: document_facts
-- The facts of one document with their spans, in reading order.
SELECT fact_id, region_name, year, fund, metric, item, basis, value, unit, derived, quote,
       quote_start, quote_end, origin
FROM facts
WHERE doc_id = $doc_id
ORDER BY quote_start, fact_id;

-- name: documents
-- The report library: reports about the chosen regions (or their sub-regions' parents).
SELECT d.doc_id, d.report_name, d.file_name, d.report_year, d.genre, d.region_code, d.region_name, d.region_level,
       d.region_confidence, d.reader, d.encoding, d.size_bytes, d.n_facts, d.n_rejections,
       len(d.warnings) AS n_warnings, d.warnings,
       coalesce(c.n_errors, 0) AS n_errors, coalesce(c.n_check_warnings, 0) AS n_check_warnings,
       d.ingested_at, d.source_url
FROM docs d
LEFT JOIN (
    SELECT doc_id, count(*) FILTER (WHERE severity = 'error') AS n_errors,
           count(*) FILTER (WHERE severity = 'warning') AS n_check_warnings
    FROM checks GROUP BY doc_id
) c USING (doc_id)
WHERE list_contains($regions, d.region_code)
   OR d.doc_id IN (SELECT doc_id FROM facts WHERE list_contains($regions, region_code))
ORDER BY d.region_code, d.report_year DESC, d.file_name;

-- name: checks
-- Checks within one document and across documents, for the chosen regions and years.
SELECT c.severity, c.check_id, c.message, c.region_code, r.name AS region_name, c.year, c.fund, c.metric, c.item,
       c.basis, c.expected, c.actual, c.fact_ids, c.quote, c.doc_id, d.report_name, d.file_name
FROM checks c
LEFT JOIN docs d USING (doc_id)
LEFT JOIN region_table r ON r.code = c.region_code
WHERE list_contains($regions, c.region_code)
  AND (c.year IS NULL OR c.year BETWEEN $first_year AND $last_year)
UNION ALL
SELECT x.severity, x.check_id, x.message, x.region_code, x.region_name, x.year, x.fund,
       'cumulative_balance' AS metric, 'total' AS item, NULL AS basis, x.expected, x.actual, x.fact_ids,
       NULL AS quote, x.doc_ids[3] AS doc_id, '（跨报告）' AS report_name, '（跨报告）' AS file_name
FROM cross_checks x
WHERE list_contains($regions, x.region_code)
  AND x.year BETWEEN $first_year AND $last_year
ORDER BY 1, 4, 6, 7;

-- name: rejections
SELECT r.doc_id, d.report_name, d.file_name, d.region_name, d.report_year, r.reason, r.quote, r.rule_id
FROM rejections r
JOIN docs d USING (doc_id)
WHERE list_contains($regions, d.region_code)
ORDER BY d.file_name, r.seq;

-- name: dropped
-- Numbers the extractor read and set aside on purpose (bounds, targets, changes in 个百分点,
-- amounts that are not fund figures), with the reason.
SELECT x.doc_id, d.report_name, d.file_name, d.region_name, d.report_year, x.reason, x.quote, x.surface
FROM dropped x
JOIN docs d USING (doc_id)
WHERE list_contains($regions, d.region_code)
ORDER BY d.file_name, x.seq;

-- name: document_by_id
-- One report of the library (to recognise a file that is already in it; on the file).
SELECT doc_id, title, file_name, report_year, region_code, region_name, n_facts, ingested_at
FROM documents
WHERE doc_id = $doc_id;

-- name: fact_history
-- Every correction of one fact, oldest first (the fact's id now, or when it was corrected).
SELECT correction_id, action, fact_id, current_fact_id, year, fund, metric, item, basis, value, unit, quote,
       reason, author, created_at, in_force, extracted_year, extracted_fund, extracted_metric, extracted_item,
       extracted_basis, extracted_value, file_name
FROM corrections
WHERE current_fact_id = $fact_id OR fact_id = $fact_id
ORDER BY created_at, correction_id;

-- name: corrections
-- The stewards' corrections, newest first: all of them, or those about the chosen regions.
SELECT c.correction_id, c.action, c.doc_id, c.file_name, c.fact_id, c.current_fact_id, c.in_force,
       c.year, c.fund, c.metric, c.item, c.basis, c.value, c.unit, c.quote, c.fact_quote,
       c.extracted_year, c.extracted_fund, c.extracted_metric, c.extracted_item, c.extracted_basis,
       c.extracted_value, c.reason, c.author, c.created_at, c.anchor_start, c.anchor_end,
       d.region_code, d.region_name
FROM corrections c
LEFT JOIN docs d USING (doc_id)
WHERE $all_regions OR list_contains($regions, d.region_code)
ORDER BY c.created_at DESC, c.correction_id DESC;

-- name: removals
-- Reports removed from the library, newest first.
SELECT doc_id, file_name, n_facts, reason, author, removed_at FROM removals ORDER BY removed_at DESC;

-- name: indicator_facts
-- The facts behind each value chosen for the basis views $views (view_basis codes: actual, budget,
-- estimate) and metrics: the stated fact, or each rural and urban fact a computed total sums (same
-- document, year, fund, metric and basis), with quote and report.  value_basis is the basis of
-- the figure chosen (an estimate standing in for an outcome in the actual view keeps `estimate`).
WITH chosen AS (
    SELECT * FROM ind_values
    WHERE list_contains($views, view_basis)
      AND list_contains($regions, region_code)
      AND list_contains($funds, fund)
      AND list_contains($metrics, metric)
      AND year BETWEEN $first_year AND $last_year
),
behind AS (
    SELECT c.*, c.fact_id AS source_id FROM chosen c WHERE NOT c.computed
    UNION ALL
    SELECT c.*, f.fact_id AS source_id
    FROM chosen c
    JOIN facts f
      ON f.doc_id = c.doc_id AND f.region_code = c.region_code AND f.year = c.year AND f.fund = c.fund
     AND f.metric = c.metric AND f.basis = c.basis AND f.item IN ('rural', 'urban') AND f.confidence = 'high'
     AND f.fact_id NOT IN (SELECT fact_id FROM held_facts)  -- exactly the facts the total sums
    WHERE c.computed
)
SELECT b.view_basis, b.region_code, b.region_name, b.region_level, b.year, b.fund, b.metric,
       b.value AS indicator_value, b.basis AS value_basis, b.derived, b.computed,
       f.fact_id, f.item, f.value, f.unit, f.basis, f.quote, f.doc_id, d.report_name, d.file_name
FROM behind b
JOIN facts f ON f.fact_id = b.source_id
LEFT JOIN docs d ON d.doc_id = f.doc_id
ORDER BY b.view_basis, b.region_code, b.fund, b.metric, b.year, f.item, f.fact_id;
