"""Fuzzing the array API (price, greeks, implied_vol; both models, every on_invalid mode): random
shapes, dtypes and values — NaN, ±inf, negative, zero, subnormal, huge, bools, ragged lists,
bytes — and out= variants (fresh, an input, shared, wrong). Whatever comes in:

* nothing but an :class:`alvh.exceptions.AlvhError` is raised;
* a row with an invalid input (NaN, ±inf, or out of its domain) has no finite output;
* implied_vol reports OK only with a finite vol that re-prices the price;
* a row's result is bit-identical to that row computed alone (so it cannot depend on its
  neighbours, its chunk, or the number of threads).

``HYPOTHESIS_PROFILE=ci`` runs more examples; ``ALVH_FUZZ_EXAMPLES`` sets the count directly.
Run with ``-s`` to see the calls and rows tried.
"""

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import alvh
from alvh.exceptions import AlvhError

EXAMPLES = int(os.environ.get("ALVH_FUZZ_EXAMPLES", "0")) or None
fuzz_settings = settings(max_examples=EXAMPLES) if EXAMPLES else settings()
TALLY: Counter[str] = Counter()

SPECIAL = [
    0.0,
    -0.0,
    -1.0,
    5e-324,
    2.2e-308,
    1e-300,
    1e-160,
    1e-12,
    0.2,
    1.0,
    100.0,
    1e8,
    1e154,
    1e300,
    1.7e308,
    np.nan,
    np.inf,
    -np.inf,
    -1e-300,
]
floats = st.one_of(
    st.sampled_from(SPECIAL),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=1e-3, max_value=1e3),
)
PER_ROW = object()
NAMES = ["underlying", "strike", "time_to_expiry", "vol", "rate", "div_yield"]


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    print(
        f"\napi fuzz: {TALLY['calls']} calls, {TALLY['rows']} rows, {TALLY['errors']} of the calls raised an AlvhError"
    )


@st.composite
def arguments(draw: st.DrawFn, names: list[str]) -> tuple[dict[str, Any], tuple[int, ...]]:
    """Values for ``names`` that broadcast to a drawn shape (each argument as a scalar, a list, a
    float64/float32/int array of the full shape or with dimensions of 1), now and then a hostile one."""
    # Mostly small shapes; now and then a long one, across the kernels' blocks of rows.
    sizes = st.one_of(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.integers(5, 300))
    shape = tuple(draw(st.lists(sizes, max_size=2)))
    values: dict[str, Any] = {}
    for name in names:
        own = tuple(size if draw(st.booleans()) else 1 for size in shape)[draw(st.integers(0, len(shape))) :]
        data = np.resize(np.array(draw(st.lists(floats, min_size=1, max_size=12)), dtype=float), own)
        form = draw(st.sampled_from(["array"] * 6 + ["scalar"] * 3 + ["list", "float32", "int", "hostile"]))
        if form == "scalar" or data.size == 1:
            values[name] = float(data.reshape(-1)[0]) if data.size else 0.2
        elif form == "list":
            values[name] = data.tolist()
        elif form == "float32":
            with np.errstate(over="ignore"):  # beyond float32's range: ±inf, as intended
                values[name] = data.astype(np.float32)
        elif form == "int":
            values[name] = np.nan_to_num(data, posinf=1e9, neginf=-1e9).clip(-1e9, 1e9).astype(np.int64)
        elif form == "hostile":
            values[name] = draw(
                st.sampled_from([True, [0.2, True], [[1.0], [1.0, 2.0]], "0.2", 1 + 2j, None, np.array([b"x"])])
            )
        else:
            values[name] = data
    return values, shape


flags = st.one_of(
    st.booleans(),
    st.booleans(),
    st.just(PER_ROW),
    st.sampled_from(["c", "p", "call", "PUT", "x", b"c", [], [True, False], ["c", "p", "c"], 1]),
)


def _per_row(is_call: Any, shape: tuple[int, ...]) -> Any:
    """A call/put array of the broadcast shape where PER_ROW was drawn."""
    return np.resize(np.array([True, False, False]), shape) if is_call is PER_ROW else is_call


def _rows(values: dict[str, Any], shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    return {n: np.broadcast_to(np.asarray(v, dtype=float), shape) for n, v in values.items()}


def _invalid(rows: dict[str, np.ndarray]) -> np.ndarray:
    bad = np.zeros(next(iter(rows.values())).shape, dtype=bool)
    for name, column in rows.items():
        bad |= ~np.isfinite(column)
        if name in ("underlying", "strike"):
            bad |= column <= 0
        elif name in ("time_to_expiry", "vol", "price"):
            bad |= column < 0
    return bad


def _representable(rows: dict[str, np.ndarray]) -> np.ndarray:
    """Rows whose inputs, forward and discounted strike stay inside [1e-300, 1e300] (beyond, an
    intermediate e^{±rT}, e^{±qT} or forward may overflow: not yet promised to be NaN-free)."""
    with np.errstate(all="ignore"):
        inside = np.ones(next(iter(rows.values())).shape, dtype=bool)
        for column in rows.values():
            inside &= (column == 0) | ((np.abs(column) >= 1e-300) & (np.abs(column) <= 1e300))
        growth = np.exp((np.abs(rows["rate"]) + np.abs(rows["div_yield"])) * rows["time_to_expiry"])
        for price in ("underlying", "strike"):  # the forward and the discounted strike stay inside too
            inside &= (rows[price] * growth <= 1e300) & (rows[price] / growth >= 1e-300)
        return inside


def _call(function: Any, **kwargs: Any) -> Any:
    """Call, counting; an AlvhError is a legitimate answer (returned as None)."""
    TALLY["calls"] += 1
    try:
        return function(**kwargs)
    except AlvhError:
        TALLY["errors"] += 1
        return None


def _one_row(values: dict[str, Any], shape: tuple[int, ...], index: tuple[int, ...]) -> dict[str, float]:
    return {n: float(np.broadcast_to(np.asarray(v, dtype=float), shape)[index]) for n, v in values.items()}


@fuzz_settings
@given(
    model=st.sampled_from(["bsm", "black76"]),
    drawn=arguments(NAMES),
    is_call=flags,
    on_invalid=st.sampled_from(["raise", "nan", "nan", "nan", "nan", None, "skip"]),
    out_form=st.sampled_from(["none", "none", "none", "fresh", "input", "wrong"]),
    want_greeks=st.booleans(),
    no_dividend=st.booleans(),
)
def test_price_and_greeks_never_lie(
    model: str,
    drawn: tuple[dict[str, Any], tuple[int, ...]],
    is_call: Any,
    on_invalid: Any,
    out_form: str,
    want_greeks: bool,
    no_dividend: bool,
) -> None:
    values, shape = drawn
    is_call = _per_row(is_call, shape)
    if no_dividend:  # Black-76 refuses a non-zero dividend yield as a whole
        values["div_yield"] = 0.0
    # An out= that is an input is overwritten: judge the rows by the inputs as they were.
    inputs = {n: v.copy() if isinstance(v, np.ndarray) else v for n, v in values.items()}
    result = _call(
        alvh.greeks if want_greeks else alvh.price,
        model=model,
        **values,
        is_call=is_call,
        on_invalid=on_invalid,
        **_out(values, is_call, model, out_form, want_greeks),
    )
    if result is None:
        return
    outputs = result.to_dict() if want_greeks else {"price": np.asarray(result)}
    shape = np.shape(outputs["price"])
    TALLY["rows"] += int(np.prod(shape))
    rows = _rows(inputs, shape)
    invalid = _invalid(rows)
    for name, array in outputs.items():
        assert not np.isfinite(np.asarray(array)[invalid]).any(), f"{name}: a finite value for an invalid row"
        assert not np.isnan(np.asarray(array)[_representable(rows) & ~invalid]).any(), f"{name}: NaN for a valid row"
    if invalid.size and not invalid.all():
        index = tuple(int(i) for i in np.argwhere(~invalid)[-1])
        flag = np.broadcast_to(np.asarray(alvh.pricing._flags(is_call)), shape)[index]
        alone = (alvh.greeks if want_greeks else alvh.price)(
            model=model, **_one_row(inputs, shape, index), is_call=bool(flag)
        )
        alone_outputs = alone.to_dict() if want_greeks else {"price": alone}
        for name, array in outputs.items():
            assert np.asarray(array)[index].tobytes() == np.float64(alone_outputs[name]).tobytes(), name


def _out(values: dict[str, Any], is_call: Any, model: str, form: str, want_greeks: bool) -> dict[str, Any]:
    if form == "none":
        return {}
    try:
        shape = np.broadcast_shapes(*(np.shape(v) for v in [*values.values(), is_call]))
    except (ValueError, TypeError):
        shape = (3,)
    if form == "wrong":
        return {"out": np.empty((7, *shape)) if not want_greeks else np.empty(shape)}
    if want_greeks:
        out = alvh.Greeks.empty(shape, model=model)
        if form == "input" and isinstance(values["vol"], np.ndarray) and values["vol"].shape == shape:
            return {"out": alvh.Greeks(**{**out.to_dict(), "vega": values["vol"], "div_rho": out.div_rho})}
        return {"out": out}
    array = values["strike"] if form == "input" and isinstance(values["strike"], np.ndarray) else np.empty(shape)
    return {"out": array}


@fuzz_settings
@given(
    model=st.sampled_from(["bsm", "black76"]),
    drawn=arguments(["underlying", "strike", "time_to_expiry", "rate"]),
    is_call=flags,
    vol=st.one_of(st.floats(min_value=1e-4, max_value=5.0), st.sampled_from([0.0, 1e-160, 50.0])),
    price_form=st.sampled_from(["from_vol", "from_vol", "random"]),
    random_price=floats,
    return_status=st.booleans(),
)
def test_implied_vol_is_ok_only_with_a_vol_that_reprices(
    model: str,
    drawn: tuple[dict[str, Any], tuple[int, ...]],
    is_call: Any,
    vol: float,
    price_form: str,
    random_price: float,
    return_status: bool,
) -> None:
    values, shape = drawn
    is_call = _per_row(is_call, shape)
    price: Any = random_price
    if price_form == "from_vol":
        price = _call(alvh.price, model=model, **values, vol=vol, is_call=is_call, on_invalid="nan")
        if price is None:
            return
    result = _call(alvh.implied_vol, model=model, price=price, **values, is_call=is_call, return_status=return_status)
    if result is None:
        return
    vols, status = result if return_status else (result, None)
    shape = np.shape(vols)
    TALLY["rows"] += int(np.prod(shape))
    rows = _rows({**values, "price": price}, shape)
    ok = np.isfinite(vols)
    assert not ok[_invalid(rows)].any(), "a vol for an invalid row"
    if status is not None:
        assert ((status == alvh.IVStatus.OK) == ok).all(), "status OK without a finite vol, or a vol without OK"
    if not ok.any():
        return
    flag = np.broadcast_to(np.asarray(alvh.pricing._flags(is_call)), shape)
    repriced = alvh.price(
        model=model, **{n: rows[n][ok] for n in values}, vol=vols[ok], is_call=flag[ok], on_invalid="nan"
    )
    target = rows["price"][ok]
    error = np.abs(repriced - target)
    # Known limit, not yet fixed: near the upper bound with |ln(U/K)| > 700 the iteration stops
    # short (see the cargo fuzz target), so those rows are not held to it.
    with np.errstate(all="ignore"):
        held = np.abs(np.log(rows["underlying"][ok] / rows["strike"][ok])) <= 700
    bad = held & (error > 1e-8 * target + 1e-300)
    assert not bad.any(), f"re-pricing errors {error[bad]} of {target[bad]}"
