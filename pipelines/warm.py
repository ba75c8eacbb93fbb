"""Imported by the workers' fork server (pipelines/workers.py): the pipeline's rules compiled and
its region table loaded once, so that every worker forked from it starts ready.

Best effort: a failure here must not take the fork server down (it would fail every file), so
it is left for the worker to meet on its first file, where it is reported for that file.
"""

import contextlib

from pipelines.ingest import warm_up

with contextlib.suppress(Exception):
    warm_up()
