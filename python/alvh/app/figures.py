"""What every alvh plot shares: one figure size, figures built without pyplot (no global
matplotlib state read or changed; matplotlib loaded on use), PNGs of exactly that size, and the
formats of money and times on axes and titles."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.ticker import Formatter

__all__ = [
    "FIGURE_SIZE_PX",
    "eastern_time",
    "money_formatter",
    "new_axes",
    "new_figure",
    "new_figure_grid",
    "png_bytes",
    "save_png",
]

_SIZE_INCHES = (10.0, 6.0)
_DPI = 100
FIGURE_SIZE_PX = (int(_SIZE_INCHES[0] * _DPI), int(_SIZE_INCHES[1] * _DPI))
"""(width, height) in pixels of every PNG alvh writes."""


def new_axes() -> tuple[Figure, Axes]:
    figure = new_figure()
    return figure, figure.add_subplot()


def new_figure_grid(nrows: int, ncols: int) -> tuple[Figure, list[list[Axes]]]:
    figure = new_figure()
    axes = figure.subplots(nrows, ncols, sharex=True, squeeze=False)
    return figure, [list(row) for row in axes]


def new_figure() -> Figure:
    from matplotlib.figure import Figure  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)

    return Figure(figsize=_SIZE_INCHES, dpi=_DPI, layout="constrained")


def save_png(figure: Figure, path: str | Path) -> Path:
    """Write ``figure`` as a PNG of exactly :data:`FIGURE_SIZE_PX` and return the path."""
    path = Path(path)
    _write_png(figure, path)
    return path


def png_bytes(figure: Figure) -> bytes:
    """``figure`` as the bytes of the PNG :func:`save_png` writes (for pages that inline their
    images)."""
    buffer = io.BytesIO()
    _write_png(figure, buffer)
    return buffer.getvalue()


def _write_png(figure: Figure, target: Path | IO[bytes]) -> None:
    # no tight bounding box, which would change the size
    figure.savefig(target, format="png", dpi=_DPI)


def money_formatter() -> Formatter:
    from matplotlib.ticker import StrMethodFormatter  # noqa: PLC0415 (matplotlib is loaded on use: its import is slow)

    return StrMethodFormatter("{x:,.0f}")


def eastern_time(value: dt.datetime | str | None) -> str:
    """A time as 'YYYY-MM-DD HH:MM ET' (naive US/Eastern, as every alvh time)."""
    if value is None:
        return "unknown time"
    stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return f"{stamp:%Y-%m-%d %H:%M} ET"
