-- Migration 0011: the stored indicator tables are built again whole.  Files written while version 9
-- was being made could reach version 10 without indicator_held_store (the facts held back for a
-- magnitude error), and every later write to them failed.  Dropping the four tables here lets the
-- rebuild that follows every migration (pipelines/store.py migrate) create them with their current
-- definitions, whatever a file held before.
DROP TABLE IF EXISTS indicator_value_store;
DROP TABLE IF EXISTS indicator_store;
DROP TABLE IF EXISTS indicator_check_store;
DROP TABLE IF EXISTS indicator_held_store;
