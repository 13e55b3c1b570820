"""Option legs grouped into the positions traders hold, by expiry and strikes, for legs that come
without a position id (broker positions, a legs table without a ``group`` column).

Per layer, instrument (SPX, SPXW or VIX) and expiry, and only for legs without a group:

* SPX and SPXW: each short put is paired with the nearest long put below it, each short call with
  the nearest long call above it, of the same size (credit spreads; the shorts nearest the money
  first). A put spread and a call spread of the same size join into an iron condor (the innermost
  spreads first). A spread left alone is its own group; the legs of one right that pair with
  nothing are one group: a broken-wing butterfly when they are 1 : -2 : 1 on three strikes,
  otherwise an ``UNPAIRED`` group whose rule says why each leg did not pair.
* VIX: each long call is paired with the nearest short call above it, each long put with the
  nearest short put below it, of the same size (debit spreads); a lone VIX option has no group
  (groups matter for the core's per-condor metrics, not for the hedge layers).

Ids name the structure and its strikes (``IC-SPXW-2026-11-27-5705-5755-6010-6060``), so the same
legs give the same ids; an id already in use gets ``#2``, ``#3``… appended.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alvh.book.instruments import Instrument, instrument_mask

__all__ = ["Grouping", "group_legs"]


@dataclass(frozen=True)
class Grouping:
    """The groups :func:`group_legs` found, one entry per leg of the table (in its order)."""

    group: pd.Series
    """The leg's position id (the given one, or the one found); None where it has none."""
    rule: pd.Series
    """Why the leg is in its group (or in none)."""


@dataclass(frozen=True)
class _Leg:
    row: int
    strike: float
    quantity: float


_Structure = tuple[list[_Leg], str | None, list[str]]  # legs, id (None: no group), rule per leg


def group_legs(legs: pd.DataFrame) -> Grouping:
    """Group the option legs of a validated legs table (:attr:`alvh.book.Book.legs`) that have no
    ``group`` (rules in the module docstring); legs with a group keep it.

    The pairing loops over legs in Python (positions files are small): about 1 s per 100,000
    ungrouped options.
    """
    group = legs["group"].to_numpy(object).copy()
    given = ~pd.isna(group)
    group[~given] = None  # None where there is no group, whether the table held None or NaN
    rule = np.where(given, "group given", "no group: not an option").astype(object)
    options = instrument_mask(legs["instrument"].to_numpy(object), lambda i: i.is_option) & ~given
    taken = {str(g) for g in group[given]}
    todo = legs.loc[options, ["layer", "instrument", "expiry", "right", "strike", "quantity"]]
    todo = todo.assign(row=np.flatnonzero(options))
    for (_, instrument, _), bucket in todo.groupby(["layer", "instrument", "expiry"], sort=True):
        day = bucket["expiry"].iloc[0].date().isoformat()
        found = _spx_structures if Instrument(instrument).is_spx_option else _vix_spreads
        for members, name, why in found(bucket, f"{instrument}-{day}"):
            rows = [leg.row for leg in members]
            group[rows] = None if name is None else _unique(name, taken)
            rule[rows] = why
    index = legs.index
    return Grouping(pd.Series(group, index=index, dtype=object), pd.Series(rule, index=index, dtype=object))


def _spx_structures(bucket: pd.DataFrame, label: str) -> Iterator[_Structure]:
    """Credit spreads joined into condors; what is left, per right (``label``: instrument-expiry)."""
    puts, lone_puts = _pair(_legs(bucket, "put"), anchor_sign=-1.0, outward=-1.0)
    calls, lone_calls = _pair(_legs(bucket, "call"), anchor_sign=-1.0, outward=1.0)
    by_size: dict[float, deque[tuple[_Leg, _Leg]]] = {}
    for call in calls:
        by_size.setdefault(call[0].quantity, deque()).append(call)
    spreads, joined = [], set()
    for put in puts:  # both lists run from the money outwards: the innermost spreads join first
        same = by_size.get(put[0].quantity)
        if not same:
            spreads.append((put, "put"))
            continue
        call = same.popleft()
        joined.add(call[0].row)
        (short_put, long_put), (short_call, long_call) = put, call
        strikes = _strikes(long_put, short_put, short_call, long_call)
        size = abs(short_put.quantity)
        yield (
            [long_put, short_put, short_call, long_call],
            _id("IC", label, strikes),
            [f"iron condor {strikes} × {size:g}"] * 4,
        )
    for (short, long), kind in [*spreads, *((c, "call") for c in calls if c[0].row not in joined)]:
        strikes = _strikes(*sorted((short, long), key=lambda leg: leg.strike))
        other = "call" if kind == "put" else "put"
        why = f"{kind} credit spread {strikes} × {abs(short.quantity):g}: no {other} spread of this size to join"
        yield [short, long], _id(f"{kind[0].upper()}S", label, strikes), [why] * 2
    for right, lone in (("put", lone_puts), ("call", lone_calls)):
        if not lone:
            continue
        lone.sort(key=lambda leg: leg.strike)
        quantities = [leg.quantity for leg in lone]
        strikes = _strikes(*lone)
        if len(lone) == 3 and quantities[0] == quantities[2] == -quantities[1] / 2:
            why = f"broken-wing butterfly {strikes} (1 : -2 : 1 × {abs(quantities[0]):g})"
            yield lone, _id("BWB", label, f"{right}-{strikes}"), [why] * 3
        else:
            yield (
                lone,
                _id("UNPAIRED", label, f"{right}-{strikes}"),
                [
                    f"unpaired: {_why_alone(leg, right, anchor_sign=-1.0)}; grouped with the other unpaired {right}s"
                    for leg in lone
                ],
            )


def _vix_spreads(bucket: pd.DataFrame, label: str) -> Iterator[_Structure]:
    """Debit spreads; a lone leg has no group."""
    for right, outward in (("call", 1.0), ("put", -1.0)):
        pairs, lone = _pair(_legs(bucket, right), anchor_sign=1.0, outward=outward)
        for long, short in pairs:
            strikes = _strikes(long, short)
            why = f"VIX {right} spread {strikes} × {long.quantity:g}"
            yield [long, short], _id(f"VIX-{right}-spread", label.removeprefix("VIX-"), strikes), [why] * 2
        for leg in lone:
            yield [leg], None, [f"no group: {_why_alone(leg, right, anchor_sign=1.0)}"]


def _legs(bucket: pd.DataFrame, right: str) -> list[_Leg]:
    rows = bucket[bucket["right"] == right]
    return [
        _Leg(int(r), float(k), float(q)) for r, k, q in zip(rows["row"], rows["strike"], rows["quantity"], strict=True)
    ]


def _pair(legs: list[_Leg], *, anchor_sign: float, outward: float) -> tuple[list[tuple[_Leg, _Leg]], list[_Leg]]:
    """Pair each anchor leg (quantity of sign ``anchor_sign``), from the money outwards, with the
    nearest free leg of the opposite quantity beyond its strike (``outward``: +1 above, -1 below).
    Returns the (anchor, wing) pairs, in that order, and the legs left over."""

    def distance(leg: _Leg) -> float:  # grows away from the money
        return outward * leg.strike

    anchors = sorted((leg for leg in legs if leg.quantity * anchor_sign > 0), key=distance)
    free: dict[float, list[_Leg]] = {}  # the free wings by quantity, nearest the money first
    for leg in sorted((leg for leg in legs if leg.quantity * anchor_sign < 0), key=distance):
        free.setdefault(leg.quantity, []).append(leg)
    pairs = []
    for anchor in anchors:
        wings = free.get(-anchor.quantity, [])
        k = bisect.bisect_right(wings, distance(anchor), key=distance)
        if k < len(wings):
            pairs.append((anchor, wings.pop(k)))
    paired = {leg.row for pair in pairs for leg in pair}
    return pairs, [leg for leg in legs if leg.row not in paired]


def _why_alone(leg: _Leg, right: str, *, anchor_sign: float) -> str:
    """Why ``leg`` found no partner: the partner it needed (an anchor needs a wing further out of
    the money, a wing an anchor nearer the money)."""
    outward = 1.0 if right == "call" else -1.0
    anchor = leg.quantity * anchor_sign > 0
    side = "above" if (outward > 0) == anchor else "below"
    other = "short" if leg.quantity > 0 else "long"
    return f"no {other} {right} {side} {_points(leg.strike)} of size {abs(leg.quantity):g}"


def _id(kind: str, label: str, strikes: str) -> str:
    return f"{kind}-{label}-{strikes.replace('/', '-')}"


def _strikes(*legs: _Leg) -> str:
    return "/".join(_points(leg.strike) for leg in legs)


def _points(strike: float) -> str:
    """A strike as few digits as it needs (5705, 5702.5): OCC strikes have 3 decimals at most."""
    return f"{strike:.3f}".rstrip("0").rstrip(".")


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name#2``, ``name#3``… when it is in use; records it as taken."""
    unique, n = name, 1
    while unique in taken:
        n += 1
        unique = f"{name}#{n}"
    taken.add(unique)
    return unique
