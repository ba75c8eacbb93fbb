-- One row per region, year and fund: the headline indicators, chosen among competing
-- facts by a fixed precedence, and the ratios computed from them.
--
-- Facts are the stewards' current ones (fact_current: corrections applied, rejected ones left out)
-- that are vouched for: `confidence = 'high'` (read without doubt, or confirmed, corrected or
-- restored by a steward) — a `review` figure waits in the 待核查 queue and reaches no indicator —
-- less those held until a steward confirms them (indicator_held_facts, below).
-- Precedence among facts for the same region, year, fund and metric (item = total):
--   1. basis: actual over estimate over budget;
--   2. stated over derived (derived = computed from a stated change);
--   3. a figure over a rounding of it (28727.58亿元 over a later 2.87万亿元): a candidate is a
--      rounding when another of the same basis has more significant digits and rounds to it;
--   4. the more final report (report.standing, rules/documents.yaml): a 统计公报 or 决算 over
--      other reports over a 快报, which the 公报 revises (职工医保收入 2022: 快报 20637.18亿元,
--      公报 20793.27亿元);
--   5. the newer report over the older (report_year, then ingest time);
--   6. the earliest quote in the document (stable tie-break).
-- Where a metric has no total but both sub-populations (rural + urban) are given, the
-- total is their sum and is marked computed.
-- Indicators are about whole years: an outcome for part of a year (basis `partial`, e.g. 1-6月)
-- is never a candidate.
--
-- Computed at ingest, not when read: each step is a table macro over the regions it is asked for
-- (`regions`, a list of region codes, or NULL for all).  A region's indicators depend only on its
-- own facts (the growth and roll-forward checks look at its previous year), so after a write the
-- regions it touched are computed again and their rows replaced in the stored tables
-- indicator_value_store, indicator_store and indicator_check_store (pipelines/indicators.py), in
-- the same transaction; indicator_views.sql reads those.  Pure definitions, re-created (after
-- views.sql) whenever migrations run, and the stored tables rebuilt whole then; a change here
-- comes with a new migration (see pipelines/store.py).

-- Held until a steward confirms it: a fact named by an error of the magnitude check
-- (implausible_magnitude: an amount too large for the region's level, usually 元 written as 万元,
-- e.g. 11777000万元 in a county report) stays in fund_facts with its check, but is no candidate
-- for any indicator (and so in no chart, card, deck or workbook) while no correction is in force
-- for it.  A steward confirms it by a correction: `confirm` (the figure as read), `correct` (a new
-- value, or the same value with another field changed) or `restore`; a `reject`
-- leaves it out anyway.  Checks written before migration 0002 name no facts: for those, the facts
-- of the document whose value is the checked amount are held.
CREATE OR REPLACE MACRO indicator_held_facts_in(regions) AS TABLE
SELECT b.fact_id, b.doc_id, b.region_code, k.check_id, k.message
FROM fact_base b
JOIN checks k
  ON k.doc_id = b.doc_id AND k.check_id = 'implausible_magnitude' AND k.severity = 'error'
 AND (list_contains(k.fact_ids, b.fact_id)
      OR (coalesce(len(k.fact_ids), 0) = 0 AND abs(abs(b.value) - k.actual) <= 1e-9 * abs(k.actual)))
WHERE (regions IS NULL OR list_contains(regions, b.region_code))
  AND NOT EXISTS (
    SELECT 1 FROM correction_latest c
    WHERE c.doc_id = b.doc_id AND c.anchor_start = b.anchor_start AND c.anchor_end = b.anchor_end
      AND c.anchor_key = b.anchor_key AND c.action IN ('correct', 'restore', 'confirm')
);

-- precedence helpers: a report's standing as a rank (final first); how many significant digits
-- a value in base units has (3092217000000 → 7, 3090000000000 → 3, 751.5 → 4); and whether
-- `rounded` is `precise` rounded to its digits (3.09万亿 of 30922.17亿, not of 30697.72亿)
CREATE OR REPLACE MACRO report_standing_rank(standing) AS
    CASE standing WHEN 'final' THEN 0 WHEN 'provisional' THEN 2 ELSE 1 END;
CREATE OR REPLACE MACRO significant_digits(value) AS
    length(trim(replace(printf('%.2f', abs(value)), '.', ''), '0'));
CREATE OR REPLACE MACRO rounds_to(precise, rounded) AS
    rounded <> 0 AND significant_digits(precise) > significant_digits(rounded)
    AND abs(precise - rounded)
        <= 0.5 * pow(10, floor(log10(abs(rounded))) - significant_digits(rounded) + 1) * (1 + 1e-9);

CREATE OR REPLACE MACRO indicator_candidates_in(regions) AS TABLE
WITH confirmed AS (
    SELECT f.* FROM fact_current f
    WHERE (regions IS NULL OR list_contains(regions, f.region_code))
      AND f.basis <> 'partial' AND f.confidence = 'high'
      AND NOT EXISTS (SELECT 1 FROM indicator_held_facts_in(regions) h WHERE h.fact_id = f.fact_id)
),
stated AS (
    SELECT f.region_code, f.region_name, f.region_level, f.year, f.fund, f.metric, f.value,
           f.basis, f.derived, false AS computed, f.fact_id, f.doc_id, f.quote,
           r.report_year AS doc_year, r.ingested_at, f.quote_start, report_standing_rank(r.standing) AS standing_rank
    FROM confirmed f JOIN report r USING (doc_id)
    WHERE f.item = 'total'
),
populations AS (
    SELECT f.region_code, any_value(f.region_name) AS region_name, any_value(f.region_level) AS region_level,
           f.year, f.fund, f.metric, sum(f.value) AS value, f.basis, bool_or(f.derived) AS derived,
           true AS computed, min(f.fact_id) AS fact_id, min(f.doc_id) AS doc_id,
           string_agg(f.quote, ' ＋ ' ORDER BY f.item) AS quote,
           max(r.report_year) AS doc_year, max(r.ingested_at) AS ingested_at, min(f.quote_start) AS quote_start,
           max(report_standing_rank(r.standing)) AS standing_rank
    FROM confirmed f JOIN report r USING (doc_id)
    WHERE f.item IN ('rural', 'urban') AND f.metric IN ('insured', 'income', 'expenditure', 'visits')
    GROUP BY f.region_code, f.year, f.fund, f.metric, f.basis, f.doc_id
    HAVING count(DISTINCT f.item) = 2
)
SELECT * FROM stated
UNION ALL
SELECT p.* FROM populations p
WHERE NOT EXISTS (
    SELECT 1 FROM stated s
    WHERE s.region_code = p.region_code AND s.year = p.year AND s.fund = p.fund
      AND s.metric = p.metric AND s.basis = p.basis
);

-- Indicators are computed for several views of the basis (`view_basis`):
--   any       every basis, actual over estimate over budget (the `indicator_values` and
--             `indicators` views);
--   actual    outcomes; where a year has no outcome yet its estimate (预计) stands in,
--             listed in `estimated_metrics`;
--   budget    budgets (预算) only;
--   estimate  estimates (预计) only.
CREATE OR REPLACE MACRO indicator_values_in(regions) AS TABLE
WITH views(view_basis) AS (VALUES ('any'), ('actual'), ('budget'), ('estimate')),
candidates AS (SELECT * FROM indicator_candidates_in(regions)),
admitted AS (
    SELECT v.view_basis, c.*,
           count(*) OVER (PARTITION BY v.view_basis, c.region_code, c.year, c.fund, c.metric) AS n_candidates,
           EXISTS (
               SELECT 1 FROM candidates p
               WHERE p.region_code = c.region_code AND p.year = c.year AND p.fund = c.fund
                 AND p.metric = c.metric AND p.basis = c.basis AND rounds_to(p.value, c.value)
           ) AS rounding
    FROM candidates c
    JOIN views v
      ON v.view_basis = 'any' OR v.view_basis = c.basis OR (v.view_basis = 'actual' AND c.basis = 'estimate')
),
ranked AS (
    SELECT a.*,
           row_number() OVER (
               PARTITION BY view_basis, region_code, year, fund, metric
               ORDER BY CASE basis WHEN 'actual' THEN 0 WHEN 'estimate' THEN 1 ELSE 2 END,
                        derived, computed, rounding, standing_rank,
                        doc_year DESC NULLS LAST, ingested_at DESC, doc_id, quote_start, fact_id
           ) AS rank
    FROM admitted a
),
chosen AS (SELECT * FROM ranked WHERE rank = 1),
-- agreement is counted among facts of the chosen basis (a budget differing from the
-- outcome is no disagreement)
agreement AS (
    SELECT ch.view_basis, ch.region_code, ch.year, ch.fund, ch.metric,
           count(DISTINCT o.doc_id) FILTER (WHERE abs(o.value - ch.value) <= greatest(1e-4 * abs(ch.value), 0.5))
               AS n_sources_agree,
           count(*) FILTER (WHERE abs(o.value - ch.value) > greatest(1e-4 * abs(ch.value), 0.5)) AS n_disagree
    FROM chosen ch
    JOIN candidates o
      ON o.region_code = ch.region_code AND o.year = ch.year AND o.fund = ch.fund
     AND o.metric = ch.metric AND o.basis = ch.basis
    GROUP BY ALL
)
SELECT ch.view_basis, ch.region_code, ch.region_name, ch.region_level, ch.year, ch.fund, ch.metric, ch.value,
       ch.basis, ch.derived, ch.computed, ch.fact_id, ch.doc_id, ch.quote, ch.n_candidates,
       a.n_sources_agree, a.n_disagree
FROM chosen ch
JOIN agreement a USING (view_basis, region_code, year, fund, metric);

CREATE OR REPLACE MACRO indicators_in(regions) AS TABLE
WITH wide AS (
    SELECT view_basis, region_code, any_value(region_name) AS region_name,
           any_value(region_level) AS region_level, year, fund,
           -- people a 医疗救助 fund helps (纳入医疗救助32.80万人) are not insured persons: 救助人数
           max(value) FILTER (WHERE metric = 'insured' AND fund <> 'assistance') AS insured,
           max(value) FILTER (WHERE metric = 'insured' AND fund = 'assistance')  AS assisted,
           max(value) FILTER (WHERE metric = 'income')                 AS income,
           max(value) FILTER (WHERE metric = 'expenditure')            AS expenditure,
           max(value) FILTER (WHERE metric = 'balance')                AS balance_stated,
           max(value) FILTER (WHERE metric = 'cumulative_balance')     AS cumulative_balance,
           max(value) FILTER (WHERE metric = 'visits')                 AS visits,
           max(value) FILTER (WHERE metric = 'balance_rate')           AS balance_rate_stated,
           max(value) FILTER (WHERE metric = 'income_per_capita')      AS income_per_capita_stated,
           max(value) FILTER (WHERE metric = 'expenditure_per_capita') AS expenditure_per_capita_stated,
           max(value) FILTER (WHERE metric = 'financing_per_capita')   AS financing_per_capita,
           max(value) FILTER (WHERE metric = 'coverage_rate')          AS coverage_rate,
           -- figures standing in for the view's own basis (an estimate where no outcome is known)
           list(metric ORDER BY metric) FILTER (
               WHERE basis <> CASE WHEN view_basis IN ('budget', 'estimate') THEN view_basis ELSE 'actual' END
           )                                                             AS estimated_metrics,
           list(metric ORDER BY metric) FILTER (WHERE derived)           AS derived_metrics,
           list(metric ORDER BY metric) FILTER (WHERE computed)          AS summed_metrics,
           list(fact_id ORDER BY metric)                                AS fact_ids,
           min(n_sources_agree)                                          AS min_sources_agree,
           sum(n_disagree)                                               AS n_disagreeing_facts
    FROM indicator_values_in(regions)
    GROUP BY view_basis, region_code, year, fund
),
ratios AS (
    SELECT w.*,
           coalesce(balance_stated, income - expenditure) AS balance,
           balance_stated IS NULL AND income IS NOT NULL AND expenditure IS NOT NULL AS balance_computed,
           100 * coalesce(balance_stated, income - expenditure) / nullif(income, 0) AS balance_rate,
           income / nullif(insured, 0) AS income_per_capita,
           expenditure / nullif(insured, 0) AS expenditure_per_capita,
           cumulative_balance / nullif(expenditure / 12, 0) AS months_of_reserves
    FROM wide w
)
SELECT r.*,
       100 * (r.income / nullif(p.income, 0) - 1)           AS income_growth,
       100 * (r.expenditure / nullif(p.expenditure, 0) - 1) AS expenditure_growth
FROM ratios r
LEFT JOIN ratios p
  ON p.view_basis = r.view_basis AND p.region_code = r.region_code AND p.fund = r.fund AND p.year = r.year - 1;

-- Checks across documents, on the chosen values: this year's cumulative balance against
-- last year's (often from last year's report) plus this year's balance.  Same tolerance as
-- rules/checks.yaml (0.01 % or 250 元).
CREATE OR REPLACE MACRO indicator_checks_in(regions) AS TABLE
WITH indicator_values AS (
    SELECT * EXCLUDE (view_basis) FROM indicator_values_in(regions) WHERE view_basis = 'any'
)
SELECT cur.region_code, cur.region_name, cur.year, cur.fund,
       'cumulative_roll_forward' AS check_id,
       'warning' AS severity,
       prev.value + bal.value AS expected,
       cur.value AS actual,
       printf('%d年累计结余%.2f万元，但%d年累计结余%.2f万元 + %d年当期结余%.2f万元 = %.2f万元',
              cur.year, cur.value / 1e4, prev.year, prev.value / 1e4, cur.year, bal.value / 1e4,
              (prev.value + bal.value) / 1e4) AS message,
       [prev.fact_id, bal.fact_id, cur.fact_id] AS fact_ids,
       [prev.doc_id, bal.doc_id, cur.doc_id] AS doc_ids
FROM indicator_values cur
JOIN indicator_values prev
  ON prev.region_code = cur.region_code AND prev.fund = cur.fund AND prev.year = cur.year - 1
 AND prev.metric = 'cumulative_balance'
JOIN indicator_values bal
  ON bal.region_code = cur.region_code AND bal.fund = cur.fund AND bal.year = cur.year
 AND bal.metric = 'balance'
WHERE cur.metric = 'cumulative_balance'
  AND abs(prev.value + bal.value - cur.value) > greatest(1e-4 * abs(cur.value), 250);
