-- Migration 0004: contract v2's `confidence` and `confidence_reasons` (spec/fund-facts.md).
-- Each extracted fact is `high`, or `review` with the reasons a steward should confirm it
-- (Chinese, joined with "；"), decided at ingest by pipelines/confidence.py.  Facts written
-- before this migration were never assessed: they keep NULL until their report is ingested
-- again (`python -m pipelines ingest` rewrites unchanged reports with the current extractor).
-- In the views a steward's correction or addition is `high`: a steward has vouched for it.
ALTER TABLE fact ADD COLUMN IF NOT EXISTS confidence VARCHAR;
ALTER TABLE fact ADD COLUMN IF NOT EXISTS confidence_reasons VARCHAR;
