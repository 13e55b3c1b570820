"""Type stubs of the Rust extension module (bindings only; use the wrappers in ``alvh``)."""

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CHUNK_ROWS",
    "__version__",
    "book_risk",
    "bucket_upper_dte",
    "explain_terms",
    "greeks",
    "implied_vol",
    "implied_vol_status_names",
    "leg_metric_names",
    "price",
    "scenario_pnl",
    "simd_level",
    "thread_count",
]

__version__: str
CHUNK_ROWS: int

_Number = float | NDArray[np.float64]
_Flag = bool | NDArray[np.bool_]

def price(
    model: str,
    underlying: _Number,
    strike: _Number,
    time_to_expiry: _Number,
    vol: _Number,
    rate: _Number,
    div_yield: _Number,
    is_call: _Flag,
    on_invalid: str,
    out: NDArray[np.float64],
) -> None: ...
def greeks(
    model: str,
    underlying: _Number,
    strike: _Number,
    time_to_expiry: _Number,
    vol: _Number,
    rate: _Number,
    div_yield: _Number,
    is_call: _Flag,
    on_invalid: str,
    price: NDArray[np.float64],
    delta: NDArray[np.float64],
    gamma: NDArray[np.float64],
    vega: NDArray[np.float64],
    theta: NDArray[np.float64],
    rho: NDArray[np.float64],
    vanna: NDArray[np.float64],
    volga: NDArray[np.float64],
    charm: NDArray[np.float64],
    div_rho: NDArray[np.float64] | None,
) -> None: ...
def implied_vol(
    model: str,
    price: _Number,
    underlying: _Number,
    strike: _Number,
    time_to_expiry: _Number,
    rate: _Number,
    div_yield: _Number,
    is_call: _Flag,
    vol: NDArray[np.float64],
    status: NDArray[np.uint8],
) -> None: ...
def implied_vol_status_names() -> list[str]: ...
def book_risk(
    legs: dict[str, Any],
    layers: int,
    spx_spot: float,
    vix_spot: float,
    log_beta: float,
    per_leg: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def scenario_pnl(
    legs: dict[str, Any],
    layers: int,
    spx_spot: float,
    vix_spot: float,
    log_beta: float,
    smile_model: NDArray[np.uint8],
    smile_params: NDArray[np.float64],
    k_range: float,
    smile_first: NDArray[np.uint32],
    smile_first_weight: NDArray[np.float64],
    smile_second: NDArray[np.uint32],
    smile_second_weight: NDArray[np.float64],
    smile_time: NDArray[np.float64],
    spot_shock: NDArray[np.float64],
    vol_shift: NDArray[np.float64],
    horizon_days: NDArray[np.float64],
    vix_level: NDArray[np.float64],
    sticky_moneyness: bool,
    scale_by_sqrt_time: bool,
    spot_vol_link: bool,
    vvol_beta: float,
    explain: bool,
) -> tuple[NDArray[np.float64], NDArray[np.uint32], NDArray[np.float64] | None]: ...
def explain_terms() -> list[str]: ...
def leg_metric_names() -> list[str]: ...
def bucket_upper_dte() -> list[float]: ...
def simd_level() -> str: ...
def thread_count() -> int: ...
