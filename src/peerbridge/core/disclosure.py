"""Small-cell suppression for everything shown as de-identified counts: a count under
SMALL_CELL could point at a person, so it is hidden (with a second cell when one hidden
count could be recovered from a total)."""

from __future__ import annotations

SMALL_CELL = 5  # counts under this are suppressed in de-identified summaries


def suppress_small_cells(
    counts: dict[str, int], *, threshold: int = SMALL_CELL
) -> dict[str, int | None]:
    """Counts under the threshold become None. When exactly one cell would be hidden, the
    next smallest is hidden too, so no hidden count can be recovered from the total."""
    shown: dict[str, int | None] = {
        key: (count if count >= threshold else None) for key, count in counts.items()
    }
    hidden = [key for key, count in shown.items() if count is None]
    if len(hidden) == 1:
        visible = sorted((count, key) for key, count in counts.items() if shown[key] is not None)
        if visible:
            shown[visible[0][1]] = None
    return shown
