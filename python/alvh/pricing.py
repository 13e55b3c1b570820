"""Prices, Greeks and implied volatilities of European options over arrays (the Rust kernels).

Units are the raw kernel units of the README's table: time in years (ACT/365), vol as a decimal,
vega per 1.00 of vol, theta = -dV/dT per year, rho per 1.00, charm = -dDelta/dT per year.

Every numeric argument may be a scalar or an array; they broadcast together like numpy ufuncs and
the results have the broadcast shape (numpy scalars when every input is a scalar). Arrays are
converted to C-contiguous float64 here, once; integer inputs are converted, anything else (bool,
also inside a list, complex, strings, objects, ragged lists) is refused with an
:class:`alvh.exceptions.InputError`. An ``out`` array may be one of the inputs (the results then
overwrite it in place); two outputs may not share memory.
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
from alvh.exceptions import DomainError, ImpliedVolError, InputError

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
    OUT_OF_RANGE = 6
    """The inputs are valid but no volatility is computable in doubles: the discount factor, the
    normalised price or the volatility overflows or underflows (e.g. |rate·T| > 709), or no
    volatility re-pricing the price to 1e-8 of it is reached (extreme moneyness)."""


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

    def to_dict(self) -> dict[str, FloatArray]:
        """The arrays by name (``div_rho`` omitted when it is ``None``)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}


def _model(model: Model | str) -> Model:
    try:
        return Model(model.lower() if isinstance(model, str) else model)
    except ValueError:
        raise InputError(f"model = {model!r} is not allowed: use 'bsm' or 'black76'") from None


def _as_array(name: str, value: object) -> NDArray[Any]:
    try:
        return np.asarray(value)
    except (ValueError, TypeError):
        raise InputError(f"{name} must be a scalar or a rectangular array; a ragged list is not") from None


def _index(position: tuple[int, ...]) -> str:
    """``[1]`` or ``[1, 0]``; nothing for a scalar."""
    return f"[{', '.join(str(int(i)) for i in position)}]" if position else ""


def _first_bool(value: object) -> tuple[int, ...] | None:
    """Where a list or tuple holds a bool (numpy would read it as 1.0 or 0.0), if anywhere."""
    if not isinstance(value, (list, tuple)):
        return None
    cells = np.asarray(value, dtype=object)
    is_bool = np.frompyfunc(lambda v: isinstance(v, (bool, np.bool_)), 1, 1)(cells).astype(bool)
    if not is_bool.any():
        return None
    return tuple(int(i) for i in np.unravel_index(int(np.flatnonzero(is_bool)[0]), is_bool.shape))


def _numeric(name: str, value: ArrayLike) -> NDArray[np.float64]:
    array = _as_array(name, value)
    if array.dtype.kind not in "iuf":
        raise InputError(f"{name} must be a number or an array of numbers, got dtype {array.dtype}")
    position = _first_bool(value)
    if position is not None:
        raise InputError(f"{name}{_index(position)} = True/False is not allowed: {name} must hold numbers, not bools")
    return array.astype(np.float64, copy=False)


def _on_invalid(value: object) -> OnInvalid:
    if isinstance(value, str) and value in ("raise", "nan"):
        return "raise" if value == "raise" else "nan"
    raise InputError(f"on_invalid = {value!r} is not allowed: use 'raise' or 'nan'")


_CALL_WORDS = {"c": True, "call": True, "p": False, "put": False}


def _flags(value: FlagLike) -> NDArray[np.bool_]:
    array = _as_array("is_call", value)
    if array.dtype.kind == "b":
        return array
    if array.size == 0:
        return np.zeros(array.shape, dtype=bool)
    if array.dtype.kind in "UO":
        words = np.char.lower(np.char.strip(array.astype(str)))
        known = np.isin(words, list(_CALL_WORDS))
        if not known.all():
            row = np.flatnonzero(~known.reshape(-1))[0]
            bad = array.reshape(-1)[row]
            position = tuple(int(i) for i in np.unravel_index(row, array.shape))
            raise InputError(
                f"is_call{_index(position)} = {bad!r} is not allowed: use True/False or 'c'/'p'/'call'/'put'"
            )
        return np.isin(words, ["c", "call"])
    got = "bytes" if array.dtype.kind == "S" else f"dtype {array.dtype}"
    raise InputError(f"is_call must be bool or 'c'/'p'/'call'/'put' (str), got {got}")


def _column(array: NDArray[Any], shape: tuple[int, ...]) -> Any:
    """A float (or bool) when one value serves every row, else a flat C-contiguous array."""
    if array.size == 1:
        return array.reshape(-1)[0].item()
    if array.shape != shape:
        array = np.broadcast_to(array, shape)
    return np.ascontiguousarray(array).reshape(-1)


def _shares_memory(a: NDArray[Any], b: NDArray[Any]) -> bool:
    """Whether the core would see the two arrays as one (empty views of one buffer included)."""
    if np.may_share_memory(a, b):
        return True
    return (a.size == 0 or b.size == 0) and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]


class _Batch:
    """Normalised inputs: the broadcast shape and one flat column per argument."""

    def __init__(self, numbers: dict[str, ArrayLike], is_call: FlagLike) -> None:
        arrays = {name: _numeric(name, value) for name, value in numbers.items()}
        flags = _flags(is_call)
        self.own_shapes = {name: a.shape for name, a in [*arrays.items(), ("is_call", flags)]}
        try:
            self.shape: tuple[int, ...] = np.broadcast_shapes(*self.own_shapes.values())
        except ValueError:
            described = ", ".join(f"{n} {shape}" for n, shape in self.own_shapes.items())
            raise InputError(f"the inputs do not broadcast together: {described}") from None
        self.size = int(np.prod(self.shape, dtype=np.int64))
        try:
            self.columns = {name: _column(a, self.shape) for name, a in arrays.items()}
            self.is_call = _column(flags, self.shape)
        except MemoryError:
            raise self._too_large() from None

    def _too_large(self) -> InputError:
        """The error for a failed allocation, stating the size (nothing has been written)."""
        gib = self.size * 8 / 2**30
        return InputError(
            f"the inputs broadcast to shape {self.shape} ({self.size:,} rows, {gib:.1f} GiB per float64 "
            "array), more than this machine can allocate: pass smaller batches"
        )

    def empty(self, dtype: type[np.generic] = np.float64) -> NDArray[Any]:
        """A fresh flat output array."""
        try:
            return np.empty(self.size, dtype=dtype)
        except MemoryError:
            raise self._too_large() from None

    def output(self, out: NDArray[Any] | None, name: str) -> FloatArray:
        """A flat view of a caller's ``out`` array (checked), or a fresh one."""
        if out is None:
            return self.empty()
        if not isinstance(out, np.ndarray) or out.dtype != np.float64 or out.shape != self.shape:
            got = f"{type(out).__name__} {getattr(out, 'dtype', '')} {getattr(out, 'shape', '')}"
            raise InputError(f"{name} must be a float64 array of shape {self.shape}, got {got}")
        if not (out.flags.c_contiguous and out.flags.writeable):
            raise InputError(f"{name} must be writeable and C-contiguous")
        return out.reshape(-1)

    def separate(self, outputs: dict[str, NDArray[Any]]) -> None:
        """Refuse outputs that share memory; copy any input column an output shares memory with
        (an ``out`` that is an input is filled in place, after the input has been read)."""
        named = list(outputs.items())
        for i, (name, array) in enumerate(named):
            for other, other_array in named[:i]:
                if _shares_memory(array, other_array):
                    raise InputError(f"{name} and {other} share memory: give each output its own array")
        columns = {**self.columns, "is_call": self.is_call}
        for name, column in columns.items():
            if isinstance(column, np.ndarray) and any(_shares_memory(column, a) for a in outputs.values()):
                columns[name] = column.copy()
        self.is_call = columns.pop("is_call")
        self.columns = columns

    def domain_error(self, error: DomainError) -> DomainError:
        """``error`` with its row named in the argument's own shape (the core counts rows of the
        flattened broadcast), and the broadcast position where the two differ."""
        argument, row = getattr(error, "argument", None), getattr(error, "row", None)
        if argument not in self.own_shapes or not isinstance(row, int):
            return error
        own_shape = self.own_shapes[argument]
        position = tuple(int(i) for i in np.unravel_index(row, self.shape)) if self.shape else ()
        offset = len(self.shape) - len(own_shape)
        own = tuple(0 if size == 1 else position[offset + j] for j, size in enumerate(own_shape))
        message = str(error).replace(f"{argument}[{row}]", f"{argument}{_index(own)}", 1)
        if own_shape != self.shape:
            message += f" (at {list(position)} of the broadcast shape {self.shape})"
        return DomainError(message)

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
        It may be one of the inputs (filled in place). Untouched when the call raises.
    on_invalid : {"raise", "nan"}
        What a value outside its domain (underlying or strike <= 0, time or vol < 0) does: raise
        :class:`alvh.exceptions.DomainError` naming the argument and its index in the argument's
        own shape (every row is checked before any output is written), or give that row NaN.
        NaN or infinite inputs always give NaN for their row only.

    Returns
    -------
    ndarray or numpy.float64
        Values, of the broadcast shape of the inputs.
    """
    m = _model(model)
    mode = _on_invalid(on_invalid)
    batch = _pricing_batch(m, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call)
    flat = batch.output(out, "out")
    if out is not None:  # a fresh output shares memory with nothing
        batch.separate({"out": flat})
    c = batch.columns
    try:
        _core.price(
            m.value,
            c["underlying"],
            c["strike"],
            c["time_to_expiry"],
            c["vol"],
            c["rate"],
            c["div_yield"],
            batch.is_call,
            mode,
            flat,
        )
    except DomainError as error:
        raise batch.domain_error(error) from None
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
    mode = _on_invalid(on_invalid)
    batch = _pricing_batch(m, underlying, strike, time_to_expiry, vol, rate, div_yield, is_call)
    if out is not None and not isinstance(out, Greeks):
        raise InputError(f"out must be a Greeks (e.g. Greeks.empty(shape, model=...)), got {type(out).__name__}")
    if out is not None and (out.div_rho is None) != (m is Model.BLACK76):
        raise InputError(f"out.div_rho must be {'None' if m is Model.BLACK76 else 'an array'} for {m.value}")
    names = [f.name for f in fields(Greeks)]
    flat = {n: batch.output(getattr(out, n) if out is not None else None, f"out.{n}") for n in names[:-1]}
    div_rho = None if m is Model.BLACK76 else batch.output(out.div_rho if out else None, "out.div_rho")
    outputs = {f"out.{n}": a for n, a in flat.items()}
    if out is not None:  # fresh outputs share memory with nothing
        batch.separate(outputs if div_rho is None else {**outputs, "out.div_rho": div_rho})
    c = batch.columns
    try:
        _core.greeks(
            m.value,
            c["underlying"],
            c["strike"],
            c["time_to_expiry"],
            c["vol"],
            c["rate"],
            c["div_yield"],
            batch.is_call,
            mode,
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
    except DomainError as error:
        raise batch.domain_error(error) from None
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
    vols = batch.empty()
    status = batch.empty(np.uint8)
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
