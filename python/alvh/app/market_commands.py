"""``alvh market build``: a market snapshot calibrated from option-chain files, and the chain
options ``alvh report`` takes in place of a market TOML (README, "Real market data")."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alvh.app.console import alvh_errors, console, errors, existing
from alvh.app.fit_plots import calibration_plots
from alvh.app.output import TABLE, TOML, atomic, atomic_folder, check_outputs, write_table
from alvh.app.terminal import calibration_table
from alvh.market.calibration import Calibration, calibrate_market, market_toml
from alvh.market.quotes import ChainQuotes, OnInvalid, read_chain, read_vix_futures
from alvh.market.snapshot import Market, load_market

__all__ = ["ChainOptions", "market_app", "market_from"]

market_app = typer.Typer(name="market", help="Market snapshots from quotes.", no_args_is_help=True)

MarketOption = Annotated[Path, typer.Option("--market", "-m", metavar="MARKET", help="Market snapshot TOML.")]
SpxChainOption = Annotated[
    Path | None,
    typer.Option("--spx-chain", help="SPX option chain: Cboe delayed-quotes download or end-of-day vendor CSV."),
]
VixChainOption = Annotated[
    Path | None, typer.Option("--vix-chain", help="VIX option chain (same formats): the VIX spot and option vols.")
]
VixFuturesOption = Annotated[
    Path | None, typer.Option("--vix-futures", help="VIX futures quotes CSV: expiry,price or symbol,price (VXF7).")
]
SkipOption = Annotated[
    bool, typer.Option("--skip-invalid", help="Leave out unreadable chain rows (listed) instead of stopping.")
]


class ChainOptions:
    """The chain files a market is calibrated from, as options (checked and read together)."""

    def __init__(self, spx: Path | None, vix: Path | None, futures: Path | None, *, skip_invalid: bool) -> None:
        self.spx, self.vix, self.futures = spx, vix, futures
        self.on_invalid: OnInvalid = "skip" if skip_invalid else "raise"

    @property
    def inputs(self) -> dict[str, Path | None]:
        return {"--spx-chain": self.spx, "--vix-chain": self.vix, "--vix-futures": self.futures}

    def calibrate(self) -> Calibration:
        if self.spx is None or self.vix is None or self.futures is None:
            # a market needs SPX smiles, spot VIX (the VIX chain's level) and the futures curve
            missing = [option for option, path in self.inputs.items() if path is None]
            raise typer.BadParameter(
                f"{', '.join(missing)}: needed to calibrate a market (SPX smiles, spot VIX, the VIX futures)"
            )
        spx = read_chain(existing(self.spx, "SPX chain"), on_invalid=self.on_invalid)
        vix = read_chain(existing(self.vix, "VIX chain"), on_invalid=self.on_invalid)
        for chain in (spx, vix):
            _print_rejects(chain)
        futures = read_vix_futures(existing(self.futures, "VIX futures"), as_of=spx.quote_time.date())
        return calibrate_market(spx, vix_chain=vix, vix_futures=futures)


def market_from(market: Path | None, chains: ChainOptions, *, quiet: bool) -> Market:
    """The market of a command that takes ``--market`` or the chain options (exactly one); the fit
    report of a calibrated one goes to stdout, or to stderr when ``quiet`` (stdout holds JSON)."""
    if (market is None) == (chains.spx is None):
        raise typer.BadParameter(
            "give either --market MARKET.toml or --spx-chain FILE (with --vix-chain/--vix-futures)"
        )
    if market is not None:
        if chains.vix or chains.futures:
            raise typer.BadParameter("--vix-chain and --vix-futures go with --spx-chain, not with --market")
        return load_market(existing(market, "market"))
    calibration = chains.calibrate()
    (errors if quiet else console).print(calibration_table(calibration))
    return calibration.market


@market_app.command()
def build(
    output: Annotated[Path, typer.Option("--output", "-o", help="The market snapshot TOML to write.")],
    spx_chain: SpxChainOption = None,
    vix_chain: VixChainOption = None,
    vix_futures: VixFuturesOption = None,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write the fit report per expiry (.csv or .parquet).")
    ] = None,
    quotes: Annotated[
        Path | None, typer.Option("--quotes", help="Write every quote with its IVs and fit (.csv or .parquet).")
    ] = None,
    plots: Annotated[
        Path | None, typer.Option("--plots", help="Write each expiry's smile fit and the ATM term structure here.")
    ] = None,
    skip_invalid: SkipOption = False,
) -> None:
    """Calibrate a market snapshot from option chains: implied forwards from put–call parity, IVs
    from mid prices, an arbitrage-free raw SVI smile per SPX expiry, VIX futures and VIX option vols.

    [bold]Example[/bold]: alvh market build --spx-chain spx.csv --vix-chain vix.csv --vix-futures vx.csv -o market.toml
    """
    chains = ChainOptions(spx_chain, vix_chain, vix_futures, skip_invalid=skip_invalid)
    with alvh_errors():
        check_outputs(
            chains.inputs,
            {"--output": (output, TOML), "--report": (report, TABLE), "--quotes": (quotes, TABLE)},
            {"--plots": plots},
        )
        calibration = chains.calibrate()
        console.print(calibration_table(calibration))
        with atomic(output) as partial:
            partial.write_text(market_toml(calibration.market), encoding="utf-8")
        written = [f"Market written to {output}."]
        for path, which, frame in ((report, "fit report", calibration.report), (quotes, "quotes", calibration.points)):
            if path is not None:
                write_table(frame, path, index=False)
                written.append(f"The {which} written to {path}.")
        if plots is not None:
            with atomic_folder(plots) as partial_folder:
                paths = calibration_plots(calibration, partial_folder)
            written.append(f"Plots written to {plots}/: {len(paths)} PNG files.")
        for line in written:
            console.print(line, style="dim")


SHOWN_REJECTS = 10


def _print_rejects(chain: ChainQuotes) -> None:
    """Say on stderr which quotes ``--skip-invalid`` left out (never silently)."""
    rejects = chain.rejects
    if rejects.empty:
        return
    lines = rejects["line"].nunique()  # one bad line may hold several problems
    errors.print(
        f"{chain.source}: {lines} line(s) with {len(rejects)} problem(s) left out (--skip-invalid):",
        markup=False,
        highlight=False,
    )
    for row in rejects.head(SHOWN_REJECTS).to_dict("records"):
        errors.print(
            f"  line {row['line']}: {row['field']} = {row['value']!r}: {row['reason']}", markup=False, highlight=False
        )
    if len(rejects) > SHOWN_REJECTS:
        errors.print(f"  … and {len(rejects) - SHOWN_REJECTS} more", markup=False, highlight=False)
