"""The decision engine's steps on the core and the layers (docs/method.md, Decisions): de-layer,
roll, reduce, add L3, add a theta layer. Each takes a book state, answers the rules fired on it
and returns its action (or None) and the state it leaves; the hedge step is in
:mod:`alvh.method.hedging`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh._format import dollars
from alvh._typing import FloatArray
from alvh.book import Leg, Role
from alvh.book.builders import iron_condor, strike_for_delta, vertical, vix_put_spread
from alvh.book.legs import position_sizes
from alvh.market.events import vix_expiries_after
from alvh.method.actions import ActionType
from alvh.method.rules import RuleId
from alvh.method.state import BookState, StepResult
from alvh.method.trades import Trade, closing_trades, layer_for, trade_of_leg
from alvh.risk.valuation import value_legs

__all__ = ["add_l3", "add_theta_layer", "delayer", "reduce_crowded", "roll_core"]


def delayer(state: BookState) -> StepResult:
    """R-DELAYER: close the L1, L3 and outer hedge layers to capture a spike's gain — with
    ``gain_only``, only the layers that show one (a layer at a loss stays on: taking it off
    would realise the loss, not capture a gain)."""
    rule = state.fired.get(RuleId.DELAYER)
    if rule is None:
        return None, state
    risk = state.risk
    roles = {Role.THETA_ANCHOR.value, Role.ADAPTIVE.value, Role.OUTER.value}
    legs = risk.legs[risk.legs["role"].isin(roles)]
    numbers = {"retracement": rule.value or 0.0}
    if legs.empty:
        return state.act(ActionType.DELAYER, (rule.id,), rule.message + " No hedge layers to take off.", numbers)
    gains = legs.groupby("layer", sort=False)["unrealized_pnl"].sum()
    kept = gains[gains <= 0] if state.inputs.rules.delayer.gain_only else gains.iloc[:0]
    closing = legs[~legs["layer"].isin(kept.index)]
    gain = float(closing["unrealized_pnl"].sum())
    held = "; ".join(f"{layer} kept at {dollars(pnl)} (no gain to capture)" for layer, pnl in kept.items())
    said = f"Closing {len(closing)} hedge leg(s) (unrealized P&L {dollars(gain)})" if len(closing) else "Nothing closed"
    return state.act(
        ActionType.DELAYER,
        (rule.id,),
        f"{rule.message} {said}{'; ' + held if held else ''}.",
        {**numbers, "hedge_gain": gain, "layers_kept": float(len(kept))},
        tuple(closing_trades(risk, closing)),
    )


def roll_core(state: BookState) -> StepResult:
    """R-ROLL: a true technical break — close the broken condors, reopen them out in time."""
    rule = state.fired.get(RuleId.ROLL)
    if rule is None or not rule.details.get("rolled"):
        return None, state
    risk, market, rules = state.risk, state.inputs.market, state.inputs.rules
    trades: list[Trade] = []
    legs = risk.legs
    short_delta, widths, opened = rules.roll.short_delta, [], []
    for group in rule.details["rolled"]:
        old = legs[legs["group"] == group]
        trades += closing_trades(risk, old)
        expiry = old["expiry"].iloc[0].date() + dt.timedelta(days=rules.roll.roll_days)
        quantity = int(old["quantity"].abs().max())
        layer = str(old["layer"].iloc[0])
        wing = _wing_width(old, rules.macd_ladder.wing_width)
        widths.append(wing)
        condor = iron_condor(
            market, expiry, short_delta=short_delta, wing_width=wing, quantity=quantity, group=f"{group}-roll"
        )
        trades += [trade_of_leg(layer, leg, int(leg.quantity)) for leg in condor]
        opened.append(condor)
    shown = ", ".join(f"{w:g}" for w in dict.fromkeys(widths))
    check, numbers = _entry_check(state, opened)
    return state.act(
        ActionType.ROLL_CORE,
        (rule.id,),
        f"{rule.message} Close and reopen {rules.roll.roll_days} days further out at {short_delta * 100:g} delta, "
        f"with the same {shown}-point wings.{check}",
        {"condors": float(len(rule.details["rolled"])), "short_delta": short_delta, **numbers},
        tuple(trades),
    )


def _entry_check(state: BookState, condors: list[tuple[Leg, ...]]) -> tuple[str, dict[str, float]]:
    """R-SHORT-DELTA on the engine's new condors, at entry: a sentence for the action's reason
    (saying so when a short strike lands outside the band) and its numbers (the short strikes'
    |delta| range and how many are outside)."""
    rule = state.inputs.rules.short_delta
    shorts = [leg for condor in condors for leg in condor if leg.quantity < 0]
    if not rule.enabled or not shorts:
        return "", {}
    metrics = value_legs([[leg] for leg in shorts], state.inputs.market, trusted=True)
    deltas = np.abs(metrics["delta"].to_numpy()) / np.array([abs(leg.quantity) * 100.0 for leg in shorts])
    outside = int(((deltas < rule.min) | (deltas > rule.max)).sum())
    band = f"R-SHORT-DELTA's {rule.min:.2f}-{rule.max:.2f} band"
    verdict = f"{outside} of them OUTSIDE {band}" if outside else f"inside {band}"
    sentence = f" New short strikes at |delta| {deltas.min():.3f}-{deltas.max():.3f}: {verdict}."
    numbers = {"short_delta_low": float(deltas.min()), "short_delta_high": float(deltas.max())}
    return sentence, numbers | {"short_strikes_outside": float(outside)}


def _wing_width(legs: pd.DataFrame, default: float) -> float:
    """A core group's wing width (rows of ``risk.legs``): the widest gap between the strikes of its
    puts or of its calls; ``default`` for a group without two strikes on one side."""
    gaps = [float(g.max() - g.min()) for _, g in legs.groupby("right")["strike"] if len(g) > 1]
    return max(gaps) if gaps and max(gaps) > 0 else default


def reduce_crowded(state: BookState) -> StepResult:
    """R-CROWDED-BE: cut the condors near their break-evens by a share, don't close them — a
    q-lot is cut by ``min(round(q·share), q − 1)`` units, so a 1-lot is left alone."""
    rule = state.fired.get(RuleId.CROWDED_BE)
    if rule is None:
        return None, state
    risk = state.risk
    share = state.inputs.rules.crowded.reduce_share
    trades: list[Trade] = []
    cuts: dict[str, float] = {}
    for group in rule.details.get("near", []):
        rows = risk.legs[risk.legs["group"] == group]
        units = int(rows["quantity"].abs().max())
        cut = min(round(units * share), units - 1)
        cuts[group] = float(cut)
        if cut > 0:
            trades += closing_trades(risk, rows, cut / units)
    kept = [group for group, cut in cuts.items() if not cut]
    reason = f"{rule.message} Cut those condors by {share:.0%}, keeping at least one unit of each."
    if kept:
        reason += f" Left alone (a cut would close them): {', '.join(kept)}."
    return state.act(
        ActionType.REDUCE,
        (rule.id,),
        reason,
        {"condors": float(rule.value or 0.0), "share": share, "units_cut": float(sum(cuts.values()))},
        tuple(trades),
        feasible=bool(trades),
    )


def add_l3(state: BookState) -> StepResult:
    """R-L3: VIX put spreads at the second VIX expiry, topped up to a share of the core's vega."""
    rule = state.fired.get(RuleId.L3)
    if rule is None or RuleId.DELAYER in state.fired:  # no hedge layer goes back on while they come off
        return None, state
    risk, market, rules = state.risk, state.inputs.market, state.inputs.rules
    expiries = vix_expiries_after(market, market.as_of.date())
    if len(expiries) < 2:
        return state.act(
            ActionType.ADD_L3, (rule.id,), rule.message + " No second VIX expiry to trade.", {}, feasible=False
        )
    expiry = expiries[1]
    unit = vix_put_spread(market, expiry, long_delta=0.40, width=2.0, quantity=1.0, group=f"L3-{expiry}")
    core_vega = abs(risk.core_vega)
    held = abs(float(risk.layers.loc[risk.layers["role"] == Role.ADAPTIVE.value, "spx_vega"].sum()))
    per_unit = abs(float(value_legs([unit], market)["spx_vega"].iloc[0]))
    # L3 is sized to its share of the core's vega: topped up while the rule fires, never stacked
    missing = rules.l3.vega_share * core_vega - held
    if per_unit and missing < 0.5 * per_unit:
        return None, state
    quantity = max(1, round(missing / per_unit)) if per_unit else 1
    layer = layer_for(state.book, Role.ADAPTIVE, "L3")
    trades = tuple(trade_of_leg(layer, leg, int(leg.quantity) * quantity) for leg in unit)
    return state.act(
        ActionType.ADD_L3,
        (rule.id,),
        f"{rule.message} {quantity} VIX {expiry} put spread(s) {unit[0].strike:g}/{unit[1].strike:g}.",
        {"units": float(quantity), "vega_share": rules.l3.vega_share},
        trades,
    )


def add_theta_layer(state: BookState) -> StepResult:
    """R-MACD-LADDER, R-SKEW-ADD: a new condor (R-MACD-LADDER's short delta and wings) at the target
    DTE, or a short put spread on the lower-delta side — one per expiry, not stacked while the
    signal lasts."""
    ladder, skew = state.fired.get(RuleId.MACD_LADDER), state.fired.get(RuleId.SKEW_ADD)
    if not (ladder or skew):
        return None, state
    market, rules = state.inputs.market, state.inputs.rules
    table = state.risk.legs
    core = table["role"].to_numpy(object) == Role.CORE.value
    group = table["group"].to_numpy(object)[core]
    quantity = _typical_units(
        group, table["source"].to_numpy(object)[core], table["quantity"].to_numpy(np.float64)[core]
    )
    layer = layer_for(state.book, Role.CORE, "core")
    expiry = _next_friday(market.as_of.date() + dt.timedelta(days=rules.macd_ladder.target_dte))
    # one new layer per expiry: while the signal lasts, the ladder's rung at that expiry is not stacked
    on_expiry = table["expiry"].to_numpy("datetime64[D]")[core] == np.datetime64(expiry)
    held = set(group[on_expiry & ~pd.isna(group)])
    ladder = None if ladder is None or f"IC-{expiry}-ladder" in held else ladder
    skew = None if skew is None or f"PS-{expiry}" in held else skew
    if not (ladder or skew):
        return None, state
    trades: list[Trade] = []
    ids: list[str] = []
    numbers: dict[str, float]
    check, numbers = "", {}  # the R-SHORT-DELTA check of the new condor, if any
    if ladder:
        condor = iron_condor(
            market,
            expiry,
            short_delta=rules.macd_ladder.short_delta,
            wing_width=rules.macd_ladder.wing_width,
            quantity=quantity,
            group=f"IC-{expiry}-ladder",
        )
        trades += [trade_of_leg(layer, leg, int(leg.quantity)) for leg in condor]
        check, numbers = _entry_check(state, [condor])
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
        trades += [trade_of_leg(layer, leg, int(leg.quantity)) for leg in legs]
        ids.append(skew.id)
    return state.act(
        ActionType.ADD_THETA_LAYER,
        tuple(ids),
        " ".join(r.message for r in (ladder, skew) if r is not None)
        + f" New layer expiring {expiry}, {quantity} unit(s).{check}",
        {"units": float(quantity), "dte": float((expiry - market.as_of.date()).days), **numbers},
        tuple(trades),
    )


def _typical_units(group: NDArray[Any], source: NDArray[Any], quantity: FloatArray) -> int:
    """The median size of the core's positions (:func:`alvh.book.legs.position_sizes`; the core's
    legs' ``group``, ``source`` and ``quantity``): the size of a new layer (1 without a core)."""
    if not len(group):
        return 1
    return int(np.median(position_sizes(group, source, quantity)))


def _next_friday(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(4 - day.weekday()) % 7)
