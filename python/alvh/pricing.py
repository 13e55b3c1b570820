"""Prices, Greeks and implied volatilities of European options over arrays (the Rust kernels).

Units are the raw kernel units of the README's table: time in years (ACT/365), vol as a decimal,
vega per 1.00 of vol, theta = -dV/dT per year, rho per 1.00, charm = -dDelta/dT per year.

Every numeric argument may be a scalar or an array; they broadcast together like numpy ufuncs and
the results have the broadcast shape (numpy scalars when every input is a scalar). Arrays are
converted to C-contiguous float64 here, once; integer inputs are converted, anything else (bool,
complex, strings, objects) is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import Enum, IntEnum
from typing import Any, Literal, TypeAlias

import numpy as np
from numpy.typing import NDArray

from alvh import _core
from alvh._typing import FloatArray
from alvh.exceptions import ImpliedVolError, InputError

ArrayLike: TypeAlias = float | int | Sequence[float] | NDArray[Any]
FlagLike: TypeAlias = bool | str | Sequence[bool] | Sequence[str] | NDArray[Any]
OnInvalid: TypeAlias = Literal["raise", "nan"]

__all__ = ["Greeks", "IVStatus", "Model", "greeks", "implied_vol", "price"]


class Model(str, Enum):
    """Pricing model: ``BSM`` prices on spot with a continuous dividend yield, ``BLACK76`` on the
    forward or future (the rate only discounts; theta and rho hold the forward fixed)."""

    BSM = "bsm"
    BLACK76 = "black76"


class IVStatus(IntEnum):
    """Why a row has (or has no) implied volatility; ``implied_vol(..., return_status=True)``."""

    OK = 0
    """A volatility reproduces the price."""
    BELOW_INTRINSIC = 1
    """The price is below the discounted intrinsic value."""
    ABOVE_MAXIMUM = 2
    """The price is at or above its upper bound (discounted forward for calls, strike for puts)."""
    NO_TIME_VALUE = 3
    """The price equals the intrinsic value (to rounding): no volatility can be identified."""
    INVALID_INPUT = 4
    """An input is NaN, infinite or outside its domain (underlying/strike <= 0, price < 0)."""
    EXPIRED = 5
    """Time to expiry is zero, so the price does not depend on volatility."""


@dataclass(frozen=True)
class Greeks:
    """Value and Greeks of a batch of options, in raw kernel units (see the module docstring).

    Each field has the broadcast shape of the inputs. ``div_rho`` (dV/dq) exists for BSM only and
    is ``None`` for Black-76.
    """

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    vanna: FloatArray
    volga: FloatArray
    charm: FloatArray
    div_rho: FloatArray | None

    @classmethod
    def empty(cls, shape: int | tuple[int, ...], *, model: Model | str = Model.BSM) -> Greeks:
        """Uninitialised output arrays of ``shape``, for ``greeks(..., out=...)`` in a loop."""
        bsm = _model(model) is Model.BSM
        arrays = {f.name: np.empty(shape, dtype=np.float64) for f in fields(cls) if f.name != "div_rho"}
        return cls(**arrays, div_rho=np.empty(shape, dtype=np.float64) if bsm else None)

    def as_dict(self) -> dict[str, FloatArray]:
        """The arrays by name (``div_rho`` omitted when it is ``None``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _model(model: Model | str) -> Model:
    try:
        return Model(model.lower() if isinstance(model, str) else model)
    except ValueError:
        raise InputError(f"model = {model!r} is not allowed: use 'bsm' or 'black76'") from None


def _numeric(name: str, value: ArrayLike) -> NDArray[np.float64]:
    array = np.asarray(value)
    if array.dtype.kind not in "iuf":
        raise InputError(f"{name} must be a number or an array of numbers, got dtype {array.dtype}")
    return array.astype(np.float64, copy=False)


_CALL_WORDS = {"c": True, "call": True, "p": False, "put": False}


def _flags(value: FlagLike) -> NDArray[np.bool_]:
    array = np.asarray(value)
    if array.dtype.kind == "b":
        return array
    if array.dtype.kind in "USO":
        words = np.char.lower(np.char.strip(array.astype(str)))
        known = np.isin(words, list(_CALL_WORDS))
        if not known.all():
            row = np.flatnonzero(~known.reshape(-1))[0]
            bad = array.reshape(-1)[row]
            raise InputError(f"is_call[{row}] = {bad!r} is not allowed: use True/False or 'c'/'p'/'call'/'put'")
        return np.isin(words, ["c", "call"])
    raise InputError(f"is_call must be bool or 'c'/'p'/'call'/'put', got dtype {array.dtype}")


def _column(array: NDArray[Any], shape: tuple[int, ...]) -> Any:
    """A float (or bool) when one value serves every row, else a flat C-contiguous array."""
    if array.size == 1:
        return array.reshape(-1)[0].item()
    if array.shape != shape:
        array = np.broadcast_to(array, shape)
    return np.ascontiguousarray(array).reshape(-1)


class _Batch:
    """Normalised inputs: the broadcast shape and one flat column per argument."""

    def __init__(self, numbers: dict[str, ArrayLike], is_call: FlagLike) -> None:
        arrays = {name: _numeric(name, value) for name, value in numbers.items()}
        flags = _flags(is_call)
        try:
            self.shape: tuple[int, ...] = np.broadcast_shapes(flags.shape, *(a.shape for a in arrays.values()))
        except ValueError:
            described = ", ".join(f"{n} {a.shape}" for n, a in [*arrays.items(), ("is_call", flags)])
            raise InputError(f"the inputs do not broadcast together: {described}") from None
        self.size = int(np.prod(self.shape, dtype=np.int64))
        self.columns = {name: _column(a, self.shape) for name, a in arrays.items()}
        self.is_call = _column(flags, self.shape)

    def output(self, out: NDArray[Any] | None, name: str) -> FloatArray:
        """A flat view of a caller's ``out`` array (checked), or a fresh one."""
        if out is None:
            return np.empty(self.size, dtype=np.float64)
        if not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.shape != self.shape:
            got = f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}"
            raise InputError(f"{name} must be a float64 array of shape {self.shape}, got {got}")
        if not (out.flags.c_contiguous and out.flags.writeable):
            raise InputError(f"{name} must be writeable and C-contiguous")
        return out.reshape(-1)

    def shaped(self, flat: NDArray[Any]) -> Any:
        """``flat`` in the broadcast shape; a numpy scalar when the inputs were all scalars."""
        shaped = flat.reshape(self.shape)
        return shaped[()] if self.shape == () else shaped


def _pricing_batch(
    model: Model,
    underlying: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike,
    is_call: FlagLike,
) -> _Batch:
    batch = _Batch(
        {
            "underlying": underlying,
            "strike": strike,
            "time_to_expiry": time_to_expiry,
            "vol": vol,
            "rate": rate,
            "div_yield": div_yield,
        },
        is_call,
    )
    _check_black76_div_yield(model, batch.columns["div_yield"])
    return batch


def _check_black76_div_yield(model: Model, div_yield: Any) -> None:
    if model is Model.BLACK76 and np.any(np.asarray(div_yield) != 0):
        raise InputError("div_yield must be 0 for black76: the underlying is a forward, which pays no dividend")


def price(
    *,
    model: Model | str,
    underlying: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    is_call: FlagLike,
    out: FloatArray | None = None,
    on_invalid: OnInvalid = "raise",
) -> Any:
    """Present values of European options.

    Parameters
    ----------
    model : {"bsm", "black76"}
        ``bsm``: ``underlying`` is spot with continuous dividend yield ``div_yield``.
        ``black76``: ``underlying`` is the forward or future; ``rate`` only discounts.
    underlying, strike : array_like
        Spot or forward, and strike, in price units (> 0).
    time_to_expiry : array_like
        Years (ACT/365) to expiry, >= 0. At 0 the value is intrinsic.
    vol : array_like
        Volatility as a decimal (0.20 for 20 %), >= 0.
    rate, div_yield : array_like
        Continuously compounded rate and dividend yield, decimals per year.
    is_call : bool, {"c", "p", "call", "put"} or array of them
    out : ndarray, optional
        Float64, C-contiguous, of the broadcast shape; filled and returned (saves an allocation).
    on_invalid : {"raise", "nan"}
        What a value outside its domain (underlying or strike <= 0, time or vol < 0) does: raise
        :class:`alvh.exceptions.DomainError` naming the argument and row, or give that row NaN.
        NaN or infinite inputs always give NaN for their row only.

    Returns
    -------
    ndarray or numpy.float64
        Values, of the broadcast shape of the inputs.
    """
    m = _model(model)
    batch = _pricing_batch(m, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call)
    flat = batch.output(out, "out")
    c = batch.columns
    _core.price(
        m.value,
        c["underlying"],
        c["strike"],
        c["time_to_expiry"],
        c["vol"],
        c["rate"],
        c["div_yield"],
        batch.is_call,
        on_invalid,
        flat,
    )
    return out if out is not None else batch.shaped(flat)


def greeks(
    *,
    model: Model | str,
    underlying: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    vol: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    is_call: FlagLike,
    out: Greeks | None = None,
    on_invalid: OnInvalid = "raise",
) -> Greeks:
    """Value and all Greeks of European options, in one pass.

    Arguments are those of :func:`price`; ``out`` is a :class:`Greeks` (e.g. from
    :meth:`Greeks.empty`) whose arrays are filled and which is returned.

    Returns
    -------
    Greeks
        ``price, delta, gamma, vega, theta, rho, vanna, volga, charm`` and, for BSM, ``div_rho``:
        delta = dV/dS (dV/dF for Black-76), gamma = d2V/dS2, vega per 1.00 of vol,
        theta = -dV/dT per year, rho = dV/dr per 1.00 (Black-76: forward held fixed),
        div_rho = dV/dq per 1.00, vanna = d2V/dSdvol, volga = d2V/dvol2, charm = -dDelta/dT per year.
    """
    m = _model(model)
    batch = _pricing_batch(m, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call)
    if out is not None and (out.div_rho is None) != (m is Model.BLACK76):
        raise InputError(f"out.div_rho must be {'None' if m is Model.BLACK76 else 'an array'} for {m.value}")
    names = [f.name for f in fields(Greeks)]
    flat = {n: batch.output(getattr(out, n) if out is not None else None, f"out.{n}") for n in names[:-1]}
    div_rho = None if m is Model.BLACK76 else batch.output(out.div_rho if out else None, "out.div_rho")
    c = batch.columns
    _core.greeks(
        m.value,
        c["underlying"],
        c["strike"],
        c["time_to_expiry"],
        c["vol"],
        c["rate"],
        c["div_yield"],
        batch.is_call,
        on_invalid,
        flat["price"],
        flat["delta"],
        flat["gamma"],
        flat["vega"],
        flat["theta"],
        flat["rho"],
        flat["vanna"],
        flat["volga"],
        flat["charm"],
        div_rho,
    )
    if out is not None:
        return out
    return Greeks(
        **{n: batch.shaped(a) for n, a in flat.items()},
        div_rho=None if div_rho is None else batch.shaped(div_rho),
    )


def implied_vol(
    *,
    model: Model | str,
    price: ArrayLike,
    underlying: ArrayLike,
    strike: ArrayLike,
    time_to_expiry: ArrayLike,
    rate: ArrayLike,
    div_yield: ArrayLike = 0.0,
    is_call: FlagLike,
    return_status: bool = False,
) -> Any:
    """The volatility that reproduces each price (Jäckel's "Let's Be Rational" method).

    Accurate to what the price carries: |dvol| <= max(1e-12 vol, a few ulp(price) / vega).
    Arguments are those of :func:`price`, with ``price`` (present value) instead of ``vol``.

    Rows with no solution give NaN — never 0.0 — and, with ``return_status=True``, an
    :class:`IVStatus` code per row saying why. When every input is a scalar, a missing solution
    raises :class:`alvh.exceptions.ImpliedVolError` instead.

    Returns
    -------
    ndarray or numpy.float64, or (vols, statuses) with ``return_status=True``
        Decimal volatilities; statuses are uint8 :class:`IVStatus` codes.
    """
    m = _model(model)
    batch = _Batch(
        {
            "price": price,
            "underlying": underlying,
            "strike": strike,
            "time_to_expiry": time_to_expiry,
            "rate": rate,
            "div_yield": div_yield,
        },
        is_call,
    )
    _check_black76_div_yield(m, batch.columns["div_yield"])
    vols = np.empty(batch.size, dtype=np.float64)
    status = np.empty(batch.size, dtype=np.uint8)
    c = batch.columns
    _core.implied_vol(
        m.value,
        c["price"],
        c["underlying"],
        c["strike"],
        c["time_to_expiry"],
        c["rate"],
        c["div_yield"],
        batch.is_call,
        vols,
        status,
    )
    if batch.shape == () and not return_status and status[0] != IVStatus.OK:
        code = IVStatus(int(status[0]))
        described = ", ".join(f"{k}={v!r}" for k, v in c.items())
        raise ImpliedVolError(f"no implied volatility ({code.name.lower()}) for {described}", code)
    result = batch.shaped(vols)
    return (result, batch.shaped(status)) if return_status else result
