"""Type stubs of the Rust extension module (bindings only; use the wrappers in ``alvh``)."""

import numpy as np
from numpy.typing import NDArray

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
    kind: NDArray[np.uint8],
    quantity: NDArray[np.float64],
    multiplier: NDArray[np.float64],
    underlying: NDArray[np.float64],
    strike: NDArray[np.float64],
    time_to_expiry: NDArray[np.float64],
    vol: NDArray[np.float64],
    rate: _Number,
    div_yield: NDArray[np.float64],
    is_call: NDArray[np.bool_],
    dte: NDArray[np.float64],
    term_beta: NDArray[np.float64],
    entry_price: NDArray[np.float64],
    remaining_fraction: NDArray[np.float64],
    accrued_variance: NDArray[np.float64],
    layer: NDArray[np.uint32],
    layers: int,
    spx_spot: float,
    vix_spot: float,
    log_beta: float,
    per_leg: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def leg_metric_names() -> list[str]: ...
def bucket_upper_dte() -> list[float]: ...
def simd_level() -> str: ...
def thread_count() -> int: ...
