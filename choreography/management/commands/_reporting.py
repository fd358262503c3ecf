"""Shared progress output of the import commands."""

from __future__ import annotations

BAR_WIDTH = 24


def progress_line(done: int, total: int, status: str, name: str, detail: str = "") -> str:
    """``[#######.........]  7/20 imported  clips/a.mp4  detail``."""
    filled = round(BAR_WIDTH * done / total) if total else BAR_WIDTH
    bar = "#" * filled + "." * (BAR_WIDTH - filled)
    width = len(str(total))
    line = f"[{bar}] {done:>{width}}/{total} {status:<8} {name}"
    return f"{line}  {detail}" if detail else line
