-- Migration 0004: contract v2's `confidence` and `confidence_reasons` (spec/fund-facts.md).
-- Each extracted fact is `high`, or `review` with the reasons a steward should confirm it
-- (Chinese, joined with "；"), decided at ingest by pipelines/confidence.py.  Facts written
-- before this migration were never assessed: they are `review` with the reason 导入时尚未评估
-- (codes.yaml `not_assessed`) until their report is ingested again (`python -m pipelines
-- ingest` rewrites unchanged reports with the current extractor).  In the views a steward's
-- correction, restore or addition is `high`: a steward has vouched for it.
ALTER TABLE fact ADD COLUMN IF NOT EXISTS confidence VARCHAR;
ALTER TABLE fact ADD COLUMN IF NOT EXISTS confidence_reasons VARCHAR;
UPDATE fact SET confidence = 'review', confidence_reasons = '导入时尚未评估，请重新导入'
WHERE confidence IS NULL;
