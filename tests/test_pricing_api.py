"""The Python API of the kernels: broadcasting, outputs, flags, and every kind of bad input."""

import numpy as np
import pytest

import alvh
from alvh import _core
from alvh.exceptions import AlvhError, DomainError, ImpliedVolError, InputError

ATM = dict(model="bsm", underlying=100.0, strike=100.0, time_to_expiry=1.0, vol=0.2, rate=0.05)
# Hull's textbook example value (S = K = 100, T = 1, vol 20 %, r 5 %), to 16 digits (mpmath).
ATM_CALL = 10.450583572185565


def test_scalar_inputs_give_a_numpy_scalar() -> None:
    value = alvh.price(**ATM, is_call="call")
    assert isinstance(value, np.float64)
    assert value == pytest.approx(ATM_CALL, rel=1e-14)


def test_broadcasting_follows_numpy() -> None:
    strikes = np.array([[90.0], [100.0], [110.0]])
    vols = np.array([0.1, 0.2, 0.3, 0.4])
    values = alvh.price(**{**ATM, "strike": strikes, "vol": vols}, is_call=True)
    assert values.shape == (3, 4)
    for i, k in enumerate(strikes[:, 0]):
        for j, v in enumerate(vols):
            assert values[i, j] == alvh.price(**{**ATM, "strike": k, "vol": v}, is_call=True)


def test_non_contiguous_and_integer_inputs_are_converted_here() -> None:
    strikes = np.arange(80, 121, dtype=np.int64)[::2]  # a strided integer view
    values = alvh.price(**{**ATM, "strike": strikes}, is_call=True)
    expected = alvh.price(**{**ATM, "strike": strikes.astype(float).copy()}, is_call=True)
    np.testing.assert_array_equal(values, expected)


@pytest.mark.parametrize(
    ("flag", "call"), [(True, True), (False, False), ("c", True), ("P", False), ("call", True), (" Put ", False)]
)
def test_is_call_accepts_bools_and_words(flag: object, call: bool) -> None:
    value = alvh.price(**ATM, is_call=flag)
    assert value == alvh.price(**ATM, is_call=call)


def test_is_call_array_of_words() -> None:
    values = alvh.price(**ATM, is_call=np.array(["c", "p", "call"]))
    assert values[0] == values[2] != values[1]


def test_put_call_parity_holds_through_the_api() -> None:
    g = alvh.greeks(**{**ATM, "div_yield": 0.02}, is_call=np.array([True, False]))
    forward_value = 100.0 * np.exp(-0.02) - 100.0 * np.exp(-0.05)
    assert g.price[0] - g.price[1] == pytest.approx(forward_value, rel=1e-14)
    assert g.delta[0] - g.delta[1] == pytest.approx(np.exp(-0.02), rel=1e-14)


def test_greeks_fields_and_black76_has_no_div_rho() -> None:
    bsm = alvh.greeks(**ATM, is_call=True)
    assert set(bsm.to_dict()) == {
        "price",
        "delta",
        "gamma",
        "vega",
        "theta",
        "rho",
        "vanna",
        "volga",
        "charm",
        "div_rho",
    }
    black = alvh.greeks(**{**ATM, "model": "black76"}, is_call=True)
    assert black.div_rho is None
    assert black.rho == pytest.approx(-1.0 * black.price)  # forward held fixed: rho = -T V


def test_black76_refuses_a_dividend_yield() -> None:
    with pytest.raises(InputError, match="div_yield must be 0 for black76"):
        alvh.price(**{**ATM, "model": "black76"}, div_yield=0.01, is_call=True)


def test_out_buffers_are_filled_and_returned() -> None:
    n = 1000
    strikes = np.linspace(50, 150, n)
    out = alvh.Greeks.empty(n)
    result = alvh.greeks(**{**ATM, "strike": strikes}, is_call=True, out=out)
    assert result is out
    fresh = alvh.greeks(**{**ATM, "strike": strikes}, is_call=True)
    for name, array in fresh.to_dict().items():
        np.testing.assert_array_equal(getattr(out, name), array)
    prices = np.empty(n)
    assert alvh.price(**{**ATM, "strike": strikes}, is_call=True, out=prices) is prices
    np.testing.assert_array_equal(prices, fresh.price)


@pytest.mark.parametrize(
    ("out", "message"),
    [
        (np.empty(10, dtype=np.float32), "float64 array of shape"),
        (np.empty(11), "float64 array of shape"),
        (np.empty(20)[::2], "writeable and C-contiguous"),
    ],
)
def test_bad_out_buffers_are_refused(out: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        alvh.price(**{**ATM, "strike": np.linspace(90, 110, 10)}, is_call=True, out=out)


def test_out_must_match_the_model() -> None:
    with pytest.raises(InputError, match=r"out\.div_rho must be an array"):
        alvh.greeks(**ATM, is_call=True, out=alvh.Greeks.empty((), model="black76"))


def test_empty_inputs_give_empty_outputs() -> None:
    g = alvh.greeks(**{**ATM, "strike": np.array([])}, is_call=True)
    assert g.price.shape == (0,)
    vols = alvh.implied_vol(
        model="bsm", price=np.array([]), underlying=100.0, strike=100.0, time_to_expiry=1.0, rate=0.0, is_call=True
    )
    assert vols.shape == (0,)


@pytest.mark.parametrize(
    ("argument", "value", "allowed"),
    [
        ("vol", -0.2, "vol must be >= 0"),
        ("time_to_expiry", -1.0, "time_to_expiry must be >= 0"),
        ("strike", 0.0, "strike must be > 0"),
        ("underlying", -5.0, "underlying must be > 0"),
    ],
)
def test_out_of_domain_values_raise_naming_argument_row_and_value(argument: str, value: float, allowed: str) -> None:
    column = np.full(5, ATM[argument])
    column[3] = value
    with pytest.raises(DomainError) as info:
        alvh.greeks(**{**ATM, argument: column}, is_call=True)
    message = str(info.value)
    assert f"{argument}[3] = {value}" in message
    assert allowed in message
    assert isinstance(info.value, (AlvhError, ValueError))


def test_on_invalid_nan_gives_nan_rows_only() -> None:
    vols = np.array([0.2, -0.2, 0.3])
    g = alvh.greeks(**{**ATM, "vol": vols}, is_call=True, on_invalid="nan")
    for array in g.to_dict().values():
        assert np.isnan(array[1])
        assert np.isfinite(array[[0, 2]]).all()


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.parametrize("argument", ["underlying", "strike", "time_to_expiry", "vol", "rate", "div_yield"])
def test_nan_or_inf_input_gives_nan_for_that_row_only(argument: str, bad: float) -> None:
    column = np.full(4, {**ATM, "div_yield": 0.01}[argument])
    column[2] = bad
    g = alvh.greeks(**{**ATM, "div_yield": 0.01, argument: column}, is_call=True)
    for name, array in g.to_dict().items():
        assert np.isnan(array[2]), name
        assert np.isfinite(array[[0, 1, 3]]).all(), name


def test_length_mismatch_is_an_input_error() -> None:
    with pytest.raises(InputError, match="do not broadcast together: underlying \\(3,\\), strike \\(4,\\)"):
        alvh.price(**{**ATM, "underlying": np.ones(3), "strike": np.ones(4)}, is_call=True)


def test_length_mismatch_reaching_the_core_is_named() -> None:
    with pytest.raises(InputError, match="strike has length 4 but the other inputs have length 3"):
        _core.price("bsm", np.ones(3), np.ones(4), 1.0, 0.2, 0.0, 0.0, True, "raise", np.empty(3))


def test_non_contiguous_array_reaching_the_core_is_named() -> None:
    with pytest.raises(InputError, match="strike must be a C-contiguous float64 array"):
        _core.price("bsm", np.ones(3), np.ones(6)[::2], 1.0, 0.2, 0.0, 0.0, True, "raise", np.empty(3))


def test_wrong_dtype_reaching_the_core_is_refused() -> None:
    with pytest.raises(TypeError):
        _core.price("bsm", np.ones(3, dtype=np.float32), 1.0, 1.0, 0.2, 0.0, 0.0, True, "raise", np.empty(3))


@pytest.mark.parametrize("value", [np.array(["a", "b"]), np.array([1 + 2j]), np.array([True, False])])
def test_non_numeric_inputs_are_refused(value: np.ndarray) -> None:
    with pytest.raises(InputError, match="strike must be a number or an array of numbers"):
        alvh.price(**{**ATM, "strike": value}, is_call=True)


@pytest.mark.parametrize("flag", ["x", 1, np.array([0, 1])])
def test_bad_flags_are_refused(flag: object) -> None:
    with pytest.raises(InputError, match="is_call"):
        alvh.price(**ATM, is_call=flag)


def test_unknown_model_and_mode() -> None:
    with pytest.raises(InputError, match="model = 'heston' is not allowed"):
        alvh.price(**{**ATM, "model": "heston"}, is_call=True)
    with pytest.raises(InputError, match="on_invalid = 'skip' is not allowed"):
        alvh.price(**ATM, is_call=True, on_invalid="skip")  # type: ignore[arg-type]


def test_expiry_and_zero_vol_limits() -> None:
    # At T = 0 the value is intrinsic, delta a step, gamma and vega 0 — and nothing is NaN.
    g = alvh.greeks(**{**ATM, "time_to_expiry": 0.0, "underlying": np.array([90.0, 100.0, 110.0])}, is_call=True)
    np.testing.assert_array_equal(g.price, [0.0, 0.0, 10.0])
    np.testing.assert_array_equal(g.delta, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(g.gamma, 0.0)
    np.testing.assert_array_equal(g.vega, 0.0)
    for array in g.to_dict().values():
        assert np.isfinite(array).all()
    # vol = 0 with T > 0: the discounted intrinsic value of the forward.
    z = alvh.greeks(**{**ATM, "vol": 0.0, "strike": 90.0}, is_call=True)
    assert z.price == pytest.approx(100.0 - 90.0 * np.exp(-0.05), rel=1e-15)
    assert z.delta == 1.0
    assert z.gamma == 0.0


def test_implied_vol_round_trip_and_status_codes() -> None:
    assert alvh.implied_vol(model="bsm", price=ATM_CALL, **_no_vol(ATM), is_call="c") == pytest.approx(0.2, rel=1e-14)
    prices = np.array([ATM_CALL, 1.0, 200.0, np.nan, 100.0 - 100.0 * np.exp(-0.05)])
    vols, status = alvh.implied_vol(model="bsm", price=prices, **_no_vol(ATM), is_call="c", return_status=True)
    assert vols[0] == pytest.approx(0.2, rel=1e-14)
    assert np.isnan(vols[1:]).all()
    assert [alvh.IVStatus(s) for s in status] == [
        alvh.IVStatus.OK,
        alvh.IVStatus.BELOW_INTRINSIC,
        alvh.IVStatus.ABOVE_MAXIMUM,
        alvh.IVStatus.INVALID_INPUT,
        alvh.IVStatus.NO_TIME_VALUE,
    ]
    expired = alvh.implied_vol(
        model="bsm", price=[5.0], **{**_no_vol(ATM), "time_to_expiry": 0.0}, is_call="c", return_status=True
    )
    assert expired[1][0] == alvh.IVStatus.EXPIRED


def test_status_enum_matches_the_core() -> None:
    assert [s.name.lower() for s in alvh.IVStatus] == _core.implied_vol_status_names()


def test_scalar_implied_vol_raises_a_typed_error() -> None:
    with pytest.raises(ImpliedVolError, match="below_intrinsic") as info:
        alvh.implied_vol(model="bsm", price=1.0, **_no_vol(ATM), is_call="c")
    assert info.value.status == alvh.IVStatus.BELOW_INTRINSIC


def _no_vol(args: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in args.items() if k not in ("vol", "model")}


@pytest.mark.parametrize(("vol", "where"), [([0.2, True], r"vol\[1\]"), ([[0.2], [False]], r"vol\[1, 0\]")])
def test_a_bool_inside_a_list_of_numbers_is_refused(vol: object, where: str) -> None:
    with pytest.raises(InputError, match=where + r" = True/False is not allowed: vol must hold numbers, not bools"):
        alvh.price(**{**ATM, "vol": vol}, is_call=True)


def test_a_ragged_list_is_an_input_error() -> None:
    with pytest.raises(InputError, match="strike must be a scalar or a rectangular array; a ragged list is not"):
        alvh.price(**{**ATM, "strike": [[90.0, 100.0], [110.0]]}, is_call=True)


@pytest.mark.parametrize("flag", [b"c", [b"c", b"p"], b"\xff"])
def test_bytes_flags_are_refused(flag: object) -> None:
    with pytest.raises(InputError, match=r"is_call must be bool or 'c'/'p'/'call'/'put' \(str\), got bytes"):
        alvh.price(**ATM, is_call=flag)  # type: ignore[arg-type]


def test_an_empty_is_call_gives_empty_outputs() -> None:
    assert alvh.price(**ATM, is_call=[]).shape == (0,)


def test_on_invalid_must_be_a_known_word() -> None:
    with pytest.raises(InputError, match="on_invalid = None is not allowed: use 'raise' or 'nan'"):
        alvh.greeks(**ATM, is_call=True, on_invalid=None)  # type: ignore[arg-type]


def test_greeks_out_must_be_a_greeks() -> None:
    with pytest.raises(
        InputError, match=r"out must be a Greeks \(e.g. Greeks.empty\(shape, model=...\)\), got ndarray"
    ):
        alvh.greeks(**ATM, is_call=True, out=np.empty(()))  # type: ignore[arg-type]


def test_outputs_sharing_memory_are_refused() -> None:
    out = alvh.Greeks.empty(3)
    shared = alvh.Greeks(**{**out.to_dict(), "delta": out.price})
    with pytest.raises(InputError, match=r"out\.delta and out\.price share memory: give each output its own array"):
        alvh.greeks(**{**ATM, "strike": [90.0, 100.0, 110.0]}, is_call=True, out=shared)


def test_an_out_that_is_an_input_is_filled_in_place() -> None:
    strikes = np.array([90.0, 100.0, 110.0])
    expected = alvh.price(**{**ATM, "strike": strikes.copy()}, is_call=True)
    assert alvh.price(**{**ATM, "strike": strikes}, is_call=True, out=strikes) is strikes
    np.testing.assert_array_equal(strikes, expected)
    vols = np.array([0.1, 0.2, 0.3])
    out = alvh.Greeks.empty(3)
    out = alvh.Greeks(**{**out.to_dict(), "vega": vols})
    expected_vega = alvh.greeks(**{**ATM, "vol": vols.copy()}, is_call=True).vega
    alvh.greeks(**{**ATM, "vol": vols}, is_call=True, out=out)
    np.testing.assert_array_equal(vols, expected_vega)


def test_an_empty_out_that_is_an_input_is_accepted() -> None:
    # Found by the fuzz suite: empty views of one buffer do not "overlap" for numpy, but do for the core.
    strikes = np.array([])
    assert alvh.price(**{**ATM, "strike": strikes}, is_call=True, out=strikes) is strikes


def test_a_broadcast_too_large_to_allocate_is_an_input_error_stating_its_size() -> None:
    huge = dict(strike=np.full((10**7, 1), 100.0), vol=np.full((1, 10**7), 0.2))
    with pytest.raises(InputError, match=r"broadcast to shape \(10000000, 10000000\) \(100,000,000,000,000 rows, "):
        alvh.price(**{**ATM, **huge}, is_call=True)


@pytest.mark.parametrize(
    ("vol", "strike", "message"),
    [
        (
            np.array([[0.2], [-0.1]]),
            np.array([90.0, 100.0, 110.0]),
            r"vol\[1, 0\] = -0.1 is not allowed.* \(at \[1, 0\] of the broadcast shape \(2, 3\)\)",
        ),
        (-0.1, np.array([90.0, 100.0]), r"^vol = -0.1 is not allowed"),
        (np.array([0.2, 0.3]), np.array([[90.0], [-1.0]]), r"^strike\[1, 0\] = -1.0 is not allowed"),
    ],
)
def test_domain_errors_name_the_index_in_the_arguments_own_shape(vol: object, strike: object, message: str) -> None:
    with pytest.raises(DomainError, match=message):
        alvh.price(**{**ATM, "vol": vol, "strike": strike}, is_call=True)


def test_out_buffers_are_untouched_when_a_call_raises() -> None:
    n = 3 * _core.CHUNK_ROWS  # several chunks: the bad row is in the last
    vols = np.full(n, 0.2)
    vols[-1] = -0.2
    out = np.full(n, 7.0)
    with pytest.raises(DomainError):
        alvh.price(**{**ATM, "vol": vols}, is_call=True, out=out)
    assert (out == 7.0).all()
    greeks_out = alvh.Greeks.empty(n)
    for array in greeks_out.to_dict().values():
        array.fill(7.0)
    with pytest.raises(DomainError):
        alvh.greeks(**{**ATM, "vol": vols}, is_call=True, out=greeks_out)
    assert all((array == 7.0).all() for array in greeks_out.to_dict().values())
