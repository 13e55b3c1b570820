"""Books from broker positions: a positions CSV (one line per contract held) read into a
:class:`~alvh.book.Book`, every line's layer and group assigned by a rule and reported.

The file has a header row (column names in any case, blanks around them ignored) and these
columns, no others:

=============  ===================================================================================
symbol         an OCC option symbol, padded or not (``SPXW  261127P05600000``; roots SPX, SPXW,
               VIX, VIXW), a VIX futures code (``VXF7``, ``VXMF27``, ``/VXZ2026``) or an S&P 500
               futures code (``ESZ6``, ``MESH27``: quarterly months H, M, U, Z)
quantity       signed whole contracts, negative = short, not zero
average_price  the average entry price per unit: an option's premium or a future's price, in index
               points (>= 0; > 0 for futures); blank when unknown
layer          optional: the layer, instead of the rule's
role           optional, only beside a ``layer``: that layer's role
group          optional: the position id, instead of the grouping's
=============  ===================================================================================

Layer rules: SPX and SPXW options → ``core``; VIX calls (single or in spreads) → ``L1``
(``L1_theta_anchor``); VX and VXM futures and ES and MES futures → ``L2`` (``L2_delta_overlay``,
the delta overlay); VIX puts → ``L3``
(``L3_adaptive``). A ``layer`` cell takes the role from the line's ``role`` cell, else from the
rule layer of that name (``core``, ``L1``, ``L2``, ``L3``), else from the name when it is a role's
value (``custom``, ``outer``…); a role given once serves the layer's later lines, and every line
of a layer must agree on its role. Legs without a
``group`` are grouped by expiry and strikes (:mod:`alvh.book.grouping`: condors, credit spreads,
broken-wing butterflies in the core, VIX debit spreads in the hedges).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from alvh._config import read_csv
from alvh.book.book import Book
from alvh.book.grouping import group_legs
from alvh.book.legs import LEG_COLUMNS, MAX_CONTRACTS
from alvh.book.roles import LayerSpec, Role
from alvh.exceptions import InputError
from alvh.market.quotes.symbols import parse_future, parse_occ

__all__ = ["POSITION_COLUMNS", "REPORT_COLUMNS", "RULE_LAYERS", "PositionsImport", "import_positions"]

POSITION_COLUMNS = ("symbol", "quantity", "average_price", "layer", "role", "group")
"""The columns of a positions file; the first three are required."""
REPORT_COLUMNS = ("line", "symbol", "quantity", "instrument", "layer", "role", "group", "rule")
"""The columns of :attr:`PositionsImport.report`."""
RULE_LAYERS = {"core": Role.CORE, "L1": Role.THETA_ANCHOR, "L2": Role.DELTA_OVERLAY, "L3": Role.ADAPTIVE}
"""The layers the rules assign, with their roles."""

_OPTION_ROOTS = {"SPX": "SPX", "SPXW": "SPXW", "VIX": "VIX", "VIXW": "VIX"}  # OCC root → instrument
_FUTURE_CODE = re.compile(r"/?[A-Z]{2,3}[FGHJKMNQUVXZ]\d{1,4}")  # the shape; parse_future checks the rest


@dataclass(frozen=True)
class PositionsImport:
    """A book read from positions, and how each line was read."""

    book: Book
    report: pd.DataFrame
    """One row per line of the file that is not blank (columns :data:`REPORT_COLUMNS`): its
    line number, symbol and quantity as written, the instrument, layer, role and group it was
    given, and the rule that gave them, or why it was not imported (then instrument, layer, role
    and group are None)."""


class _RefusedError(Exception):
    """A line that cannot be imported: the text says which field, its value and what is allowed."""


def import_positions(
    path: str | Path,
    *,
    as_of: dt.date,
    name: str | None = None,
    on_invalid: Literal["raise", "skip"] = "raise",
) -> PositionsImport:
    """Read a positions CSV (format and rules in the module docstring) into a book.

    Parameters
    ----------
    path
        The positions file.
    as_of
        The date the positions are held on: a one-digit futures year names the first contract not
        expired by then, and a contract that expired before it is refused.
    name
        The book's name (default: the file's name without its suffix).
    on_invalid
        ``"raise"``: the first line that cannot be imported raises. ``"skip"``: such lines are left
        out of the book and reported with the reason.

    Raises
    ------
    InputError
        ``{path}: line {n}: {field} = {value} is not allowed: {what is allowed}`` for a line
        (``"raise"``); for a file that is not readable CSV, lacks a column or has an unknown one,
        or has no position to import.
    """
    if on_invalid not in ("raise", "skip"):
        raise InputError(f"on_invalid = {on_invalid!r} is not allowed: 'raise' or 'skip'")
    path = Path(path)
    # no header row for pandas: it would take a line with one field too many as an index
    frame = read_csv(path, header=None, dtype=str, keep_default_na=False, skip_blank_lines=False)
    cells = _columns(frame, path)
    records: list[dict[str, Any]] = []
    report: list[dict[str, Any]] = []
    roles: dict[str, tuple[Role, int]] = {}  # layer → its role and the line that set it
    seen: dict[tuple[Any, ...], int] = {}  # contract → the line that holds it
    for i in range(1, len(frame)):
        line = i + 1
        row = {column: values[i].strip() for column, values in cells.items()}
        if not any(row.values()):
            continue  # a blank line holds no position
        entry = {"line": line, "symbol": row["symbol"], "quantity": _number(row["quantity"]), "instrument": None}
        try:
            leg, what = _leg(row, as_of)
            entry["instrument"] = leg["instrument"]
            contract = (leg["instrument"], leg["expiry"], leg.get("right"), leg.get("strike"))
            if contract in seen:
                raise _RefusedError(
                    f"symbol = {row['symbol']!r} is not allowed: the contract of line {seen[contract]} again; "
                    "list each contract once (the lots summed)"
                )
            layer, role, rule = _layer(row, what, line, roles)
        except _RefusedError as refused:
            if on_invalid == "raise":
                raise InputError(f"{path}: line {line}: {refused}") from None
            report.append({**entry, "layer": None, "role": None, "group": None, "rule": f"not imported: {refused}"})
            continue
        seen[contract] = line
        roles.setdefault(layer, (role, line))
        group = row["group"] or None
        records.append({**leg, "layer": layer, "group": group, "source": f"line {line}"})
        report.append({**entry, "layer": layer, "role": role.value, "group": group, "rule": rule})
    if not records:
        first = next((r["rule"] for r in report), "the file has a header and no position")
        raise InputError(f"{path}: no position to import ({first})")
    order = [*(n for n in RULE_LAYERS if n in roles), *(n for n in roles if n not in RULE_LAYERS)]
    rank = {layer: k for k, layer in enumerate(order)}
    records.sort(key=lambda r: rank[r["layer"]])  # stable: file order within a layer
    book = Book(
        name or path.stem,
        [LayerSpec(n, roles[n][0]) for n in order],
        pd.DataFrame(records, columns=[*LEG_COLUMNS, "source"]),
        source=str(path),
    )
    grouping = group_legs(book.legs)
    book.legs["group"] = grouping.group
    groups = dict(zip(book.legs["source"], zip(grouping.group, grouping.rule, strict=True), strict=True))
    for entry in report:
        found = groups.get(f"line {entry['line']}")
        if found is not None:
            entry["group"] = found[0]
            entry["rule"] = f"{entry['rule']}; {'group column' if found[1] == 'group given' else found[1]}"
    return PositionsImport(book, pd.DataFrame(report, columns=list(REPORT_COLUMNS)))


def _columns(frame: pd.DataFrame, path: Path) -> dict[str, list[str]]:
    """The file's cells by column name (missing optional columns: blank cells)."""
    names = [str(c).strip().lower() for c in frame.iloc[0]]
    for name in names:
        if name not in POSITION_COLUMNS:
            raise InputError(f"{path}: line 1: unknown column {name!r}; allowed: {', '.join(POSITION_COLUMNS)}")
        if names.count(name) > 1:
            raise InputError(f"{path}: line 1: column {name!r} appears twice")
    for name in POSITION_COLUMNS[:3]:
        if name not in names:
            raise InputError(f"{path}: line 1: missing column {name!r} (need symbol, quantity, average_price)")
    blank = [""] * len(frame)
    by_name = {name: frame.iloc[:, k].astype(str).tolist() for k, name in enumerate(names)}
    return {name: by_name.get(name, blank) for name in POSITION_COLUMNS}


def _leg(row: dict[str, str], as_of: dt.date) -> tuple[dict[str, Any], str]:
    """The leg a line holds (a legs-table record without layer and group) and what it is, e.g.
    ``SPXW put``."""
    text = row["symbol"]
    quantity = _quantity(row["quantity"])
    price = _price(row["average_price"])
    if not text:
        raise _RefusedError("symbol is missing: an OCC option symbol or a futures code")
    try:
        if _FUTURE_CODE.fullmatch(text.upper()):
            future = parse_future(text, as_of=as_of)
            instrument, expiry, right, strike = future.root, future.expiry, None, None
        else:
            option = parse_occ(text)
            instrument, expiry, right, strike = option.root, option.expiry, option.right, option.strike
    except InputError as e:
        raise _RefusedError(f"symbol: {e}") from None
    if right is not None:
        if instrument not in _OPTION_ROOTS:
            raise _RefusedError(
                f"symbol = {text!r} is not allowed: the root {instrument!r} is not an option a book holds; "
                f"roots: {', '.join(_OPTION_ROOTS)}"
            )
        instrument = _OPTION_ROOTS[instrument]
    elif price is not None and price <= 0:
        raise _RefusedError(f"average_price = {row['average_price']!r} is not allowed: > 0 for futures")
    if expiry < as_of:
        raise _RefusedError(f"symbol = {text!r} is not allowed: it expired on {expiry}, before as_of ({as_of})")
    leg = {"instrument": instrument, "expiry": expiry, "right": right, "strike": strike}
    what = f"{instrument} {right}" if right else f"{instrument} future"
    return {**leg, "quantity": quantity, "entry_price": price}, what


def _layer(row: dict[str, str], what: str, line: int, roles: dict[str, tuple[Role, int]]) -> tuple[str, Role, str]:
    """The line's layer, its role and the rule that chose them (``roles``: the layers so far)."""
    layer, named = row["layer"], row["role"]
    if named and not layer:
        raise _RefusedError(
            f"role = {named!r} is not allowed without a layer: a role names the role of the line's layer"
        )
    if not layer:
        layer = _RULES[what]
        role, rule = RULE_LAYERS[layer], f"{what} → {layer}"
    elif named:
        try:
            role = Role(named)
        except ValueError:
            raise _RefusedError(f"role = {named!r} is not allowed: one of {', '.join(r.value for r in Role)}") from None
        rule = "layer and role columns"
    elif layer in roles or layer in RULE_LAYERS or layer in {r.value for r in Role}:
        role = roles[layer][0] if layer in roles else RULE_LAYERS.get(layer) or Role(layer)
        rule = "layer column"
    else:
        raise _RefusedError(
            f"layer = {layer!r} is not allowed without a role: add a role column (one of "
            f"{', '.join(r.value for r in Role)}) or use a layer named after its role or one of "
            f"{', '.join(RULE_LAYERS)}"
        )
    if layer in roles and roles[layer][0] is not role:
        first_role, first_line = roles[layer]
        raise _RefusedError(
            f"layer = {layer!r} with role {role.value!r} is not allowed: line {first_line} gave it role "
            f"{first_role.value!r} (one role per layer)"
        )
    return layer, role, rule


_RULES = {
    "SPX call": "core",
    "SPX put": "core",
    "SPXW call": "core",
    "SPXW put": "core",
    "VIX call": "L1",
    "VIX put": "L3",
    "VX future": "L2",
    "VXM future": "L2",
    "ES future": "L2",
    "MES future": "L2",
}
"""The rule layer of each kind of leg (docs: the module docstring)."""


def _number(text: str) -> float:
    try:
        return float(text) if text else math.nan
    except ValueError:
        return math.nan


def _quantity(text: str) -> float:
    quantity = _number(text)
    if not (math.isfinite(quantity) and quantity != 0 and quantity.is_integer() and abs(quantity) <= MAX_CONTRACTS):
        raise _RefusedError(
            f"quantity = {text!r} is not allowed: a whole number of contracts, not zero, negative for a short "
            f"position, at most {MAX_CONTRACTS:.0e} either way"
        )
    return quantity


def _price(text: str) -> float | None:
    price = _number(text)
    if text and not (math.isfinite(price) and price >= 0):
        raise _RefusedError(
            f"average_price = {text!r} is not allowed: a number >= 0 (the entry price per unit, in index points), "
            "or blank"
        )
    return price if text else None
