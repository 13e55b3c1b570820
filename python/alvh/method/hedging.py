"""The decision engine's hedge step (docs/method.md, Decisions): the delta band (R-DELTA) and the
hedge-vega share (R-HEDGE-VEGA, R-RSI-REDUCE) met together by
:func:`alvh.method.sizing.size_hedges` over VX/VXM futures and L1 VIX call spreads expiring just
after the next scheduled event (a trim sells back the L1 spreads held), within the sleeve bounds
of R-SLEEVE-VEGA. The core's strikes are left alone."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import replace

import numpy as np

from alvh.book import Instrument, Leg, Role
from alvh.book.builders import vix_call_spread, vix_future
from alvh.exceptions import InputError
from alvh.market.events import first_vix_expiry_after
from alvh.method.actions import ActionType
from alvh.method.rules import RuleId
from alvh.method.sizing import HedgeCandidate, SizingResult, size_hedges
from alvh.method.state import BookState, StepResult
from alvh.method.trades import layer_for, role_of_layer, text_cell, trade_of_leg
from alvh.risk.valuation import BookRisk, value_legs

__all__ = ["hedge"]

_Unit = tuple[str, str, tuple[Leg, ...], int, int]
"""A hedge unit before it is valued: name, layer, legs, min and max units."""


def hedge(state: BookState) -> StepResult:
    """Delta band and hedge-vega share together, by the MILP of :mod:`alvh.method.sizing`."""
    fired = state.fired
    delta, vega, cut = fired.get(RuleId.DELTA), fired.get(RuleId.HEDGE_VEGA), fired.get(RuleId.RSI_REDUCE)
    de_layering = RuleId.DELAYER in fired  # the hedge layers come off while VIX retraces a spike
    if de_layering:
        cut = None
        if vega is not None and vega.details.get("direction") == "under":
            vega = None
    if not (delta or vega or cut):
        return None, state
    risk = state.risk
    rules = state.inputs.rules
    core_vega, hedge_vega = risk.core_vega, risk.hedge_vega
    net = float(risk.total["spx_vega"])  # the whole book's: L3 (not a vega hedge) included
    over_hedged = vega is not None and vega.details.get("direction") == "over"
    if cut and (net >= 0 or over_hedged):
        cut = None  # no net short vega to cut, or already over-hedged: the trim comes first
        if not (delta or vega):
            return None, state
    over = over_hedged
    adding = vega or cut
    kind = ActionType.TRIM_HEDGE if over else ActionType.ADD_VEGA_HEDGE if adding else ActionType.HEDGE_DELTA
    fired_ids = tuple(r.id for r in (delta, vega, cut) if r is not None)
    if core_vega == 0:
        return state.act(kind, fired_ids, "The core has no vega to size the hedges against.", {}, feasible=False)
    target, band = rules.hedge_vega.target_share, (rules.hedge_vega.min_share, rules.hedge_vega.max_share)
    if cut:
        # R-RSI-REDUCE: cut net short vega N by cut_share with hedges, the other layers (core,
        # L3) left as they are: H′ = (1 − c)·N − (N − H).
        target = ((1 - rules.rsi_reduce.cut_share) * net - (net - hedge_vega)) / abs(core_vega)
        band = (min(band[0], target - 0.05), max(band[1], target + 0.05))
    candidates = _hedge_candidates(state, allow_selling=over, new_l1=not de_layering)
    sleeves = _sleeve_bounds(state, candidates, abs(core_vega) * target)
    if de_layering and not over:
        # only the delta band, with futures: hedge vega stays where the de-layering left it
        target, band, sleeves = hedge_vega / abs(core_vega), (-math.inf, math.inf), {}

    def size(share_band: tuple[float, float], delta_band: float = rules.delta.max_abs) -> SizingResult:
        return size_hedges(
            candidates,
            spx_delta=float(risk.total["spx_delta"]),
            hedge_vega=hedge_vega,
            core_vega=core_vega,
            condor_units=risk.core_units,
            delta_band=delta_band,
            target_share=target,
            share_band=share_band,
            sleeves=sleeves,
        )

    result = size(band)
    if not result.feasible and (delta is not None or rules.delta.priority == "vega"):
        # Every VIX hedge carries SPX delta and vega in one ratio (β·VIX/S; docs/method.md, Models),
        # so a delta breach of more than a few hundredths per condor cannot be hedged inside the vega
        # band (and inside it, moves delta by thousandths): R-DELTA's priority says which band holds.
        why = "VIX hedges move SPX delta and vega together, and the"
        if rules.delta.priority == "delta":
            first = size((-math.inf, math.inf))
            note = f"outside the {band[0]:.0%}-{band[1]:.0%} vega band: {why} delta band comes first"
        else:
            first = size(band, delta_band=math.inf)
            note = (
                f"delta left outside ±{rules.delta.max_abs:g}: {why} vega band comes first "
                f"({RuleId.ROLL.value}: a true break)"
            )
        if first.units:
            result = replace(first, message=f"{first.message} — {note}")
        elif first.feasible:
            result = replace(first, feasible=False, message=f"no hedge trade: {note}")
    numbers = {
        "target_share": target,
        "delta_per_condor_after": result.delta_per_condor,
        "hedge_share_after": result.hedge_share,
        **result.numbers,
    }
    if not result.feasible:
        return state.act(kind, fired_ids, result.message, numbers, feasible=False)
    by_name = {c.name: c for c in candidates}
    trades = tuple(
        trade_of_leg(by_name[name].layer, leg, round(leg.quantity) * units)
        for name, units in result.units.items()
        for leg in by_name[name].legs
    )
    new_l1 = any(name.startswith(_L1_SPREAD) for name in result.units)
    event = state.inputs.event
    where = f" (new L1 expiring after the {event.kind} on {event.date})" if event and new_l1 else ""
    return state.act(kind, fired_ids, f"{result.message}{where}.", numbers, trades)


def _sleeve_bounds(
    state: BookState, candidates: list[HedgeCandidate], hedge_target: float
) -> dict[str, tuple[float, float, float]]:
    """R-SLEEVE-VEGA for the sizing: per hedge layer with a target share of ``hedge_target`` ($ per
    vol point), (its vega now, low, high) within max_drift per condor unit of that target
    (the rule in force: tightened like the rule itself while R-MACD-TIGHTEN fires)."""
    risk = state.risk
    sleeve = state.inputs.rules.in_force(RuleId.MACD_TIGHTEN in state.fired).sleeve_vega
    if not sleeve.enabled or not risk.core_units:
        return {}
    room = sleeve.max_drift * risk.core_units
    vega_now = {str(layer): float(row["spx_vega"]) for layer, row in risk.layers.iterrows()}
    bounds = {}
    for layer in dict.fromkeys([*vega_now, *(c.layer for c in candidates)]):  # new layers start empty
        role = role_of_layer(state.book, layer).value
        if role in sleeve.targets:
            aim = hedge_target * sleeve.targets[role]
            bounds[layer] = (vega_now.get(layer, 0.0), aim - room, aim + room)
    return bounds


_L1_SPREAD = "VIX call spread"
"""The name of a new L1 candidate starts so."""


def _hedge_candidates(state: BookState, *, allow_selling: bool, new_l1: bool) -> list[HedgeCandidate]:
    """VX/VXM on the front VIX future; with ``new_l1``, a 1-unit L1 VIX call spread at the first VIX
    expiry after the next event (time-shifting: its vega covers the event without expiring inside
    it); with ``allow_selling``, also the L1 positions held, to be sold back (a trim closes what is
    held rather than opening an offsetting spread at other strikes or expiries)."""
    market, book, event = state.inputs.market, state.book, state.inputs.event
    front = first_vix_expiry_after(market, market.as_of.date(), with_options=False)
    if front is None:
        raise InputError("the market has no VIX future after as_of: nothing to hedge with")
    after = event.date if event else market.as_of.date() + dt.timedelta(days=7)
    l1_expiry = first_vix_expiry_after(market, after)
    l2 = layer_for(book, Role.DELTA_OVERLAY, "L2")
    l1 = layer_for(book, Role.THETA_ANCHOR, "L1")
    units: list[_Unit] = [
        ("VXM " + str(front), l2, (vix_future(market, front, 1.0),), -1000, 1000),
        ("VX " + str(front), l2, (vix_future(market, front, 1.0, mini=False),), -100, 1000),
    ]
    if new_l1 and l1_expiry is not None:
        spread = vix_call_spread(market, l1_expiry, long_delta=0.35, width=5.0, quantity=1.0, group=f"L1-{l1_expiry}")
        units.append((f"{_L1_SPREAD} {spread[0].strike:g}/{spread[1].strike:g} {l1_expiry}", l1, spread, 0, 1000))
    if allow_selling:
        units += _held_units(state.risk, l1)
    sums = value_legs([legs for _, _, legs, _, _ in units], market)
    delta, vega = sums["spx_delta"].to_numpy(), sums["spx_vega"].to_numpy()
    candidates = []
    for i, (name, layer, legs, min_units, max_units) in enumerate(units):
        instruments = [Instrument(leg.instrument) for leg in legs]
        cost = float(
            sum(
                leg.quantity * instrument.multiplier * (leg.entry_price or 0.0)
                for leg, instrument in zip(legs, instruments, strict=True)
                if instrument.is_option
            )
        )
        candidates.append(
            HedgeCandidate(
                name,
                layer,
                legs,
                float(delta[i]),
                float(vega[i]),
                cost,
                min_units=min_units,
                max_units=max_units,
                # VX and VXM are traded in one direction (see HedgeCandidate.family)
                family=f"VIX future {front}" if all(instrument.is_future for instrument in instruments) else None,
            )
        )
    return candidates


def _held_units(risk: BookRisk, layer: str) -> list[_Unit]:
    """Each VIX option position (group) held in ``layer`` as a unit that can only be sold back:
    the legs divided by their common size, priced at the market."""
    legs = risk.legs[(risk.legs["layer"] == layer) & (risk.legs["instrument"] == Instrument.VIX)]
    units = []
    for group, g in legs.groupby(legs["group"].fillna(legs["source"]), sort=False):
        quantity = g["quantity"].to_numpy()
        size = int(np.gcd.reduce(np.abs(quantity).astype(np.int64)))
        if size == 0 or not np.array_equal(quantity, np.round(quantity)):
            continue  # fractional positions are not traded back in whole contracts
        unit = tuple(
            Leg(
                instrument=Instrument.VIX,
                expiry=row["expiry"].date(),
                quantity=row["quantity"] / size,
                strike=float(row["strike"]),
                right=row["right"],
                entry_price=float(row["price"]),
                group=text_cell(row["group"]),
            )
            for _, row in g.iterrows()
        )
        units.append((f"held {group}", layer, unit, -size, 0))
    return units
