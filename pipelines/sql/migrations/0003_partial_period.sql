-- Migration 0003: contract v2's `period` (spec/fund-facts.md).  An outcome for part of a year
-- (一季度, 1-6月, 截至9月底 …) has basis `partial` and says which part in `period`, as the text
-- gives it; NULL for every other basis (and for facts written before this migration, none of
-- which is partial).  The views (re-created after this migration) show `period` in fund_facts and
-- keep partial facts out of the whole-year indicators (indicator_candidates).
ALTER TABLE fact ADD COLUMN IF NOT EXISTS period VARCHAR;
