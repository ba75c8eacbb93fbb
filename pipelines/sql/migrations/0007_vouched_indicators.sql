-- Migration 0007: only vouched figures reach the indicators.  A `review` fact (fund_facts.confidence)
-- is no indicator candidate (no card, chart, ranking, deck or workbook) until a steward confirms
-- it; the new correction action `confirm` vouches for a figure as read (fact_current gives it
-- `high`, like a correction or restore).  Views only: re-created after the migrations run; this
-- file raises the schema version so files already at version 6 get them.
SELECT 1;
