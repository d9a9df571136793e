"""The progress bar that long management commands draw on standard error."""

from __future__ import annotations

from collections.abc import Callable

PROGRESS_STEPS = 20

Progress = Callable[[int, int], None]


def progress_bar(write: Callable[[str], object], line: Callable[[str, str, str], str]) -> Progress:
    """A `Progress` that writes a bar every twentieth of the way, not on every call.

    `line(bar, done, total)` words it in the user's language; the counts come formatted.
    """
    shown = -1

    def report(done: int, total: int) -> None:
        nonlocal shown
        step = done * PROGRESS_STEPS // max(total, 1)
        if step != shown:
            shown = step
            write(line("#" * step + "-" * (PROGRESS_STEPS - step), f"{done:,}", f"{total:,}"))

    return report
