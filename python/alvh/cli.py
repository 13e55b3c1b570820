"""The ``alvh`` command line (typer): ``alvh demo`` and friends.

Exit codes: 0 success, 1 an alvh error (bad input, bad file), 2 a usage error (typer/click).
"""

from __future__ import annotations

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

import alvh

app = typer.Typer(
    name="alvh",
    help="Risk of SPX iron-condor books hedged with layered VIX instruments.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.callback()
def _root() -> None:
    """Risk of SPX iron-condor books hedged with layered VIX instruments."""


@app.command()
def demo() -> None:
    """Run the main job on bundled example data."""
    strikes = np.array([5600.0, 5750.0, 5900.0, 6050.0, 6200.0])
    g = alvh.greeks(
        model="bsm",
        underlying=5900.0,
        strike=strikes,
        time_to_expiry=14 / 365,
        vol=np.array([0.19, 0.165, 0.145, 0.13, 0.125]),
        rate=0.043,
        div_yield=0.013,
        is_call=strikes >= 5900.0,
    )
    table = Table(title="SPX options, 14 days, spot 5,900 (raw kernel units)")
    for column in ("strike", "type", "price", "delta", "gamma", "vega", "theta/day"):
        table.add_column(column, justify="right")
    for i, k in enumerate(strikes):
        table.add_row(
            f"{k:,.0f}",
            "call" if k >= 5900 else "put",
            f"{g.price[i]:.2f}",
            f"{g.delta[i]:+.4f}",
            f"{g.gamma[i]:.6f}",
            f"{g.vega[i]:.2f}",
            f"{g.theta[i] / 365:+.3f}",
        )
    console.print(table)
    console.print(f"kernels: {alvh.simd_level()}, {alvh.thread_count()} threads")


def main() -> None:
    """Console-script entry point."""
    app()
