"""The plots of a risk report, drawn once as PNG bytes: ``--plots`` writes them to a folder and
the HTML report (:mod:`alvh.app.html_report`) inlines the same bytes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alvh.app import plots
from alvh.app.figures import png_bytes
from alvh.app.output import atomic_folder
from alvh.app.report import Report

__all__ = ["ReportPlot", "report_horizon", "report_plots", "write_plots"]


@dataclass(frozen=True)
class ReportPlot:
    """One plot of a report: its file name, what it shows (a heading and the image's alternative
    text) and its PNG bytes (:data:`alvh.app.figures.FIGURE_SIZE_PX`)."""

    name: str
    title: str
    png: bytes


def report_horizon(report: Report) -> int:
    """The index of the grid's horizon that the report's heat maps and grid table show: the
    second (+1 day by default) when the grid has one, else the first."""
    return min(1, len(report.grid.horizons) - 1)


def report_plots(report: Report) -> tuple[ReportPlot, ...]:
    """The report's plots in reading order: the scenario heat map of the book, then one per layer
    (at :func:`report_horizon`), the risk profile and SPX vega by maturity bucket."""
    grid, horizon = report.grid, report_horizon(report)
    days = f"+{grid.horizons[horizon]:g} d"
    heatmaps = [
        ReportPlot(
            plots.heatmap_file_name(grid, horizon=horizon, layer=layer),
            f"Scenario P&L of {'the book' if layer is None else f'layer {layer}'}, {days}",
            png_bytes(plots.scenario_heatmap_figure(grid, horizon=horizon, layer=layer)),
        )
        for layer in (None, *grid.layers)
    ]
    return (
        *heatmaps,
        ReportPlot(
            "risk_profile.png",
            "Risk profile: book P&L against the SPX level",
            png_bytes(plots.risk_profile_figure(report.decision.book, report.market)),
        ),
        ReportPlot(
            "vega_buckets.png",
            "SPX vega by maturity bucket and layer",
            png_bytes(plots.vega_buckets_figure(report.risk)),
        ),
    )


def write_plots(report: Report, directory: Path) -> tuple[ReportPlot, ...]:
    """Draw :func:`report_plots` into ``directory`` and return them: the folder is made first and
    the plots written to a hidden partial folder inside it, moved in once all are drawn
    (:func:`alvh.app.output.atomic_folder`: an interrupted report leaves no partial plot)."""
    with atomic_folder(directory) as partial:
        figures = report_plots(report)
        for figure in figures:
            (partial / figure.name).write_bytes(figure.png)
    return figures
