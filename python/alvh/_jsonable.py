"""Plain JSON values from alvh's results: numpy scalars as Python numbers, NaN and infinities as
None (strict JSON has neither), dates as ISO strings, containers converted recursively."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """``value`` with every part JSON-serialisable (see the module docstring)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    return None if isinstance(value, float) and not math.isfinite(value) else value
