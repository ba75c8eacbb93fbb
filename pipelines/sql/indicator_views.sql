-- The indicators as other tools and the dashboard read them: views over the tables stored at
-- ingest (pipelines/indicators.py; computed by the macros of indicators.sql).  Re-created after the
-- stored tables are rebuilt, whenever migrations run.

-- every basis view of the chosen value per region, year, fund and metric (view_basis any, actual,
-- budget, estimate: see indicators.sql)
CREATE OR REPLACE VIEW indicator_values_by_basis AS SELECT * FROM indicator_value_store;

CREATE OR REPLACE VIEW indicator_values AS
SELECT * EXCLUDE (view_basis) FROM indicator_value_store WHERE view_basis = 'any';

-- one row per region, year, fund and basis view: the headline indicators and their ratios
CREATE OR REPLACE VIEW indicators_by_basis AS SELECT * FROM indicator_store;

CREATE OR REPLACE VIEW indicators AS
SELECT * EXCLUDE (view_basis) FROM indicator_store WHERE view_basis = 'any';

-- checks across documents on the chosen values (cumulative balance rolled forward)
CREATE OR REPLACE VIEW indicator_checks AS SELECT * FROM indicator_check_store;

-- facts held out of the indicators until a steward confirms them (a magnitude error; see
-- indicators.sql), for readers that show facts beside the indicators (年内进度)
CREATE OR REPLACE VIEW indicator_held_facts AS SELECT * FROM indicator_held_store;
