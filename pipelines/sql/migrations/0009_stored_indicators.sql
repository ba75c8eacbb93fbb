-- Indicators computed at ingest and stored in the file (indicator_value_store, indicator_store,
-- indicator_check_store, indicator_held_store; see pipelines/sql/indicators.sql and pipelines/indicators.py): opening a
-- file no longer computes them.  The steps that were views are table macros over a list of regions
-- now; their old views go.  The stored tables are (re)built whole after the views, as after every
-- migration (pipelines/store.py migrate).
DROP VIEW IF EXISTS indicator_checks;
DROP VIEW IF EXISTS indicators;
DROP VIEW IF EXISTS indicators_by_basis;
DROP VIEW IF EXISTS indicator_values;
DROP VIEW IF EXISTS indicator_values_by_basis;
DROP VIEW IF EXISTS indicator_candidates;
DROP VIEW IF EXISTS indicator_held_facts;
