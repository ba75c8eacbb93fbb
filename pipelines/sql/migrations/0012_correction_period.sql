-- Migration 0012: a steward's added or corrected figure of part of a year keeps its period
-- (1-6月) as an extracted one does: the column `period` of `correction`, required (by the model)
-- for a partial figure.  fact_base takes an added figure's period from it, fact_current a
-- corrected one's (views.sql); corrections made before keep the period read from the text.
ALTER TABLE correction ADD COLUMN IF NOT EXISTS period VARCHAR;
