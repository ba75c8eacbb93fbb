-- Migration 0006: two changes to the indicator views (re-created after the migrations run;
-- this file only raises the schema version so files already at version 5 get them):
-- * the ratios (balance rate, per-capita income and spending, months of reserves, growth) are
--   no longer rounded in SQL: a number is rounded once, where it is shown
--   (dashboard/core/units.py), and bands and alerts judge the unrounded value (a 3.946-month
--   reserve shows 3.9, never 4.0 from 3.95);
-- * the people a 医疗救助 fund helps (纳入医疗救助32.80万人, fund `assistance`, metric `insured`)
--   are its own column `assisted` (救助人数), never `insured`, so they reach no 参保人数 card,
--   chart or per-capita figure.
SELECT 1;
