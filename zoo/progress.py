"""Progress of long loops: tqdm's bar on a terminal; off a terminal (a log file, CI) the same bar as a line
of its own every PERIOD_S seconds, so that a long run is never silent."""
from __future__ import annotations

import sys

from tqdm import tqdm

PERIOD_S = 30.0


class _Lines:
    """A stream for tqdm off a terminal: each refresh becomes a line of its own."""

    def __init__(self, stream):
        self.stream = stream

    def write(self, text: str) -> None:
        text = text.strip("\r\n")
        if text:
            self.stream.write(text + "\n")

    def flush(self) -> None:
        self.stream.flush()


def progress(iterable=None, disable: bool = False, **kwargs) -> tqdm:
    """`tqdm(iterable, **kwargs)` on a terminal, a line every PERIOD_S seconds elsewhere; `disable` turns it
    off (e.g. on all but the main process)."""
    if disable or sys.stderr.isatty():
        return tqdm(iterable, disable=disable, **kwargs)
    return tqdm(iterable, file=_Lines(sys.stderr), mininterval=PERIOD_S, ascii=True, **kwargs)
