"""A report's public address (``documents.source_url``, read at ingest from the file's sidecar,
pipelines/sidecar.py) as the library, the charts' sources, the deck and the workbook show it: only
a web address (``http://`` or ``https://``, no spaces or control characters) is ever a link."""

from __future__ import annotations

import re

import polars as pl

HEADER = "来源网址"
WEB_ADDRESS = r"^(?i:https?)://[^\s\x00-\x1f\x7f]+$"


def address_column() -> pl.Expr:
    """The ``source_url`` column as 来源网址 (empty unless a web address)."""
    url = pl.col("source_url")
    return pl.when(url.str.contains(WEB_ADDRESS)).then(url).otherwise(None).alias(HEADER)


def web_address(url: str | None) -> str | None:
    """One report's public address, when it is a web address (else None)."""
    return url if url is not None and re.fullmatch(WEB_ADDRESS, url) else None
