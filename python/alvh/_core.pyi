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
def simd_level() -> str: ...
def thread_count() -> int: ...
