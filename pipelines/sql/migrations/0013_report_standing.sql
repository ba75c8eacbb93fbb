-- Migration 0013: how final a report's figures are (`report.standing`, from its genre in
-- rules/documents.yaml): `final` for a 统计公报 of the 医保/人社 system or a 决算, `provisional` for
-- a 快报, `ordinary` for the rest.  Where two reports give one region, year, fund and measure
-- different values, the indicators take the final report's, then the more precise figure
-- (30922.17亿元 over 约3.09万亿元), and only then the newer report (pipelines/sql/indicators.sql).
-- Reports already stored get the genre and standing ingest gives today: the three genres this
-- version adds (统计快报, which the 统计公报 pattern caught; 国民经济统计公报; 基金决算) are told
-- apart from the words of the title and first part of the text, as ingest does.
ALTER TABLE report ADD COLUMN IF NOT EXISTS standing VARCHAR DEFAULT 'ordinary';
CREATE TEMP TABLE report_head AS
SELECT doc_id, regexp_replace(coalesce(title, '') || left(text, 3000), '[ \t\x{3000}]+', '', 'g') AS head
FROM report;
UPDATE report SET genre = '统计快报'
FROM report_head h
WHERE h.doc_id = report.doc_id AND report.genre IN ('统计公报', '其他')
  AND regexp_matches(h.head, '统计快报|(?:运行|数据|基金)快报');
UPDATE report SET genre = '国民经济统计公报'
FROM report_head h
WHERE h.doc_id = report.doc_id AND report.genre = '统计公报'
  AND regexp_matches(h.head, '国民经济和社会发展(?:的)?统计公报');
UPDATE report SET genre = '基金决算'
FROM report_head h
WHERE h.doc_id = report.doc_id AND report.genre = '其他' AND regexp_matches(h.head, '基金决算|决算草案');
DROP TABLE report_head;
UPDATE report SET standing = CASE
    WHEN genre IN ('统计公报', '基金决算', '部门决算说明') THEN 'final'
    WHEN genre = '统计快报' THEN 'provisional'
    ELSE 'ordinary' END;
