-- Migration 0010: each report's public address (source_url), read at ingest from the file's
-- sidecar (NAME.yaml beside NAME.txt, pipelines/sidecar.py), so the dashboard, the deck and the
-- workbook can name where a report was published.  NULL for a file without a sidecar, and for
-- reports stored before this version until they are ingested again.  The `documents` view
-- (views.sql) gains the column.
ALTER TABLE report ADD COLUMN IF NOT EXISTS source_url VARCHAR;
