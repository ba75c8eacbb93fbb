-- Migration 0008: each report's title as its text gives it (pipelines.ingest.report_title: the
-- first of its first lines that reads as a title), so the dashboard names reports by their
-- titles and region-year rather than their file names (often hashes).  NULL for reports stored
-- before this version until they are ingested again, and for texts that open with no title.
ALTER TABLE report ADD COLUMN IF NOT EXISTS title VARCHAR;
