"""Input checks shared by the indicators: each names the argument and the problem (see
:mod:`alvh.method.signals`)."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from alvh.exceptions import InputError

__all__ = ["check_int", "check_same_index", "check_threshold", "checked_series", "ema", "iso_day"]


def iso_day(ts: Any) -> str:
    """A date for messages: ``2015-03-02`` at midnight, the full ISO timestamp otherwise."""
    stamp = pd.Timestamp(ts)
    return str(stamp.date()) if stamp == stamp.normalize() else stamp.isoformat()


def check_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise InputError(f"{name} must be an integer >= {minimum}, got {value!r}")
    if int(value) < minimum:
        raise InputError(f"{name} must be an integer >= {minimum}, got {int(value)}")
    return int(value)


def checked_series(
    name: str,
    values: object,
    *,
    min_length: int = 1,
    needs: str = "",
    positive: bool = False,
    non_negative: bool = False,
    allow_nan: bool = False,
) -> pd.Series[float]:
    """Validate a date-indexed numeric Series and return it as float64 (a new object).

    ``needs`` completes the too-short message, e.g. ``"rsi with period=14"``.
    """
    if not isinstance(values, pd.Series):
        raise InputError(f"{name} must be a pandas Series indexed by date, got {type(values).__name__}")
    index = values.index
    if not isinstance(index, pd.DatetimeIndex):
        raise InputError(f"{name}: index must be a DatetimeIndex, got {type(index).__name__}")
    if index.hasnans:
        raise InputError(f"{name}: index has NaT (missing) dates")
    if not index.is_unique:
        dup = index[index.duplicated()]
        raise InputError(
            f"{name}: index has {len(dup)} duplicate date(s) (first {iso_day(dup[0])}); dates must be unique"
        )
    if not index.is_monotonic_increasing:
        i8 = index.asi8
        first = int(np.flatnonzero(i8[1:] < i8[:-1])[0]) + 1
        raise InputError(
            f"{name}: index is not sorted (first out-of-order date {iso_day(index[first])}, "
            f"after {iso_day(index[first - 1])})"
        )
    dtype = values.dtype
    if not (pd.api.types.is_float_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)) or (
        pd.api.types.is_bool_dtype(dtype)
    ):
        raise InputError(f"{name}: values must be numeric (float or integer), got dtype {dtype}")
    try:
        arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:  # e.g. a nullable integer column holding <NA>
        raise InputError(f"{name}: values cannot be read as float64 ({exc})") from exc
    nan = np.isnan(arr)
    if nan.any() and not allow_nan:
        raise InputError(
            f"{name} has {int(nan.sum())} NaN value(s) (first at {iso_day(index[int(np.argmax(nan))])}); "
            "drop or fill them first"
        )
    inf = np.isinf(arr)
    if inf.any():
        first = int(np.argmax(inf))
        raise InputError(
            f"{name} has {int(inf.sum())} infinite value(s) (first {arr[first]} at {iso_day(index[first])})"
        )
    if positive or non_negative:
        bad = (arr <= 0.0) if positive else (arr < 0.0)
        if bad.any():
            first = int(np.argmax(bad))
            what = "non-positive" if positive else "negative"
            allowed = "> 0" if positive else ">= 0"
            raise InputError(
                f"{name} has {int(bad.sum())} {what} value(s) (first {arr[first]!r} at "
                f"{iso_day(index[first])}); values must be {allowed}"
            )
    if len(arr) < min_length:
        why = f"; {needs} needs at least {min_length}" if needs else f"; at least {min_length} needed"
        raise InputError(f"{name} has {len(arr)} value(s){why}")
    return pd.Series(arr, index=index.copy(), name=values.name)


def check_threshold(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(float(value)):
        raise InputError(f"{name} must be a positive finite number (a fraction), got {value!r}")
    if float(value) <= 0.0:
        raise InputError(f"{name} must be a positive finite number (a fraction), got {float(value)!r}")
    return float(value)


def check_same_index(name_a: str, a: pd.Series[float], name_b: str, b: pd.Series[float]) -> None:
    if a.index.equals(b.index):
        return
    only_a = a.index.difference(b.index)
    only_b = b.index.difference(a.index)
    if len(only_a):
        raise InputError(
            f"{name_b}: index differs from {name_a}'s ({len(only_a)} date(s) of {name_a} missing, "
            f"first {iso_day(only_a[0])}); align the series first"
        )
    raise InputError(
        f"{name_b}: index differs from {name_a}'s ({len(only_b)} extra date(s), first "
        f"{iso_day(only_b[0])}); align the series first"
    )


def ema(values: NDArray[np.float64], span: int) -> NDArray[np.float64]:
    """EMA with alpha = 2/(span + 1), seeded with the first value (pandas ``ewm(adjust=False)``)."""
    out: NDArray[np.float64] = (
        pd.Series(values).ewm(span=span, adjust=False, ignore_na=False).mean().to_numpy(np.float64)
    )
    return out
