"""The risk report as one self-contained HTML page (``alvh report --html``, ``alvh demo --html``):
the layer table, the rules with their breaches highlighted, the actions and their trades, the
scenario grid and heat maps, the risk profile, vega by maturity bucket and the stresses.

Self-contained: the plots are inlined as base64 PNG ``data:`` URIs, the stylesheet is in the page,
there is no script and no link out of the page; its Content-Security-Policy lets the browser load
nothing else, so the page reads the same offline, mailed or archived. Every table goes through
:func:`alvh._html.table` (escaped cells), every other text through :func:`html.escape`.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

import pandas as pd

import alvh
from alvh._format import dollars, scenario, share, signed
from alvh._html import table
from alvh._repr import html_block
from alvh.app.figures import eastern_time
from alvh.app.output import atomic
from alvh.app.report import Report
from alvh.app.report_plots import ReportPlot, report_horizon, report_plots
from alvh.method.display import actions_html, rules_html, trades_html
from alvh.method.rules import RuleStatus
from alvh.risk.scenarios import describe_dynamics

__all__ = ["report_html", "report_tables_html", "write_html"]

CONTENT_SECURITY_POLICY = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""What the page may load: its own inline style and ``data:`` images, nothing from anywhere."""

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; color: #1d1d1f; margin: 0 auto; max-width: 1180px; padding: 0 20px 40px; }
h1 { font-size: 24px; margin: 24px 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #d0d0d5; padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
nav a { margin-right: 14px; }
p.note { color: #55555a; font-size: 12px; margin: 4px 0 10px; }
p.warning { color: #8a5a00; }
table.alvh { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
table.alvh caption { text-align: left; font-weight: 600; padding: 4px 0; }
table.alvh th, table.alvh td { border-bottom: 1px solid #e2e2e7; padding: 3px 10px; text-align: right; }
table.alvh td { vertical-align: top; }
table.alvh thead th { border-bottom: 2px solid #9a9aa0; background: #f4f4f7; }
table.alvh tr > :first-child { text-align: left; }
.words table.alvh td, .words table.alvh th { text-align: left; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 2px 14px; margin: 8px 0; }
dl.summary dt { color: #55555a; }
dl.summary dd { margin: 0; }
figure { margin: 10px 0 18px; }
figure img { display: block; width: 100%; max-width: 1000px; height: auto; border: 1px solid #e2e2e7; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(540px, 1fr)); gap: 0 16px; }
"""

_HEATMAPS = "<h3>Heat maps: the book, then each layer (each with its own colour scale)</h3>"

_SECTIONS = (
    ("layers", "Greeks by layer"),
    ("rules", "Rules"),
    ("actions", "Actions and trades"),
    ("scenarios", "Scenarios"),
    ("profile", "Risk profile"),
    ("vega", "Vega by maturity bucket"),
    ("stresses", "Historical stresses"),
)

_LAYER_HEADINGS = {
    "role": "role",
    "legs": "legs",
    "market_value": "value $",
    "spx_delta": "Δ (SPX)",
    "spx_dollar_delta": "$Δ",
    "spx_gamma": "Γ (SPX)",
    "spx_dollar_gamma": "$Γ/1%",
    "spx_vega": "vega $",
    "tw_vega": "tw vega $",
    "theta": "theta $/d",
    "rho": "rho $",
    "vanna": "vanna",
    "volga": "volga",
    "charm": "charm",
    "unrealized_pnl": "unrealised P&L $",
}
_LAYER_DIGITS = {
    **{heading: 0 for heading in _LAYER_HEADINGS.values()},
    "Δ (SPX)": 1,
    "Γ (SPX)": 2,
    "vanna": 2,
    "volga": 2,
    "charm": 2,
}


def write_html(report: Report, path: str | Path, *, plots: tuple[ReportPlot, ...] | None = None) -> Path:
    """Write :func:`report_html` to ``path`` (a hidden temporary renamed into place: never a
    partial page) and return the path."""
    path = Path(path)
    page = report_html(report, plots=plots)
    with atomic(path) as partial:
        partial.write_text(page, encoding="utf-8")
    return path


def report_html(report: Report, *, plots: tuple[ReportPlot, ...] | None = None) -> str:
    """The report as one HTML page (UTF-8 text).

    Parameters
    ----------
    report
        An :func:`alvh.app.report.risk_report` result.
    plots
        The report's plots when already drawn (:func:`alvh.app.report_plots.report_plots`);
        drawn here when None.
    """
    plots = report_plots(report) if plots is None else plots
    by_name = {plot.name: plot for plot in plots}
    heatmaps = [plot for plot in plots if plot.name.startswith("scenario_pnl_")]
    title = _title(report)
    body = [
        f"<h1>{_text(title)}</h1>",
        _summary(report),
        "<nav>" + "".join(f'<a href="#{key}">{_text(name)}</a>' for key, name in _SECTIONS) + "</nav>",
        _section("layers", _layers(report)),
        _section("rules", rules_html(report.decision.rules), words=True),
        _section("actions", _actions(report), words=True),
        _section("scenarios", _scenarios(report) + _HEATMAPS + _figure(heatmaps[0]) + _figures(heatmaps[1:])),
        _section("profile", _figure(by_name["risk_profile.png"])),
        _section("vega", _vega(report) + _figure(by_name["vega_buckets.png"])),
        _section("stresses", _stresses(report)),
        f'<p class="note">alvh {_text(alvh.__version__)}: units and rules as in the README and docs/method.md.</p>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_text(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def report_tables_html(report: Report) -> str:
    """The page's tables without its plots, as one notebook block (:meth:`Report._repr_html_`):
    the summary, the layers, the rules, the actions and trades, the grid at the report's horizon,
    vega by bucket and the stresses. The plots are left out: drawing them takes seconds and they
    would add megabytes of PNG to the notebook file; :func:`write_html` has them."""
    parts = {
        "layers": _layers(report),
        "rules": rules_html(report.decision.rules),
        "actions": _actions(report),
        "scenarios": _scenarios(report),
        "vega": _vega(report),
        "stresses": _stresses(report),
    }
    sections = [f"<h4>{_text(dict(_SECTIONS)[key])}</h4>{content}" for key, content in parts.items()]
    return html_block(_title(report), _summary(report), *sections)


# --- sections ------------------------------------------------------------------------------------


def _title(report: Report) -> str:
    return f"Risk report — {report.risk.book}, {eastern_time(report.risk.as_of)}"


def _summary(report: Report) -> str:
    risk, event = report.risk, report.decision.next_event
    breaches = sum(r.status is RuleStatus.BREACH for r in report.decision.rules)
    items = {
        "SPX": f"{report.market.spx.spot:,.2f}",
        "VIX": f"{report.market.vix.spot:.2f}",
        "condor units": f"{risk.core_units:g}",
        "Δ per condor": signed(risk.delta_per_condor, 3),
        "hedge vega": f"{share(risk.hedge_vega_share)} of the core's",
        "rules in breach": str(breaches),
        "next event": "none scheduled" if event is None else f"{event.kind} {event.date}",
    }
    return (
        '<dl class="summary">' + "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in items.items()) + "</dl>"
    )


def _layers(report: Report) -> str:
    frame = report.layers
    frame = frame.set_axis([name for _, name in frame.index]).rename(columns=_LAYER_HEADINGS)
    frame.index.name = "layer"
    return table(
        frame,
        index=True,
        digits=_LAYER_DIGITS,
        caption="SPX-equivalent, trader units; the last row is the book",
    ) + _note(
        "Δ: SPX shares-equivalent; $Δ = Δ·S; $Γ/1%: change of $Δ for a 1 % SPX move; vega: $ per SPX vol "
        "point (tw: × √(30/DTE)); theta: $ per day; vanna, volga and charm in each leg's own underlying "
        "(no book total: SPX and VIX units do not add)."
    )


def _actions(report: Report) -> str:
    actions = report.decision.actions
    return actions_html(actions, after=True) + (trades_html(actions) or _note("No trades proposed."))


def _scenarios(report: Report) -> str:
    grid, horizon = report.grid, report_horizon(report)
    days = grid.horizons[horizon]
    frame = pd.DataFrame(
        grid.book[:, :, horizon, 0],
        index=pd.Index([f"{100 * s:+g}%" for s in grid.spot_shocks], name="spot \\ SPX vol"),
        columns=[f"{v:+g} pts" for v in grid.vol_shifts],
    )
    worst = grid.worst
    worst_row = [s == worst["spot_shock"] and days == worst["horizon_days"] for s in grid.spot_shocks]
    text = table(frame, index=True, digits=0, caption=f"Book P&L $, horizon +{days:g} d", flagged=worst_row)
    text += _note(
        f"Worst cell of the grid: {dollars(worst['pnl'])} at {scenario(worst)} (its row is highlighted when "
        f"it is at this horizon). Dynamics: {describe_dynamics(grid.settings)}."
    )
    if grid.floored_scenarios:
        text += (
            f'<p class="note warning">{grid.floored_scenarios} of {grid.floored_legs.size} scenarios valued legs '
            "on a floored vol or VIX: their P&amp;L is that of the floor, not of the shift asked for.</p>"
        )
    return text


def _vega(report: Report) -> str:
    frame = report.risk.vega_by_bucket.rename(columns=lambda bucket: f"{bucket} d")
    frame.index.name = "layer"
    return table(frame, index=True, digits=0, caption="SPX vega ($ per SPX vol point) by days to expiry")


def _stresses(report: Report) -> str:
    frame = report.stress_table
    layers = [str(name) for name in frame["layer"].columns]
    flat = pd.DataFrame(
        {
            "stress": frame.index.astype(str),
            "SPX move": [f"{move:+.1%}" for move in frame[("stress", "spx_move")]],
            "VIX after": [f"{vix:.1f}" for vix in frame[("stress", "vix_after")]],
            **{layer: frame[("layer", layer)].to_numpy() for layer in layers},
            "book $": frame[("book", "pnl")].to_numpy(),
            "hedge offset": [share(offset) for offset in frame[("book", "hedge_offset")]],
        }
    )
    return table(flat, digits=0, caption="P&L $ by layer, 1-day horizon, full revaluation") + _note(
        "Hedge offset: the share of the core's loss the hedge layers make back."
    )


# --- pieces --------------------------------------------------------------------------------------


def _section(key: str, content: str, *, words: bool = False) -> str:
    heading = dict(_SECTIONS)[key]
    kind = ' class="words"' if words else ""
    return f'<section id="{key}"{kind}><h2>{_text(heading)}</h2>{content}</section>'


def _figure(plot: ReportPlot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    alt = _text(plot.title)
    return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>'


def _figures(plots: list[ReportPlot]) -> str:
    """Plots side by side where the window is wide enough."""
    return '<div class="plots">' + "".join(_figure(plot) for plot in plots) + "</div>"


def _note(text: str) -> str:
    return f'<p class="note">{_text(text)}</p>'


def _text(value: str) -> str:
    return html.escape(value, quote=True)
