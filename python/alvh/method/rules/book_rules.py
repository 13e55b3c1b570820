"""The rules on the book itself (docs/method.md, Rules): delta, vega and theta bands, the core's
strikes, expiries and break-evens, rolls and the daily vega reconciliation. Each evaluator takes
the inputs and the rules in force (R-MACD-TIGHTEN's tightening already applied) and gives one
:class:`RuleResult`; :data:`alvh.method.rules.RULE_SPECS` says which evaluates which rule."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh._format import dollars
from alvh.market.snapshot import Market
from alvh.method.rules.hedged_view import hedge_cover
from alvh.method.rules.ids import RuleId
from alvh.method.rules.parameters import HedgedViewRule
from alvh.method.rules.results import RuleInputs, RuleResult, RuleStatus, rule_result, skipped
from alvh.risk.stresses import vega_pnl
from alvh.risk.valuation import BookRisk

if TYPE_CHECKING:
    from alvh.method.rules.config import Rules

__all__ = [
    "breakeven",
    "crowded",
    "delta",
    "dte",
    "hedge_vega",
    "near_breakeven",
    "net_vega",
    "recon",
    "roll",
    "short_delta",
    "sleeve_vega",
    "theta",
    "vega_per_spread",
]


def delta(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, value = rules.delta, inputs.risk.delta_per_condor
    if not np.isfinite(value):
        return skipped(RuleId.DELTA, "the book has no core condors to measure delta per condor unit")
    broken = abs(value) > rule.max_abs
    action = " Hedge with VX/VXM futures." if broken else ""
    return rule_result(
        RuleId.DELTA,
        rule,
        broken,
        value,
        f"|delta| <= {rule.max_abs:g} per condor unit",
        f"Net SPX delta per condor unit is {value:+.3f} (band ±{rule.max_abs:g}).{action}",
        spx_delta=inputs.risk.total["spx_delta"],
        condor_units=inputs.risk.core_units,
    )


def hedge_vega(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, risk = rules.hedge_vega, inputs.risk
    # the denominator: the core's |vega| averaged over smoothing_days closes, today's included
    before = inputs.core_vega_history[-(rule.smoothing_days - 1) :] if rule.smoothing_days > 1 else ()
    recent = [*before, risk.core_vega]
    denominator = float(np.mean(np.abs(recent)))
    if not denominator:
        return skipped(RuleId.HEDGE_VEGA, "the core has no vega to hedge")
    share = risk.hedge_vega / denominator
    under, over = share < rule.min_share, share > rule.max_share
    state = "under-hedged" if under else "over-hedged: it inverts the theta profile" if over else "inside the band"
    smoothed = f" (of the core's |vega| averaged over {len(recent)} closes)" if len(recent) > 1 else ""
    return rule_result(
        RuleId.HEDGE_VEGA,
        rule,
        under or over,
        share,
        f"{rule.min_share:.0%}-{rule.max_share:.0%} of core vega "
        f"(traded to {rule.target_min:.0%}-{rule.target_max:.0%})",
        f"Hedge layers carry {share:.0%} of the core's vega{smoothed}, {state}.",
        direction="under" if under else "over" if over else "inside",
        core_vega=risk.core_vega,
        denominator=denominator,
    )


def sleeve_vega(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, risk = rules.sleeve_vega, inputs.risk
    units = risk.core_units
    if not units or not rule.targets:
        return skipped(RuleId.SLEEVE_VEGA, "needs core condors and hedge-vega targets per role")
    hedge_target = abs(risk.core_vega) * rules.hedge_vega.target_share
    drifts = {}
    vega = risk.layers["spx_vega"].to_numpy(np.float64)
    for layer, role, layer_vega in zip(risk.layers.index, risk.layers["role"].to_numpy(object), vega, strict=True):
        if role in rule.targets:
            drifts[str(layer)] = float(layer_vega - hedge_target * rule.targets[role]) / units
    if not drifts:
        return skipped(RuleId.SLEEVE_VEGA, "no hedge layer has a vega target")
    worst = max(drifts, key=lambda k: abs(drifts[k]))
    broken = abs(drifts[worst]) > rule.max_drift
    return rule_result(
        RuleId.SLEEVE_VEGA,
        rule,
        broken,
        drifts[worst],
        f"|drift| <= {rule.max_drift:.1f} $/vol pt per condor unit",
        f"Largest sleeve drift: {worst} at {drifts[worst]:+.1f} $/vol pt per condor unit from its target.",
        drifts=drifts,
    )


def net_vega(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, risk = rules.net_vega, inputs.risk
    if rule.target_per_condor is None:
        return skipped(RuleId.NET_VEGA, "no portfolio vega target set (R-NET-VEGA target_per_condor)")
    if not risk.core_units:
        return skipped(RuleId.NET_VEGA, "the book has no core condors to scale the vega target by")
    target = rule.target_per_condor * risk.core_units
    net = float(risk.total["spx_vega"])
    deviation = (net - target) / abs(target)
    return rule_result(
        RuleId.NET_VEGA,
        rule,
        abs(deviation) > rule.tolerance,
        deviation,
        f"within ±{rule.tolerance:.1%} of the target {target:,.0f} $/vol pt",
        f"Net vega {net:,.0f} $/vol pt is {deviation:+.1%} from the portfolio target {target:,.0f} "
        f"({rule.target_per_condor:+g} per condor unit).",
        net_vega=net,
        target=target,
    )


def vega_per_spread(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, value = rules.vega_per_spread, inputs.risk.vega_per_condor
    if not np.isfinite(value):
        return skipped(RuleId.VEGA_PER_SPREAD, "the book has no core condors to measure vega per condor unit")
    alert = value > rule.alert
    result = rule_result(
        RuleId.VEGA_PER_SPREAD,
        rule,
        not rule.min <= value <= rule.max,
        value,
        f"{rule.min:+.2f} … {rule.max:+.2f} vega points per condor unit (alert above {rule.alert:+.2f})",
        f"Net vega per condor unit is {value:+.2f} vega points per contract" + (" — ALERT." if alert else "."),
        alert=alert,
        spx_vega=float(inputs.risk.total["spx_vega"]),
        condor_units=inputs.risk.core_units,
    )
    # above the alert level the book is long vol per spread beyond what the method allows: a breach
    return replace(result, status=RuleStatus.BREACH) if alert else result


def _farthest(values: NDArray[Any], middle: float) -> float:
    """The value farthest from ``middle`` (the first on a tie)."""
    return float(values[np.abs(values - middle).argmax()])


def _min(values: NDArray[np.float64]) -> float:
    """The smallest value, NaN ignored (NaN if there is none)."""
    values = values[~np.isnan(values)]
    return float(values.min()) if len(values) else float("nan")


def _max(values: NDArray[np.float64]) -> float:
    """The largest value, NaN ignored (NaN if there is none)."""
    values = values[~np.isnan(values)]
    return float(values.max()) if len(values) else float("nan")


def _margin(risk: BookRisk) -> float:
    return float(risk.condors["max_loss"].sum()) if len(risk.condors) else 0.0


def theta(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, margin = rules.theta, _margin(inputs.risk)
    if margin <= 0:
        return skipped(RuleId.THETA, "the core has no defined-risk margin")
    share = float(inputs.risk.total["theta"]) / margin
    return rule_result(
        RuleId.THETA,
        rule,
        share < rule.min_share_per_day,
        share,
        f">= {rule.min_share_per_day:.2%} of margin per day",
        f"Theta is {dollars(inputs.risk.total['theta'])}/day, {share:.3%} of the {dollars(margin, sign=False)} margin.",
        margin=margin,
    )


def short_delta(inputs: RuleInputs, rules: Rules) -> RuleResult:
    """R-SHORT-DELTA is judged at entry: on the condors opened today (``inputs.opened_today``), not
    on every condor's current delta (condors drift out of the band as spot moves: that is R-ROLL's
    and R-BREAKEVEN's business). With no opening dates known it reports the current deltas."""
    rule, condors = rules.short_delta, inputs.risk.condors
    if not len(condors):
        return skipped(RuleId.SHORT_DELTA, "no core condors")
    band = f"|delta| {rule.min:.2f}-{rule.max:.2f} at entry"
    groups = condors.index.to_numpy(object)
    puts, calls = condors["short_put_delta"].to_numpy(), condors["short_call_delta"].to_numpy()
    current = {
        str(group): {"put": abs(float(put)), "call": abs(float(call))}
        for group, put, call in zip(groups, puts, calls, strict=True)
    }
    if inputs.opened_today is None:
        return RuleResult(
            RuleId.SHORT_DELTA.value,
            RuleStatus.INFO,
            None,
            band,
            "Checked when a condor is opened; no opening dates are known for this book, so the current "
            "short-strike deltas are reported (details), not judged.",
            {"current": current},
        )
    opened_today = set(inputs.opened_today)
    opened = np.array([group in opened_today for group in groups], dtype=bool)
    if not opened.any():
        return rule_result(
            RuleId.SHORT_DELTA, rule, False, None, band, "No condor opened today: nothing to check at entry."
        )
    names = np.tile(groups[opened], 2)
    deltas = np.abs(np.concatenate([puts[opened], calls[opened]]))
    names, deltas = names[~np.isnan(deltas)], deltas[~np.isnan(deltas)]
    beyond = (deltas < rule.min) | (deltas > rule.max)
    outside = deltas[beyond]
    worst = _farthest(outside, (rule.min + rule.max) / 2) if len(outside) else _max(deltas)
    return rule_result(
        RuleId.SHORT_DELTA,
        rule,
        len(outside) > 0,
        worst,
        band,
        f"{len(outside)} short strike(s) of the condors opened today outside the {rule.min:.2f}-{rule.max:.2f} "
        "delta band."
        if len(outside)
        else "Short strikes of the condors opened today inside the delta band.",
        outside=sorted(set(names[beyond])),
        opened_today=sorted(map(str, groups[opened])),
        current=current,
    )


def dte(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.dte, inputs.risk.condors
    if not len(condors):
        return skipped(RuleId.DTE, "no core condors")
    days = condors["dte"].to_numpy()
    beyond = (days < rule.min) | (days > rule.max)
    outside, names = days[beyond], condors.index.to_numpy(object)[beyond].tolist()
    return rule_result(
        RuleId.DTE,
        rule,
        len(outside) > 0,
        _farthest(outside, (rule.min + rule.max) / 2) if len(outside) else float(days.min()),
        f"{rule.min}-{rule.max} DTE",
        f"{len(outside)} condor(s) outside {rule.min}-{rule.max} DTE: {', '.join(map(str, names))}."
        if len(outside)
        else f"All condors at {int(days.min())}-{int(days.max())} DTE.",
        outside=names,
    )


def breakeven(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.breakeven, inputs.risk.condors
    if not len(condors):
        return skipped(RuleId.BREAKEVEN, "no core condors")
    spot = inputs.market.spx.spot
    low, high, move = (condors[c].to_numpy() for c in ("breakeven_low", "breakeven_high", "expected_move"))
    inside = condors.index.to_numpy(object)[~((low < spot - move) & (high > spot + move))].tolist()
    room = _min(np.minimum((spot - low) / move, (high - spot) / move))
    return rule_result(
        RuleId.BREAKEVEN,
        rule,
        len(inside) > 0,
        room,
        "break-evens beyond 1 expected move",
        f"{len(inside)} condor(s) with a break-even inside the 1-SD move: {', '.join(map(str, inside))}."
        if len(inside)
        else f"Break-evens at least {room:.2f} expected moves from spot.",
        inside=inside,
    )


def near_breakeven(risk: BookRisk, market: Market, proximity: float) -> list[str]:
    """Core groups whose spot is within ``proximity`` expected moves of a break-even."""
    condors = risk.condors
    if not len(condors):
        return []
    spot = market.spx.spot
    low, high, move = (condors[c].to_numpy() for c in ("breakeven_low", "breakeven_high", "expected_move"))
    distance = np.minimum(np.abs(spot - low), np.abs(high - spot))
    return [str(g) for g in condors.index.to_numpy(object)[distance <= proximity * move]]


def crowded(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule = rules.crowded
    near = near_breakeven(inputs.risk, inputs.market, rule.proximity)
    near, covered, view = _hedged_view(inputs, rule, near)
    message = (
        f"{len(near)} condor(s) near their break-evens{view}: reduce size, do not close."
        if near
        else "No condor near its break-evens" + (f"{view}." if view else ".")
    )
    return rule_result(
        RuleId.CROWDED_BE,
        rule,
        len(near) >= rule.min_count,
        float(len(near)),
        f"fewer than {rule.min_count} condors near a break-even" + (" and not covered by the hedges" if view else ""),
        message,
        near=near,
        **covered,
    )


def _hedged_view(inputs: RuleInputs, rule: HedgedViewRule, groups: list[str]) -> tuple[list[str], dict[str, Any], str]:
    """The groups a core adjustment rule adjusts: all of ``groups`` in the core view; in the hedged
    view those the hedges do not cover (:mod:`alvh.method.rules.hedged_view`). Also the details
    to add (each group's scenario and the hedges' offset) and a phrase for the message."""
    if rule.view == "core" or not groups:
        return groups, {}, ""
    covers = hedge_cover(inputs, groups, rule)
    kept = [g for g in groups if not covers[g].covered]
    spared = [g for g in groups if covers[g].covered]
    phrase = f" and not covered by the hedges ({len(spared)} covered: {', '.join(spared) or 'none'})"
    return kept, {"hedged_view": {g: c.to_dict() for g, c in covers.items()}, "covered": spared}, phrase


def roll(inputs: RuleInputs, rules: Rules) -> RuleResult:
    rule, condors = rules.roll, inputs.risk.condors
    if not len(condors):
        return skipped(RuleId.ROLL, "no core condors")
    closes = [inputs.market.spx.spot]
    if inputs.spx_history is not None:
        before = np.asarray(inputs.spx_history.index < pd.Timestamp(inputs.market.as_of.date()), dtype=bool)
        history = inputs.spx_history.to_numpy()[before]
        closes = [*history[-(rule.sessions - 1) :].tolist(), inputs.market.spx.spot] if rule.sessions > 1 else closes
    rolled, sessions_beyond = [], {}
    puts, calls = condors["short_put_strike"].to_numpy(), condors["short_call_strike"].to_numpy()
    for group, put, call in zip(condors.index, puts, calls, strict=True):
        beyond = [(s < put) or (s > call) for s in closes]
        count = 0
        for b in reversed(beyond):
            if not b:
                break
            count += 1
        sessions_beyond[str(group)] = count
        if count >= rule.sessions:
            rolled.append(str(group))
    known = len(closes) >= rule.sessions
    worst = max(sessions_beyond.values())
    rolled, covered, view = _hedged_view(inputs, rule, rolled)
    message = (
        f"True technical break: {', '.join(rolled)} beyond a short strike for {rule.sessions}+ sessions{view}"
        " — roll out in time."
        if rolled
        else f"No condor beyond a short strike for {rule.sessions} sessions{view}: hedge externally, "
        "leave strikes alone."
    )
    if not known and not rolled:
        message += " (No SPX history given: only today's close was checked.)"
    return rule_result(
        RuleId.ROLL,
        rule,
        bool(rolled),
        float(worst),
        f"< {rule.sessions} sessions beyond a short strike",
        message,
        rolled=rolled,
        sessions=sessions_beyond,
        **covered,
    )


def recon(inputs: RuleInputs, rules: Rules) -> RuleResult:
    shifts, columns = vega_pnl(inputs.book, inputs.market, shifts=rules.recon.shifts, cache=inputs.cache)
    rows = np.column_stack(list(columns.values())).tolist()
    return RuleResult(
        RuleId.RECON.value,
        RuleStatus.INFO,
        None,
        "P&L at IV shifts " + ", ".join(f"{s:+g}" for s in rules.recon.shifts),
        "Book P&L at IV shifts (vol pts: $): "
        + ", ".join(f"{s:+g}: {v:+,.0f}" for s, v in zip(shifts.tolist(), columns["book"], strict=True)),
        {"table": {str(k): dict(zip(columns, row, strict=True)) for k, row in zip(shifts.tolist(), rows, strict=True)}},
    )


# --- signal rules ---------------------------------------------------------------------------
