"""alvh — risk of SPX iron-condor books hedged with layered VIX instruments.

The array kernels (Rust): :func:`price`, :func:`greeks`, :func:`implied_vol`.
"""

from alvh import exceptions
from alvh._core import __version__, simd_level, thread_count
from alvh.pricing import Greeks, IVStatus, Model, greeks, implied_vol, price

__all__ = [
    "Greeks",
    "IVStatus",
    "Model",
    "__version__",
    "exceptions",
    "greeks",
    "implied_vol",
    "price",
    "simd_level",
    "thread_count",
]
