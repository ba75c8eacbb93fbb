"""Write data/reports/public/reviews.csv: the human review of the default data set's public texts.

Every public text that is a copy of a corpus text (tests/corpus/batchNN/, the same bytes) gets the
corpus's blind labels of it (gold.csv: every fund figure of the text) and its sidecar's region;
texts without a copy in the corpus, or whose copy differs, get none.  Deterministic: the same
corpus and folder give the same file (tests/test_reviews.py holds the committed file to it).

    python -m scripts.build_reviews [--check]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path
from typing import Any

from pipelines import corpus, reviews
from pipelines.evaluate import region_now

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpus"
PUBLIC = ROOT / "data" / "reports" / "public"


def build(public: Path = PUBLIC, corpus_root: Path = CORPUS) -> list[dict[str, Any]]:
    """The rows of the reviews file for the texts of ``public``, in file-name then label order."""
    texts = {p.name: p for p in public.glob("*.txt")}
    labelled: dict[str, tuple[corpus.Batch, Path]] = {}
    for batch in corpus.batches(corpus_root):
        for name in batch.texts:
            copy = batch.path / name
            if name in texts and copy.read_bytes() == texts[name].read_bytes():
                labelled[name] = (batch, copy)
    rows: list[dict[str, Any]] = []
    for name in sorted(labelled):
        batch, copy = labelled[name]
        source = copy.parent.relative_to(corpus_root.parent.parent).as_posix() + "/gold.csv"
        doc_id = hashlib.sha256(copy.read_bytes()).hexdigest()
        # a renamed region's older code as its current one, as the report's region is stored
        region = region_now(str(batch.sidecars[name]["region_code"]))
        for label in (g for g in batch.gold if g["file"] == name):
            rows.append(
                {
                    **{c: label.get(c, "") for c in reviews.COLUMNS},
                    "region_code": region_now(str(label["region_code"])),
                    "file": name,
                    "doc_id": doc_id,
                    "report_region_code": region,
                    "source": source,
                }
            )
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    reviews.write_to(out, rows)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.build_reviews", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--check", action="store_true", help="only say whether the committed file is current")
    args = parser.parse_args(argv)
    target = PUBLIC / reviews.FILE_NAME
    rows = build()
    text = render(rows)
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else ""
        if current != text:
            print(f"{target.relative_to(ROOT)} 与语料标注不一致，请重新生成", file=sys.stderr)
            return 1
        print(f"{target.relative_to(ROOT)} 与语料标注一致")
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"{target.relative_to(ROOT)}：{len({r['file'] for r in rows})} 份报告，{len(rows)} 条标注")
    return 0


if __name__ == "__main__":
    sys.exit(main())
