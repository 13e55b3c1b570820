"""VIX futures prices from a CSV file: the curve the calibration prices VIX options on.

A header row, then one row per contract, in either of two forms:

* ``expiry,price``: the expiry date (ISO, ``2026-12-16``, like every CSV file alvh defines) and
  the price; the root is taken to be ``VX``;
* ``symbol,price``: a VX or VXM code (``VXF7``, ``VXF27``, ``VXF2027``, ``/VXMF27``); a one-digit
  year is the first such contract not expired on ``as_of``.

Prices are index points, > 0. Each expiry appears once (a VX and a VXM of one expiry are one
price twice: refused) and none is before ``as_of``. Every problem raises an
:class:`~alvh.exceptions.InputError` naming the file, the line, the field and the value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from alvh.exceptions import InputError
from alvh.market.quotes.symbols import parse_future
from alvh.market.quotes.table import header_error, read_rows

__all__ = ["VIX_FUTURE_ROOTS", "read_vix_futures"]

VIX_FUTURE_ROOTS = ("VX", "VXM")


def read_vix_futures(path: str | Path, *, as_of: dt.date) -> pd.DataFrame:
    """Read VIX futures prices (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The CSV file.
    as_of : datetime.date
        The day of the prices: resolves one-digit years of codes; no expiry may be before it.

    Returns
    -------
    pandas.DataFrame
        Columns ``expiry`` (``datetime64[ns]``), ``price`` (index points) and ``root`` (``VX`` or
        ``VXM``), one row per expiry, sorted by expiry.

    Raises
    ------
    InputError
        Naming the file, the line, the field and the value.
    """
    source = str(path)
    rows = read_rows(Path(path))
    if not rows:
        raise InputError(f"{source}: empty file: VIX futures need a header row, expiry,price or symbol,price")
    header_line, header = rows[0]
    if header not in (["expiry", "price"], ["symbol", "price"]):
        raise header_error(source, header_line, header, "must be 'expiry,price' or 'symbol,price'")
    if len(rows) == 1:
        raise InputError(f"{source}: no prices after the header")
    key_field = header[0]
    parsed: dict[dt.date, tuple[int, float, str]] = {}
    for line, cells in rows[1:]:
        expiry, price, root = _row(source, line, cells, key_field, as_of)
        if expiry in parsed:
            raise InputError(
                f"{source}: line {line}: {key_field} = {cells[0]!r} is not allowed: must be one row per expiry: "
                f"line {parsed[expiry][0]} has the same expiry {expiry}"
            )
        parsed[expiry] = (line, price, root)
    frame = pd.DataFrame(
        {
            "expiry": pd.to_datetime(list(parsed)).astype("datetime64[ns]"),
            "price": [price for _, price, _ in parsed.values()],
            "root": [root for _, _, root in parsed.values()],
        }
    )
    return frame.sort_values("expiry", kind="stable").reset_index(drop=True)


def _row(source: str, line: int, cells: list[str], key_field: str, as_of: dt.date) -> tuple[dt.date, float, str]:
    """One row's expiry, price and root."""

    def bad(field: str, value: str, allowed: str) -> InputError:
        return InputError(f"{source}: line {line}: {field} = {value!r} is not allowed: {allowed}")

    if len(cells) != 2:
        raise bad("row", ",".join(cells), f"must be a row of 2 cells (this one has {len(cells)})")
    key, text = cells
    if key_field == "expiry":
        try:
            expiry, root = dt.date.fromisoformat(key), "VX"
        except ValueError:
            raise bad("expiry", key, "must be a date like 2026-12-16 (YYYY-MM-DD)") from None
    else:
        try:
            symbol = parse_future(key, as_of=as_of)
        except InputError as e:
            raise bad("symbol", key, f"must be a VX or VXM futures code like VXF27 ({e})") from None
        if symbol.root not in VIX_FUTURE_ROOTS:
            raise bad("symbol", key, "must be a VIX future: VX or VXM")
        expiry, root = symbol.expiry, symbol.root
    if expiry < as_of:
        raise bad(key_field, key, f"must not expire before as_of = {as_of} (it expires {expiry})")
    try:
        price = float(text)
    except ValueError:
        price = np.nan
    if not (np.isfinite(price) and price > 0):
        raise bad("price", text, "must be a number > 0 (index points)")
    return expiry, price, root
