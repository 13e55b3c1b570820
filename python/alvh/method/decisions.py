"""The decision engine: from the book's Greeks, the rules and the market signals, an ordered list
of actions — each with the rules and numbers that fired it, the proposed trades (instrument,
expiry, strikes, integer quantity, estimated cost) and the book's Greeks and rule results after
the trades, re-evaluated through the same engine (SPEC §1, "Decisions").

Actions, in the order they are proposed (each acts on the book left by the previous ones, and
answers the rules as re-evaluated on that book):

* ``DELAYER`` (R-DELAYER): close the L1, L3 and outer hedge layers to capture a spike's gain; while
  it fires no hedge is added back (no ADD_VEGA_HEDGE, ADD_L3 or R-RSI-REDUCE hedge);
* ``ROLL_CORE`` (R-ROLL): a true technical break — close the broken condor, reopen it out in time;
* ``REDUCE`` (R-CROWDED-BE): cut the condors near their break-evens by a share, don't close them;
* ``ADD_L3`` (R-L3): VIX put spreads sized to a share of the core's vega;
* ``ADD_THETA_LAYER`` (R-MACD-LADDER, R-SKEW-ADD): a new 12-delta condor at the target DTE, or a
  short put spread on the lower-delta side;
* ``HEDGE_DELTA`` / ``ADD_VEGA_HEDGE`` / ``TRIM_HEDGE`` (R-DELTA, R-HEDGE-VEGA, R-RSI-REDUCE):
  hedge sizing by :func:`alvh.method.sizing.size_hedges` over VX/VXM futures and L1 VIX call spreads
  expiring just after the next scheduled event (a trim sells back the L1 spreads held), last so
  that it sizes the book the other actions leave — the core's strikes are left alone. VIX hedges
  move SPX delta and vega in one ratio, so when both bands cannot be met R-DELTA's ``priority``
  says which holds (the delta band by default) and the reason says so;
* ``HOLD`` when nothing fired.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh._jsonable import jsonable
from alvh.book import Book, Instrument, Leg, Role, entry_after_trade
from alvh.book.builders import iron_condor, strike_for_delta, vertical, vix_call_spread, vix_future, vix_put_spread
from alvh.exceptions import InputError
from alvh.market.events import Event, first_vix_expiry_after, next_event, vix_expiries_after
from alvh.market.snapshot import Market
from alvh.method.actions import ActionType
from alvh.method.rules import RuleInputs, RuleResult, Rules, default_rules, evaluate_rules
from alvh.method.signals import Signals
from alvh.method.sizing import HedgeCandidate, SizingResult, size_hedges
from alvh.risk.valuation import BookRisk, value_book, value_legs

__all__ = ["Action", "ActionType", "Decision", "Trade", "decide"]


@dataclass(frozen=True)
class Trade:
    """One proposed order: a leg bought (quantity > 0) or sold, into a layer."""

    layer: str
    instrument: str
    expiry: dt.date
    quantity: int
    right: str | None
    strike: float | None
    price: float
    """Model price per unit (premium; futures: the futures price)."""
    group: str | None = None

    @property
    def cost(self) -> float:
        """$ paid (negative: received): premium × quantity × multiplier; 0 for futures."""
        if self.instrument in ("VX", "VXM"):
            return 0.0
        return self.quantity * Instrument(self.instrument).multiplier * self.price

    def leg(self) -> Leg:
        return Leg(
            instrument=self.instrument,
            expiry=self.expiry,
            quantity=float(self.quantity),
            strike=self.strike,
            right=self.right,  # type: ignore[arg-type]
            entry_price=self.price,
            group=self.group,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "instrument": self.instrument,
            "expiry": self.expiry.isoformat(),
            "right": self.right,
            "strike": self.strike,
            "quantity": self.quantity,
            "price": round(self.price, 4),
            "cost": round(self.cost, 2),
            "group": self.group,
        }


@dataclass(frozen=True)
class Action:
    """One proposed action and the book after it."""

    type: ActionType
    rules: tuple[str, ...]
    reason: str
    numbers: dict[str, float]
    trades: tuple[Trade, ...]
    feasible: bool = True
    _after: _Outcome | None = field(default=None, repr=False, compare=False)

    @property
    def greeks_after(self) -> dict[str, float]:
        """The headline numbers of the book after this action (and the ones before it)."""
        return self._after.greeks if self._after is not None else {}

    @property
    def rules_after(self) -> tuple[RuleResult, ...]:
        """The rules as evaluated on the book after this action (and the ones before it)."""
        return self._after.results if self._after is not None else ()

    @property
    def cost(self) -> float:
        return float(sum(t.cost for t in self.trades))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = jsonable(
            {
                "type": self.type.value,
                "rules": list(self.rules),
                "reason": self.reason,
                "feasible": self.feasible,
                "numbers": self.numbers,
                "trades": [t.to_dict() for t in self.trades],
                "cost": round(self.cost, 2),
                "greeks_after": self.greeks_after,
                "rules_after": [r.to_dict() for r in self.rules_after],
            }
        )
        return data


GREEK_SUMMARY = ["spx_delta", "spx_dollar_delta", "spx_gamma", "spx_vega", "tw_vega", "theta", "market_value"]


def greek_summary(risk: BookRisk) -> dict[str, float]:
    """The headline numbers of a valued book."""
    out = {name: float(risk.total[name]) for name in GREEK_SUMMARY}
    out["delta_per_condor"] = risk.delta_per_condor
    out["hedge_vega_share"] = risk.hedge_vega_share
    return out


@dataclass(frozen=True)
class Decision:
    """The engine's answer for one book and market."""

    as_of: dt.datetime
    book: Book
    risk: BookRisk
    rules: tuple[RuleResult, ...]
    actions: tuple[Action, ...]
    next_event: Event | None = None

    @property
    def book_after(self) -> Book:
        """The book with every proposed trade applied."""
        return _apply(self.book, [t for a in self.actions for t in a.trades])

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form (the CLI's ``--json`` and the journal store this)."""
        data: dict[str, Any] = jsonable(
            {
                "as_of": self.as_of.isoformat(),
                "book": self.book.name,
                "greeks": greek_summary(self.risk),
                "rules": [r.to_dict() for r in self.rules],
                "actions": [a.to_dict() for a in self.actions],
                "next_event": None
                if self.next_event is None
                else {"date": self.next_event.date.isoformat(), "kind": self.next_event.kind},
            }
        )
        return data


def _apply(book: Book, trades: list[Trade]) -> Book:
    """The book with the trades done. A trade on a leg held (same layer, instrument, expiry, right,
    strike and group) changes that leg's quantity, and a leg closed to zero goes, so that a closed
    condor no longer counts (as condor units, margin, break-evens); other trades are new legs, in
    new layers with the role their default name says (L1, L2, L3, core)."""
    legs = book.legs
    keys = {column: legs[column].to_numpy(object) for column in ("layer", "instrument", "right", "group")}
    keys["expiry"] = legs["expiry"].to_numpy("datetime64[D]")
    keys["strike"] = legs["strike"].to_numpy(np.float64)
    quantity = legs["quantity"].to_numpy(np.float64, copy=True)
    entry = legs["entry_price"].to_numpy(np.float64, copy=True)
    new = []
    for t in trades:
        held = _held_row(keys, quantity, t)
        if held is None:
            new.append((t.layer, t.leg()))
            continue
        entry[held] = entry_after_trade(quantity[held], entry[held], t.quantity, t.price)
        quantity[held] += t.quantity
    roles = {t.layer: _role_of_new_layer(book, t.layer) for t in trades}
    return book.with_sizes(quantity, entry).with_legs(new, role_of_new_layers=roles)


def _held_row(keys: dict[str, NDArray[Any]], quantity: NDArray[np.float64], trade: Trade) -> int | None:
    """The position of the first open leg (of the legs whose key columns are ``keys``) that
    ``trade`` trades, or None."""
    same = (
        (keys["layer"] == trade.layer)
        & (keys["instrument"] == trade.instrument)
        & (keys["expiry"] == np.datetime64(trade.expiry, "D"))
        & (quantity != 0)
    )
    for column, value in (("right", trade.right), ("strike", trade.strike), ("group", trade.group)):
        same &= pd.isna(keys[column]) if value is None else keys[column] == value
    return int(np.argmax(same)) if same.any() else None


@dataclass(frozen=True, eq=False)
class _Outcome:
    """A book the engine reached and, computed when first read, its valuation, headline numbers
    and rule results. What decide() needs it reads at once; the rest (the Greeks and rules after
    the last action) is left to whoever reads :attr:`Action.greeks_after` or
    :attr:`Action.rules_after` — the same numbers, from inputs that do not change."""

    book: Book
    market: Market
    rules: Rules
    inputs: dict[str, Any]

    @cached_property
    def risk(self) -> BookRisk:
        return value_book(self.book, self.market, per_leg=True)

    @cached_property
    def greeks(self) -> dict[str, float]:
        return greek_summary(self.risk)

    @cached_property
    def results(self) -> tuple[RuleResult, ...]:
        return tuple(evaluate_rules(RuleInputs(self.book, self.market, self.risk, **self.inputs), self.rules))

    def after(self, trades: tuple[Trade, ...]) -> _Outcome:
        """The outcome of doing ``trades`` on this book."""
        return replace(self, book=_apply(self.book, list(trades)))


@dataclass
class _State:
    """The book as actions accumulate."""

    now: _Outcome

    @property
    def book(self) -> Book:
        return self.now.book

    @property
    def market(self) -> Market:
        return self.now.market

    @property
    def rules(self) -> Rules:
        return self.now.rules

    def risk(self) -> BookRisk:
        return self.now.risk


def decide(
    book: Book,
    market: Market,
    *,
    rules: Rules | None = None,
    signals: Signals | None = None,
    events: list[Event] | None = None,
    spx_history: pd.Series | None = None,
    inflation_rising: bool | None = None,
    theta_ratio: float | None = None,
) -> Decision:
    """Evaluate the rules on ``book`` at ``market`` and propose the actions of the module
    docstring, each re-evaluated after its trades."""
    rules = rules or default_rules()
    inputs = {
        "signals": signals,
        "spx_history": None if spx_history is None else spx_history.copy(),  # read again after the call
        "inflation_rising": inflation_rising,
        "theta_ratio": theta_ratio,
    }
    state = _State(_Outcome(book, market, rules, inputs))
    # the decision hands this valuation out: what is read from it is read before it can change
    risk, results, _ = state.risk(), state.now.results, state.now.greeks
    event = next_event(events or [], market.as_of.date())
    fired = {r.id: r for r in results if r.fired}

    proposals: list[Callable[[], Action | None]] = [
        lambda: _delayer(state, fired),
        lambda: _roll(state, fired),
        lambda: _reduce(state, fired),
        lambda: _add_l3(state, fired),
        lambda: _add_theta_layer(state, fired),
        lambda: _hedge(state, fired, event),  # last: sized on the book the others leave
    ]
    actions: list[Action] = []
    answered = state.now
    for propose in proposals:
        if state.now is not answered:
            # the next proposals answer the book the last one left (a roll may have fixed the delta)
            answered = state.now
            fired.clear()
            fired.update((r.id, r) for r in answered.results if r.fired)
        proposal = propose()
        if proposal is None:
            continue
        if proposal.trades:
            state.now = state.now.after(proposal.trades)
        # an action without trades (infeasible, nothing to close) leaves the book as it was
        actions.append(replace(proposal, _after=state.now))
    if not actions:
        actions.append(Action(ActionType.HOLD, (), "No rule calls for action: hold.", {}, (), _after=state.now))
    return Decision(market.as_of, book, risk, results, tuple(actions), event)


# --- trades -----------------------------------------------------------------------------------


def _trade(layer: str, leg: Leg, quantity: int) -> Trade:
    instrument = leg.instrument.value if isinstance(leg.instrument, Instrument) else str(leg.instrument)
    return Trade(
        layer=layer,
        instrument=instrument,
        expiry=leg.expiry,
        quantity=int(quantity),
        right=leg.right,
        strike=leg.strike,
        price=float(leg.entry_price if leg.entry_price is not None else 0.0),
        group=leg.group,
    )


def _closing_trades(risk: BookRisk, rows: pd.DataFrame, share: float = 1.0) -> list[Trade]:
    """Trades closing ``share`` of the given legs (at their current model prices)."""
    trades = []
    for _, leg in rows.iterrows():
        quantity = -int(np.sign(leg["quantity"]) * max(1, round(abs(leg["quantity"]) * share)))
        price = float(leg["underlying"]) if leg["instrument"] in ("VX", "VXM") else float(leg["price"])
        trades.append(
            Trade(
                layer=str(leg["layer"]),
                instrument=str(leg["instrument"]),
                expiry=leg["expiry"].date(),
                quantity=quantity,
                right=_text(leg["right"]),
                strike=None if pd.isna(leg["strike"]) else float(leg["strike"]),
                price=price,
                group=_text(leg["group"]),
            )
        )
    return trades


def _text(value: Any) -> str | None:
    """A legs-table text cell (``right``, ``group``): None where it is empty (NaN)."""
    return None if pd.isna(value) else str(value)


def _layer_for(book: Book, role: Role, default: str) -> str:
    return next((layer.name for layer in book.layers if layer.role is role), default)


# --- actions ----------------------------------------------------------------------------------


def _delayer(state: _State, fired: dict[str, RuleResult]) -> Action | None:
    rule = fired.get("R-DELAYER")
    if rule is None:
        return None
    risk = state.risk()
    roles = {Role.THETA_ANCHOR.value, Role.ADAPTIVE.value, Role.OUTER.value}
    legs = risk.legs[risk.legs["role"].isin(roles)]
    if legs.empty:
        return Action(
            ActionType.DELAYER,
            (rule.id,),
            rule.message + " No hedge layers to take off.",
            {"retracement": rule.value or 0.0},
            (),
        )
    gain = float(legs["unrealized_pnl"].sum())
    return Action(
        ActionType.DELAYER,
        (rule.id,),
        f"{rule.message} Closing {len(legs)} hedge leg(s) (unrealized P&L ${gain:,.0f}).",
        {"retracement": rule.value or 0.0, "hedge_gain": gain},
        tuple(_closing_trades(risk, legs)),
    )


def _roll(state: _State, fired: dict[str, RuleResult]) -> Action | None:
    rule = fired.get("R-ROLL")
    if rule is None or not rule.details.get("rolled"):
        return None
    risk = state.risk()
    trades: list[Trade] = []
    legs = risk.legs
    for group in rule.details["rolled"]:
        old = legs[legs["group"] == group]
        trades += _closing_trades(risk, old)
        expiry = old["expiry"].iloc[0].date() + dt.timedelta(days=state.rules.roll.roll_days)
        quantity = int(old["quantity"].abs().max())
        layer = str(old["layer"].iloc[0])
        new_group = f"{group}-roll"
        for leg in iron_condor(state.market, expiry, short_delta=0.12, quantity=quantity, group=new_group):
            trades.append(_trade(layer, leg, int(leg.quantity)))
    return Action(
        ActionType.ROLL_CORE,
        (rule.id,),
        f"{rule.message} Close and reopen {state.rules.roll.roll_days} days further out at 12 delta.",
        {"condors": float(len(rule.details["rolled"]))},
        tuple(trades),
    )


def _reduce(state: _State, fired: dict[str, RuleResult]) -> Action | None:
    rule = fired.get("R-CROWDED-BE")
    if rule is None:
        return None
    risk = state.risk()
    share = state.rules.crowded.reduce_share
    rows = risk.legs[risk.legs["group"].isin(rule.details.get("near", []))]
    return Action(
        ActionType.REDUCE,
        (rule.id,),
        f"{rule.message} Cut those condors by {share:.0%}.",
        {"condors": float(rule.value or 0.0), "share": share},
        tuple(_closing_trades(risk, rows, share)),
    )


def _hedge(state: _State, fired: dict[str, RuleResult], event: Event | None) -> Action | None:
    """Delta band and hedge-vega share together, by the MILP of :mod:`alvh.method.sizing`."""
    delta, vega, cut = fired.get("R-DELTA"), fired.get("R-HEDGE-VEGA"), fired.get("R-RSI-REDUCE")
    de_layering = "R-DELAYER" in fired  # the hedge layers come off while VIX retraces a spike
    if de_layering:
        cut = None
        if vega is not None and vega.details.get("direction") == "under":
            vega = None
    # R-NET-VEGA and R-VEGA-PER-SPREAD see the same hedge from the net side (book vega against its
    # target); when they fire inside the R-HEDGE-VEGA band, the sizing brings it to the target too.
    net_rule = None if de_layering else fired.get("R-NET-VEGA") or fired.get("R-VEGA-PER-SPREAD")
    if not (delta or vega or cut or net_rule):
        return None
    risk = state.risk()
    rules = state.rules
    core_vega, hedge_vega = risk.core_vega, risk.hedge_vega
    net = core_vega + hedge_vega
    over_hedged = vega is not None and vega.details.get("direction") == "over"
    if cut and (net >= 0 or over_hedged):
        cut = None  # no net short vega to cut, or already over-hedged: the trim comes first
        if not (delta or vega or net_rule):
            return None
    # without R-HEDGE-VEGA's direction, the net rules' sign says it: net vega above its target
    net_above = cut is None and net_rule is not None and (net_rule.value or 0.0) > 0
    over = over_hedged if vega is not None else net_above
    adding = vega or cut or net_rule
    kind = ActionType.TRIM_HEDGE if over else ActionType.ADD_VEGA_HEDGE if adding else ActionType.HEDGE_DELTA
    vega_rules = [fired.get(i) for i in ("R-NET-VEGA", "R-VEGA-PER-SPREAD")] if net_rule else []
    fired_ids = tuple(r.id for r in (delta, vega, cut, *vega_rules) if r is not None)
    if core_vega == 0:
        return Action(kind, fired_ids, "The core has no vega to size the hedges against.", {}, (), feasible=False)
    target, band = rules.hedge_vega.target_share, (rules.hedge_vega.min_share, rules.hedge_vega.max_share)
    if cut:
        # R-RSI-REDUCE: cut net short vega by cut_share with hedges: H′ = (1 − c)·(C + H) − C.
        target = ((1 - rules.rsi_reduce.cut_share) * net - core_vega) / abs(core_vega)
        band = (min(band[0], target - 0.05), max(band[1], target + 0.05))
    candidates = _hedge_candidates(state, risk, event, allow_selling=over, new_l1=not de_layering)
    sleeves = _sleeve_bounds(state, risk, candidates, abs(core_vega) * target, fired)
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
        # Every VIX hedge carries SPX delta and vega in one ratio (β·VIX/S, SPEC §2), so a delta
        # breach of more than a few hundredths per condor cannot be hedged inside the vega band
        # (and inside it, moves delta by thousandths): R-DELTA's priority says which band holds.
        why = "VIX hedges move SPX delta and vega together, and the"
        if rules.delta.priority == "delta":
            first = size((-math.inf, math.inf))
            note = f"outside the {band[0]:.0%}-{band[1]:.0%} vega band: {why} delta band comes first"
        else:
            first = size(band, delta_band=math.inf)
            note = f"delta left outside ±{rules.delta.max_abs:g}: {why} vega band comes first (R-ROLL: a true break)"
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
        return Action(kind, fired_ids, result.message, numbers, (), feasible=False)
    by_name = {c.name: c for c in candidates}
    trades = [
        _trade(by_name[name].layer, leg, round(leg.quantity) * units)
        for name, units in result.units.items()
        for leg in by_name[name].legs
    ]
    new_l1 = any(name.startswith("VIX call spread") for name in result.units)
    where = f" (new L1 expiring after the {event.kind} on {event.date})" if event and new_l1 else ""
    return Action(kind, fired_ids, f"{result.message}{where}.", numbers, tuple(trades))


def _sleeve_bounds(
    state: _State, risk: BookRisk, candidates: list[HedgeCandidate], hedge_target: float, fired: dict[str, RuleResult]
) -> dict[str, tuple[float, float, float]]:
    """R-SLEEVE-VEGA for the sizing: per hedge layer with a target share of ``hedge_target`` ($ per
    vol point), (its vega now, low, high) within max_drift per condor unit of that target
    (tightened like the rule itself while R-MACD-TIGHTEN fires)."""
    rules = state.rules
    sleeve = rules.sleeve_vega
    if not sleeve.enabled or not risk.core_units:
        return {}
    room = sleeve.max_drift * risk.core_units
    if "R-MACD-TIGHTEN" in fired:
        room *= 1.0 - rules.macd_tighten.tighten
    vega_now = {str(layer): float(row["spx_vega"]) for layer, row in risk.layers.iterrows()}
    bounds = {}
    for layer in dict.fromkeys([*vega_now, *(c.layer for c in candidates)]):  # new layers start empty
        role = _role_of_new_layer(state.book, layer).value
        if role in sleeve.targets:
            aim = hedge_target * sleeve.targets[role]
            bounds[layer] = (vega_now.get(layer, 0.0), aim - room, aim + room)
    return bounds


def _role_of_new_layer(book: Book, layer: str) -> Role:
    """The role a layer has (or will have, for the default core/L1/L2/L3 names)."""
    for spec in book.layers:
        if spec.name == layer:
            return spec.role
    defaults = {"core": Role.CORE, "L1": Role.THETA_ANCHOR, "L2": Role.DELTA_OVERLAY, "L3": Role.ADAPTIVE}
    return defaults.get(layer, Role.CUSTOM)


def _hedge_candidates(
    state: _State, risk: BookRisk, event: Event | None, *, allow_selling: bool, new_l1: bool
) -> list[HedgeCandidate]:
    """VX/VXM on the front VIX future; with ``new_l1``, a 1-unit L1 VIX call spread at the first VIX
    expiry after the next event (time-shifting: its vega covers the event without expiring inside
    it); with ``allow_selling``, also the L1 positions held, to be sold back (a trim closes what is
    held rather than opening an offsetting spread at other strikes or expiries)."""
    market, book = state.market, state.book
    front = first_vix_expiry_after(market, market.as_of.date(), with_options=False)
    if front is None:
        raise InputError("the market has no VIX future after as_of: nothing to hedge with")
    after = event.date if event else market.as_of.date() + dt.timedelta(days=7)
    l1_expiry = first_vix_expiry_after(market, after)
    l2 = _layer_for(book, Role.DELTA_OVERLAY, "L2")
    l1 = _layer_for(book, Role.THETA_ANCHOR, "L1")
    units: list[tuple[str, str, tuple[Leg, ...], int, int]] = [
        ("VXM " + str(front), l2, (vix_future(market, front, 1.0),), -1000, 1000),
        ("VX " + str(front), l2, (vix_future(market, front, 1.0, mini=False),), -100, 1000),
    ]
    if new_l1 and l1_expiry is not None:
        spread = vix_call_spread(market, l1_expiry, long_delta=0.35, width=5.0, quantity=1.0, group=f"L1-{l1_expiry}")
        units.append((f"VIX call spread {spread[0].strike:g}/{spread[1].strike:g} {l1_expiry}", l1, spread, 0, 1000))
    if allow_selling:
        units += _held_units(risk, l1)
    sums = value_legs([legs for _, _, legs, _, _ in units], market)
    delta, vega = sums["spx_delta"].to_numpy(), sums["spx_vega"].to_numpy()
    candidates = []
    for i, (name, layer, legs, min_units, max_units) in enumerate(units):
        cost = float(
            sum(
                leg.quantity * Instrument(leg.instrument).multiplier * (leg.entry_price or 0.0)
                for leg in legs
                if Instrument(leg.instrument).is_option
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
                family=f"VIX future {front}" if name.startswith(("VX ", "VXM ")) else None,
            )
        )
    return candidates


def _held_units(risk: BookRisk, layer: str) -> list[tuple[str, str, tuple[Leg, ...], int, int]]:
    """Each VIX option position (group) held in ``layer`` as a unit that can only be sold back:
    the legs divided by their common size, priced at the market."""
    legs = risk.legs[(risk.legs["layer"] == layer) & (risk.legs["instrument"] == "VIX")]
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
                group=_text(row["group"]),
            )
            for _, row in g.iterrows()
        )
        units.append((f"held {group}", layer, unit, -size, 0))
    return units


def _add_l3(state: _State, fired: dict[str, RuleResult]) -> Action | None:
    rule = fired.get("R-L3")
    if rule is None or "R-DELAYER" in fired:  # no hedge layer goes back on while they come off
        return None
    risk = state.risk()
    market = state.market
    expiries = vix_expiries_after(market, market.as_of.date())
    if len(expiries) < 2:
        return Action(
            ActionType.ADD_L3, (rule.id,), rule.message + " No second VIX expiry to trade.", {}, (), feasible=False
        )
    expiry = expiries[1]
    unit = vix_put_spread(market, expiry, long_delta=0.40, width=2.0, quantity=1.0, group=f"L3-{expiry}")
    core_vega = abs(risk.core_vega)
    held = abs(float(risk.layers.loc[risk.layers["role"] == Role.ADAPTIVE.value, "spx_vega"].sum()))
    per_unit = abs(float(value_legs([unit], market)["spx_vega"].iloc[0]))
    # L3 is sized to its share of the core's vega: topped up while the rule fires, never stacked
    missing = state.rules.l3.vega_share * core_vega - held
    if per_unit and missing < 0.5 * per_unit:
        return None
    quantity = max(1, round(missing / per_unit)) if per_unit else 1
    layer = _layer_for(state.book, Role.ADAPTIVE, "L3")
    trades = tuple(_trade(layer, leg, int(leg.quantity) * quantity) for leg in unit)
    return Action(
        ActionType.ADD_L3,
        (rule.id,),
        f"{rule.message} {quantity} VIX {expiry} put spread(s) {unit[0].strike:g}/{unit[1].strike:g}.",
        {"units": float(quantity), "vega_share": state.rules.l3.vega_share},
        trades,
    )


def _add_theta_layer(state: _State, fired: dict[str, RuleResult]) -> Action | None:
    ladder, skew = fired.get("R-MACD-LADDER"), fired.get("R-SKEW-ADD")
    if not (ladder or skew):
        return None
    risk = state.risk()
    market, rules = state.market, state.rules
    core = risk.legs[risk.legs["role"] == Role.CORE.value]
    quantity = (
        int(core.groupby(core["group"].fillna(core["source"]))["quantity"].apply(lambda q: q.abs().max()).median())
        if len(core)
        else 1
    )
    layer = _layer_for(state.book, Role.CORE, "core")
    expiry = _next_friday(market.as_of.date() + dt.timedelta(days=rules.macd_ladder.target_dte))
    # one new layer per expiry: while the signal lasts, the ladder's rung at that expiry is not stacked
    held = set(core.loc[core["expiry"].dt.date == expiry, "group"].dropna().astype(str))
    ladder = None if ladder is None or f"IC-{expiry}-ladder" in held else ladder
    skew = None if skew is None or f"PS-{expiry}" in held else skew
    if not (ladder or skew):
        return None
    trades: list[Trade] = []
    ids: list[str] = []
    if ladder:
        group = f"IC-{expiry}-ladder"
        trades += [
            _trade(layer, leg, int(leg.quantity))
            for leg in iron_condor(market, expiry, short_delta=0.12, quantity=quantity, group=group)
        ]
        ids.append(ladder.id)
    if skew:
        short = strike_for_delta(market, expiry, "put", rules.skew_add.short_delta)
        legs = vertical(
            market,
            expiry,
            "put",
            long_strike=short - rules.skew_add.width,
            short_strike=short,
            quantity=quantity,
            group=f"PS-{expiry}",
        )
        trades += [_trade(layer, leg, int(leg.quantity)) for leg in legs]
        ids.append(skew.id)
    return Action(
        ActionType.ADD_THETA_LAYER,
        tuple(ids),
        " ".join(r.message for r in (ladder, skew) if r is not None)
        + f" New layer expiring {expiry}, {quantity} unit(s).",
        {"units": float(quantity), "dte": float((expiry - market.as_of.date()).days)},
        tuple(trades),
    )


def _next_friday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(4 - day.weekday()) % 7)
