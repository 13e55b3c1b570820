"""Speed of calibrating a full SPX chain to a market (the issue's target: ~40 expiries × ~200
strikes × 2 rights in <= 2 s), with its result checked: every expiry fitted inside its spreads,
no butterfly arbitrage left. No ratio gate: nothing in the same run does comparable work (the
SVI fits dominate, and no peer library is installed); the time is reported."""

from alvh.market.calibration import calibrate_market
from benches.conftest import CI
from tests.market.calibration import synthetic_chain as sc

EXPIRIES, STRIKES = (10, 60) if CI else (40, 200)


def test_calibrate_full_chain(benchmark) -> None:  # type: ignore[no-untyped-def]
    spx, vix, futures = sc.spx_chain(EXPIRIES, STRIKES), sc.vix_chain(), sc.vix_futures()
    result = benchmark.pedantic(
        lambda: calibrate_market(spx, vix_chain=vix, vix_futures=futures), rounds=3, iterations=1
    )
    if benchmark.stats is not None:  # None when timing is disabled (benches run as plain tests)
        print(f"\ncalibration: {len(spx.quotes)} SPX quotes, {EXPIRIES} expiries: {benchmark.stats['mean']:.2f} s")
    report = result.report
    assert len(report) == EXPIRIES and len(result.market.spx.smiles) == EXPIRIES
    assert (report["inside_band"] > 0.99).all()
    assert (report["butterfly_after"] == 0).all()
