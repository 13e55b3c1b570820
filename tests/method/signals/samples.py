"""Series helpers shared by the signal tests."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

EPS = float(np.finfo(np.float64).eps)
RTOL = 1e-10  # both implementations are double precision


def series(values: Any, start: str = "2020-01-01", name: str | None = None) -> pd.Series:
    """Values on consecutive business days."""
    values = np.asarray(values, dtype=float)
    return pd.Series(values, index=pd.bdate_range(start, periods=len(values)), name=name)


def assert_same(actual: Any, expected: Any, *, rtol: float = RTOL, atol: float = 0.0) -> None:
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=atol)
