-- Named, parametrised queries of the 汇报 deck (dashboard/deck.py), in the format of
-- queries.sql.  They run on the dashboard's in-memory connection (db.open_database).

-- name: fact_columns
-- The columns of the facts table (whether stewards' corrections are recorded in it).
SELECT column_name
FROM information_schema.columns
WHERE table_schema = 'main' AND table_name = 'facts'
ORDER BY ordinal_position;

-- name: corrected_facts
-- Figures a steward corrected or added, within the deck's regions, funds and years
-- (run only when facts has an `origin` column).
SELECT f.region_code, f.region_name, f.year, f.fund, f.metric, f.item, f.basis, f.value, f.unit,
       f.origin, d.file_name
FROM facts f
LEFT JOIN docs d USING (doc_id)
WHERE f.origin IN ('corrected', 'added')
  AND list_contains($regions, f.region_code)
  AND list_contains($funds, f.fund)
  AND f.year BETWEEN $first_year AND $last_year
ORDER BY f.region_code, f.year, f.fund, f.metric, f.item;
