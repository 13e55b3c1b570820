"""The decision engine's hedge steps (docs/method.md, Bands and sizing), both sized at least cost
by :func:`alvh.method.sizing.size_hedges`:

* :func:`hedge_vega` — R-HEDGE-VEGA (and R-RSI-REDUCE's cut): nothing while the hedge share stays
  inside the trigger band; a breach is traded to the target band's nearest edge with VX/VXM
  futures and L1 VIX call spreads expiring just after the next scheduled event (a trim sells back
  what is held), within the sleeve bounds of R-SLEEVE-VEGA and R-DELTA's cap on the VIX futures'
  vega; no vega hedge is added within R-HEDGE-VEGA's ``min_hold_days`` of one taken off. With
  R-DELTA's ``instrument = "vix"`` it holds the delta band too (the articles' L2 overlay), and
  ``priority`` says which band gives way when the futures cannot meet both.
  With R-STRESS switched on, the stress-budgeted step sizes the vega hedges instead.
* :func:`hedge_delta` — R-DELTA with ``instrument = "es"``: E-mini and Micro E-mini S&P 500
  futures bring delta back to the target edge; they carry no vega, so the two bands never fight.

An action is named by what its trades do: hedge vega up is ADD_VEGA_HEDGE, down is TRIM_HEDGE,
unchanged is HEDGE_DELTA. The core's strikes are left alone.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
import pandas as pd

from alvh.book import Instrument, Leg, Role
from alvh.book.builders import spx_future, vix_call_spread, vix_future
from alvh.book.instruments import instrument_mask
from alvh.exceptions import InputError
from alvh.market.events import first_vix_expiry_after
from alvh.market.expiries import quarterly_expiry_after
from alvh.market.snapshot import Market
from alvh.method.actions import ActionType
from alvh.method.rules import RuleId
from alvh.method.sizing import HedgeCandidate, SizingResult, VegaBounds, size_hedges
from alvh.method.state import BookState, StepResult
from alvh.method.trades import Trade, layer_for, role_of_layer, text_cell, trade_of_leg
from alvh.risk.valuation import BookRisk, value_legs

__all__ = ["hedge_action_type", "hedge_candidates", "hedge_delta", "hedge_vega", "unit_trades", "vix_futures_cap"]

_Unit = tuple[str, str, tuple[Leg, ...], int, int]
"""A hedge unit before it is valued: name, layer, legs, min and max units."""

ES_MIN_DAYS = 7
"""S&P 500 futures are traded on the first quarterly expiry more than this many days away (a
contract about to settle is not opened)."""

_VEGA_MOVED = 0.5
"""$ per vol point: a trade that moves hedge vega less than this is a delta hedge."""

GAVE_WAY = 0.01
"""Share of core vega: a band (or centre) missed by more than this gave way to the other limits —
integers alone miss a centre by a little."""


def hedge_vega(state: BookState) -> StepResult:
    """R-HEDGE-VEGA's band (with R-RSI-REDUCE, and R-DELTA when VIX futures hold delta)."""
    fired, rules = state.fired, state.inputs.rules
    vega, cut = fired.get(RuleId.HEDGE_VEGA), fired.get(RuleId.RSI_REDUCE)
    if rules.stress.enabled:
        vega = cut = None  # R-STRESS sizes the vega hedges (alvh.method.stress_hedge)
    by_vix = rules.delta.instrument == "vix"
    delta = fired.get(RuleId.DELTA) if by_vix else None
    direction = vega.details.get("direction") if vega is not None else None
    de_layering = RuleId.DELAYER in fired  # the hedge layers come off while VIX retraces a spike
    if de_layering:
        cut = None
        vega = None if direction == "under" else vega
    risk = state.risk
    core_vega, hedge_now = risk.core_vega, risk.hedge_vega
    net = float(risk.total["spx_vega"])  # the whole book's: L3 (not a vega hedge) included
    over = vega is not None and direction == "over"
    if cut is not None and (net >= 0 or over):
        cut = None  # no net short vega to cut, or already over-hedged: the trim comes first
    if not (vega or cut or delta):
        return None, state
    fired_ids = tuple(r.id for r in (delta, vega, cut) if r is not None)
    if core_vega == 0:
        return state.act(
            ActionType.ADD_VEGA_HEDGE, fired_ids, "The core has no vega to size the hedges against.", {}, feasible=False
        )
    settings = rules.hedge_vega
    denominator = float(vega.details.get("denominator", abs(core_vega))) if vega else abs(core_vega)
    if cut is not None:
        # R-RSI-REDUCE: cut net short vega N by cut_share with hedges: H′ = (1 − c)·N − (N − H).
        centre = ((1 - rules.rsi_reduce.cut_share) * net - (net - hedge_now)) / denominator
        band = (centre, centre)
    elif vega is not None:
        edge = settings.trade_to == "edge"
        band = (settings.target_min, settings.target_max) if edge else (settings.target_share,) * 2
    elif settings.enabled and not rules.stress.enabled:
        band = (settings.min_share, settings.max_share)  # only the delta band: keep the vega band
    else:
        band = (-math.inf, math.inf)  # no vega band in force: only the delta band
    notes = []
    adding = cut is not None or (vega is not None and not over)
    last_exit = state.inputs.history.last_hedge_exit
    as_of = state.inputs.market.as_of.date()
    if adding and last_exit is not None and (as_of - last_exit).days < settings.min_hold_days:
        wait = f"a hedge was taken off on {last_exit}: none is added back for {settings.min_hold_days} days"
        if delta is None:
            return state.act(ActionType.ADD_VEGA_HEDGE, fired_ids, f"Held: {wait}.", {}, feasible=False)
        band, adding = (-math.inf, math.inf), False
        notes.append(f"hedge vega left as it is ({wait})")
    if de_layering and not over:
        band = (-math.inf, math.inf)  # only the delta band, with futures: hedge vega stays as de-layered
    candidates = hedge_candidates(state, allow_selling=over, new_l1=adding and not de_layering)
    caps = vix_futures_cap(state, candidates, denominator)
    target_total = denominator * settings.target_share

    def size(delta_band: float) -> SizingResult:
        return size_hedges(
            candidates,
            spx_delta=float(risk.total["spx_delta"]),
            hedge_vega=hedge_now,
            core_vega=denominator,
            condor_units=risk.core_units,
            delta_band=delta_band,
            share_band=band,
            objective=settings.objective,
            sleeves=_sleeve_bounds(state, candidates, target_total),
            caps=caps,
        )

    in_band = rules.delta.target_abs if delta is not None else rules.delta.max_abs
    result = size(in_band if by_vix else math.inf)
    if by_vix and (not result.feasible or result.gave_way > GAVE_WAY):
        why = "VIX futures move SPX delta and vega together, and the"
        if rules.delta.priority == "vega":
            result = size(math.inf)
            notes.append(f"delta left outside ±{rules.delta.max_abs:g}: {why} vega band comes first")
        elif result.feasible:
            notes.append(f"hedge vega short of its band by {result.gave_way:.0%} of core: {why} delta band comes first")
        else:
            capped = f"their vega within {rules.delta.vix_vega_cap:.0%} of core (R-DELTA's vix_vega_cap)"
            result = replace(result, message=f"{result.message}, with {capped}")
    return _act(state, fired_ids, result, candidates, notes)


def hedge_delta(state: BookState) -> StepResult:
    """R-DELTA with E-mini and Micro E-mini S&P 500 futures, back to the target edge."""
    rules = state.inputs.rules
    if rules.delta.instrument != "es":
        return None, state
    delta = state.rule(RuleId.DELTA)
    if not delta.fired:
        return None, state
    risk, market = state.risk, state.inputs.market
    expiry = quarterly_expiry_after(market.as_of.date(), min_days=ES_MIN_DAYS)
    layer = layer_for(state.book, Role.DELTA_OVERLAY, "L2")
    units: list[_Unit] = [
        (f"MES {expiry}", layer, (spx_future(market, expiry, 1.0),), -1000, 1000),
        (f"ES {expiry}", layer, (spx_future(market, expiry, 1.0, mini=False),), -1000, 1000),
    ]
    candidates = _candidates(state, units, family=f"S&P 500 future {expiry}")
    result = size_hedges(
        candidates,
        spx_delta=float(risk.total["spx_delta"]),
        hedge_vega=risk.hedge_vega,
        core_vega=risk.core_vega,
        condor_units=risk.core_units,
        delta_band=rules.delta.target_abs,
        objective=rules.hedge_vega.objective,
    )
    return _act(state, (delta.id,), result, candidates, [])


def _act(
    state: BookState, fired: tuple[str, ...], result: SizingResult, candidates: list[HedgeCandidate], notes: list[str]
) -> StepResult:
    """The action of a sizing, named by what its trades do to hedge vega."""
    kind = hedge_action_type(result.numbers.get("hedge_vega_after", 0.0) - result.numbers.get("hedge_vega_before", 0.0))
    numbers = {
        "delta_per_condor_after": result.delta_per_condor,
        "hedge_share_after": result.hedge_share,
        "gave_way": result.gave_way,
        **result.numbers,
    }
    said = "; ".join(notes)
    if not result.feasible or not result.units:
        reason = result.message if not result.feasible else f"no hedge trade: {said or 'the bands hold as they are'}"
        return state.act(kind, fired, reason, numbers, feasible=result.feasible)
    trades = unit_trades(candidates, result.units)
    event = state.inputs.event
    new_l1 = any(name.startswith(_L1_SPREAD) for name in result.units)
    where = f" (new L1 expiring after the {event.kind} on {event.date})" if event and new_l1 else ""
    return state.act(kind, fired, f"{result.message}{where}{' — ' + said if said else ''}.", numbers, trades)


def hedge_action_type(vega_moved: float) -> ActionType:
    """A hedge trade named by what it does to hedge vega ($ per vol point): up is ADD_VEGA_HEDGE,
    down TRIM_HEDGE, unchanged (within :data:`_VEGA_MOVED`) HEDGE_DELTA."""
    if vega_moved > _VEGA_MOVED:
        return ActionType.ADD_VEGA_HEDGE
    return ActionType.TRIM_HEDGE if vega_moved < -_VEGA_MOVED else ActionType.HEDGE_DELTA


def unit_trades(candidates: list[HedgeCandidate], units: Mapping[str, int]) -> tuple[Trade, ...]:
    """The trades of a sizing: each candidate's legs times its units, into its layer."""
    by_name = {c.name: c for c in candidates}
    return tuple(
        trade_of_leg(by_name[name].layer, leg, round(leg.quantity) * count)
        for name, count in units.items()
        for leg in by_name[name].legs
    )


def vix_futures_cap(state: BookState, candidates: list[HedgeCandidate], core: float) -> VegaBounds:
    """R-DELTA's cap for a sizing: the VIX futures' SPX vega after the trades within
    ±``vix_vega_cap`` × ``core`` (|core vega|, $ per vol point), or no further out than it is now."""
    futures = np.array([Instrument(c.legs[0].instrument).is_future for c in candidates], dtype=bool)
    cap = state.inputs.rules.delta.vix_vega_cap * core
    now = _vega_of(state.risk, lambda i: i.is_future)
    return {"VIX futures": (futures, now, min(-cap, now), max(cap, now))}


def _vega_of(risk: BookRisk, test: Callable[[Instrument], bool]) -> float:
    """SPX vega of the legs whose instrument passes ``test``."""
    legs = risk.legs
    mask = instrument_mask(legs["instrument"].to_numpy(object), test)
    return float(legs["spx_vega"].to_numpy()[mask].sum()) if len(legs) else 0.0


def _sleeve_bounds(state: BookState, candidates: list[HedgeCandidate], hedge_target: float) -> VegaBounds:
    """R-SLEEVE-VEGA for the sizing: per hedge layer with a target share of ``hedge_target`` ($ per
    vol point), (its candidates, its vega now, low, high) within max_drift per condor unit of that
    target (the rule in force: tightened like the rule itself while R-MACD-TIGHTEN fires)."""
    risk = state.risk
    sleeve = state.inputs.rules.in_force(RuleId.MACD_TIGHTEN in state.fired).sleeve_vega
    if not sleeve.enabled or not risk.core_units:
        return {}
    room = sleeve.max_drift * risk.core_units
    vega_now = {str(layer): float(row["spx_vega"]) for layer, row in risk.layers.iterrows()}
    bounds: VegaBounds = {}
    for layer in dict.fromkeys([*vega_now, *(c.layer for c in candidates)]):  # new layers start empty
        role = role_of_layer(state.book, layer).value
        if role in sleeve.targets:
            aim = hedge_target * sleeve.targets[role]
            mask = np.array([c.layer == layer for c in candidates], dtype=bool)
            bounds[layer] = (mask, vega_now.get(layer, 0.0), aim - room, aim + room)
    return bounds


_L1_SPREAD = "VIX call spread"
"""The name of a new L1 candidate starts so."""


def hedge_candidates(state: BookState, *, allow_selling: bool, new_l1: bool) -> list[HedgeCandidate]:
    """The vega hedges the engine may trade: VX/VXM on the front VIX future (with R-DELTA's
    ``instrument = "es"`` only down to flat: a vega hedge is not sold short); with ``new_l1``, a
    1-unit L1 VIX call spread at the first VIX expiry after the next event (time-shifting: its vega
    covers the event without expiring inside it), in a group of its own day; with
    ``allow_selling``, also each L1 spread held, to be sold back (a trim closes what is held rather
    than opening an offsetting spread at other strikes or expiries). Each carries its premium and
    what trading it costs (:class:`alvh.method.costs.TradingCosts`, and a future's roll-down over
    R-HEDGE-VEGA's ``holding_days``)."""
    market, book, event, rules = state.inputs.market, state.book, state.inputs.event, state.inputs.rules
    as_of = market.as_of.date()
    l2 = layer_for(book, Role.DELTA_OVERLAY, "L2")
    l1 = layer_for(book, Role.THETA_ANCHOR, "L1")
    front = first_vix_expiry_after(market, as_of, with_options=False)
    if front is None:
        raise InputError("the market has no VIX future after as_of: nothing to hedge with")
    if rules.delta.instrument == "vix":
        sells = (1000, 100)
    else:
        held = _held_futures(state.risk, front)
        sells = (int(held.get(Instrument.VXM.value, 0)), int(held.get(Instrument.VX.value, 0)))
    units: list[_Unit] = [
        ("VXM " + str(front), l2, (vix_future(market, front, 1.0),), -sells[0], 1000),
        ("VX " + str(front), l2, (vix_future(market, front, 1.0, mini=False),), -sells[1], 1000),
    ]
    after = event.date if event else as_of + dt.timedelta(days=7)
    l1_expiry = first_vix_expiry_after(market, after)
    if new_l1 and l1_expiry is not None:
        group = f"L1-{l1_expiry}-{as_of:%Y%m%d}"  # a spread bought today is a position of its own
        spread = vix_call_spread(market, l1_expiry, long_delta=0.35, width=5.0, quantity=1.0, group=group)
        units.append((f"{_L1_SPREAD} {spread[0].strike:g}/{spread[1].strike:g} {l1_expiry}", l1, spread, 0, 1000))
    if allow_selling:
        units += _held_units(state.risk, l1)
    return _candidates(state, units, family=f"VIX future {front}")


def _candidates(state: BookState, units: list[_Unit], *, family: str | None) -> list[HedgeCandidate]:
    """The units valued (one call), priced and costed; futures of one expiry form ``family``."""
    market, costs = state.inputs.market, state.inputs.costs
    holding = state.inputs.rules.hedge_vega.holding_days
    sums = value_legs([legs for _, _, legs, _, _ in units], market, trusted=True)
    delta, vega = sums["spx_delta"].to_numpy(), sums["spx_vega"].to_numpy()
    candidates = []
    for i, (name, layer, legs, min_units, max_units) in enumerate(units):
        instruments = [Instrument(leg.instrument) for leg in legs]
        linear = all(i.is_future or i.is_spx_future for i in instruments)
        candidates.append(
            HedgeCandidate(
                name,
                layer,
                legs,
                float(delta[i]),
                float(vega[i]),
                cost=float(
                    sum(
                        leg.quantity * instrument.multiplier * (leg.entry_price or 0.0)
                        for leg, instrument in zip(legs, instruments, strict=True)
                        if instrument.is_option
                    )
                ),
                trade_cost=float(
                    sum(abs(leg.quantity) * costs.per_contract(i) for leg, i in zip(legs, instruments, strict=True))
                ),
                roll_down=sum(_roll_down(market, leg, holding) for leg in legs),
                min_units=min_units,
                max_units=max_units,
                # futures of one expiry are traded in one direction (see HedgeCandidate.family)
                family=family if linear else None,
            )
        )
    return candidates


def _roll_down(market: Market, leg: Leg, holding_days: float) -> float:
    """$ a long VIX future ``leg`` is expected to lose over ``holding_days`` as it rolls toward
    spot VIX at a constant pace to its expiry (a gain in backwardation; 0 for other legs)."""
    instrument = Instrument(leg.instrument)
    if not instrument.is_future or leg.entry_price is None:
        return 0.0
    days = max((leg.expiry - market.as_of.date()).days, 1)
    premium = leg.entry_price - market.vix.spot
    return float(premium * min(holding_days, days) / days * instrument.multiplier * leg.quantity)


def _held_futures(risk: BookRisk, expiry: dt.date) -> dict[str, float]:
    """Long VIX futures held on ``expiry``, by instrument (what a vega hedge may sell back)."""
    legs = risk.legs
    instrument = legs["instrument"].to_numpy(object)
    quantity = legs["quantity"].to_numpy(np.float64)
    on_expiry = legs["expiry"].to_numpy() == np.datetime64(expiry)
    held = {}
    for name in (Instrument.VX.value, Instrument.VXM.value):
        mine = on_expiry & (instrument == name)
        if mine.any():
            held[name] = max(float(quantity[mine].sum()), 0.0)
    return held


def _held_units(risk: BookRisk, layer: str) -> list[_Unit]:
    """Each VIX option spread held in ``layer`` as a unit that can only be sold back: a group's long
    and short legs paired in strike order into spreads (each its own unit, so that a trim can sell
    part of a group bought in lots of different sizes), priced at the market."""
    legs = risk.legs[(risk.legs["layer"] == layer) & (risk.legs["instrument"] == Instrument.VIX.value)]
    units = []
    for group, g in legs.groupby(legs["group"].fillna(legs["source"]), sort=False):
        for n, rows in enumerate(_spreads(g)):
            quantity = rows["quantity"].to_numpy()
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
                for _, row in rows.iterrows()
            )
            units.append((f"held {group}" + (f" #{n + 1}" if n else ""), layer, unit, -size, 0))
    return units


def _spreads(group: pd.DataFrame) -> list[pd.DataFrame]:
    """A group's legs as spreads: per expiry and right, the longs and shorts paired in strike order
    when they pair one to one with equal sizes; otherwise the group as one unit."""
    pairs = []
    for _, legs in group.groupby(["expiry", "right"], sort=True):
        longs = legs[legs["quantity"] > 0].sort_values("strike")
        shorts = legs[legs["quantity"] < 0].sort_values("strike")
        sizes_match = np.array_equal(longs["quantity"].to_numpy(), -shorts["quantity"].to_numpy())
        if len(longs) != len(shorts) or not sizes_match:
            return [group]
        pairs += [pd.concat([longs.iloc[[i]], shorts.iloc[[i]]]) for i in range(len(longs))]
    return pairs
