"""The kernels against 50-digit golden values (tests/golden/, made by make_pricing.py with the
mpmath reference). The Rust crate's own tests read the same files.

Tolerance table (one place): realistic inputs 1e-12 relative, extreme inputs 1e-9 relative; a value
may instead be within 1e-14 of its condition scale sum|p dg/dp| (the error that rounding the
inputs would cause), which only matters where a Greek crosses zero. Values below 1e-290 (where
doubles lose precision to underflow) need only be that small.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import alvh

GOLDEN = Path(__file__).parent / "golden"
GREEKS = ["price", "delta", "gamma", "vega", "theta", "rho", "div_rho", "vanna", "volga", "charm"]
RELATIVE_TOLERANCE = {"realistic": 1e-12, "extreme": 1e-9, "degenerate": 1e-9}
CONDITION_TOLERANCE = 1e-14
UNDERFLOW = 1e-290


@pytest.fixture(scope="module")
def pricing() -> pd.DataFrame:
    return pd.read_csv(GOLDEN / "pricing.csv")


def _worst(frame: pd.DataFrame, errors: np.ndarray, allowed: np.ndarray, name: str) -> str:
    order = np.argsort(-(errors / np.maximum(allowed, 1e-300)))[:5]
    rows = frame.iloc[order][["model", "underlying", "strike", "time", "vol", "rate", "div_yield", "is_call"]]
    return f"{name}: worst points\n{rows.assign(error=errors[order], allowed=allowed[order]).to_string()}"


@pytest.mark.parametrize("dataset", ["realistic", "extreme", "degenerate"])
def test_greeks_match_golden_values(pricing: pd.DataFrame, dataset: str) -> None:
    for model, frame in pricing[pricing["set"] == dataset].groupby("model"):
        g = alvh.greeks(
            model=model,
            underlying=frame["underlying"].to_numpy(),
            strike=frame["strike"].to_numpy(),
            time_to_expiry=frame["time"].to_numpy(),
            vol=frame["vol"].to_numpy(),
            rate=frame["rate"].to_numpy(),
            div_yield=frame["div_yield"].to_numpy(),
            is_call=frame["is_call"].to_numpy().astype(bool),
        )
        for name in GREEKS:
            got = getattr(g, name)
            if got is None:  # Black-76 has no dividend yield
                assert model == "black76" and name == "div_rho"
                continue
            exact = frame[name].to_numpy()
            errors = np.abs(got - exact)
            allowed = np.maximum.reduce(
                [
                    RELATIVE_TOLERANCE[dataset] * np.abs(exact),
                    CONDITION_TOLERANCE * frame[f"{name}_cond"].to_numpy(),
                    np.full(exact.shape, UNDERFLOW),
                ]
            )
            assert (errors <= allowed).all(), _worst(frame, errors, allowed, f"{dataset} {model} {name}")


@pytest.mark.parametrize("dataset", ["realistic", "deep_otm", "near_intrinsic_itm", "total_vol"])
def test_implied_vol_matches_golden_values(dataset: str) -> None:
    """Accurate to what the price carries: |dvol| <= max(1e-12 vol, 4 ulp(price) / vega)."""
    golden = pd.read_csv(GOLDEN / "implied_vol.csv")
    for model, frame in golden[golden["set"] == dataset].groupby("model"):
        vols, status = alvh.implied_vol(
            model=model,
            price=frame["price"].to_numpy(),
            underlying=frame["underlying"].to_numpy(),
            strike=frame["strike"].to_numpy(),
            time_to_expiry=frame["time"].to_numpy(),
            rate=frame["rate"].to_numpy(),
            div_yield=frame["div_yield"].to_numpy(),
            is_call=frame["is_call"].to_numpy().astype(bool),
            return_status=True,
        )
        exact = frame["vol"].to_numpy()
        assert (status == alvh.IVStatus.OK).all(), frame[status != alvh.IVStatus.OK].head().to_string()
        price = frame["price"].to_numpy()
        allowed = np.maximum(1e-12 * exact, 4 * np.spacing(price) / frame["vega"].to_numpy())
        errors = np.abs(vols - exact)
        assert (errors <= allowed).all(), _worst(frame, errors, allowed, f"{dataset} {model} implied vol")
