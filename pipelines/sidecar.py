"""A report's sidecar: ``NAME.yaml`` beside ``NAME.txt`` (or any other report file), in the format
of the real-text corpus (tests/corpus/LABELLING.md), holding the public address the text was
taken from (``source_url``) and when (``retrieved``).  The bundled public texts
(data/reports/public/) each have one.

Only the address is read, and only when it is one (``http://`` or ``https://``, no spaces or
control characters, at most ``MAX_URL`` characters): a sidecar that is missing, unreadable, not
YAML or without an address gives ``None`` and never stops an ingest.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipelines.readers import SUPPORTED_SUFFIXES

SUFFIX = ".yaml"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's safe loader where built: ~10x faster
MAX_BYTES = 64 * 1024  # a sidecar is a few lines; anything larger is not one
MAX_URL = 2000
_URL = re.compile(r"https?://[^\s\x00-\x1f\x7f]+", re.IGNORECASE)


def sidecar_of(report: Path) -> Path:
    """Where a report's sidecar is: the same name with ``.yaml``."""
    return report.with_suffix(SUFFIX)


def is_sidecar(path: Path) -> bool:
    """Whether ``path`` is the sidecar of a report beside it (a folder's ingest passes over it)."""
    if path.suffix.lower() != SUFFIX:
        return False
    return any(path.with_suffix(s).is_file() for s in SUPPORTED_SUFFIXES)


def source_url(report: Path) -> str | None:
    """The public address a report's sidecar gives, or None (no sidecar, or no address in it)."""
    path = sidecar_of(report)
    try:
        if not path.is_file() or path.stat().st_size > MAX_BYTES:
            return None
        meta = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    if not isinstance(meta, dict):
        return None
    url = meta.get("source_url")
    if not isinstance(url, str):
        return None
    url = url.strip()
    return url if len(url) <= MAX_URL and _URL.fullmatch(url) else None
