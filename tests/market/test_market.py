"""Market snapshot: smiles and their interpolation, forwards, the VIX futures curve, β(τ), the
SPX↔VIX link estimate, and validation of market files."""

from __future__ import annotations

import copy
import datetime as dt
import math
import tomllib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alvh.data import example_market, example_market_path
from alvh.exceptions import ConfigError, InputError
from alvh.market.expiries import Settlement
from alvh.market.snapshot import K_RANGE, Market, QuadraticSmile, SviSmile, VixLink, estimate_vix_link, load_market

MARKET = example_market()
DATA = tomllib.loads(example_market_path().read_text())
SMILES = sorted(MARKET.spx.smiles, key=lambda s: s.expiry)
TIMES = [MARKET.years_to(s.expiry, Settlement.PM) for s in SMILES]


def market_data() -> dict[str, Any]:
    """A deep copy of the example market's TOML data, to modify."""
    return copy.deepcopy(DATA)


def svi_total_variance(smile: SviSmile, k: float) -> float:
    """Raw SVI (Gatheral 2004): w(k) = a + b·(ρ(k − m) + √((k − m)² + σ²))."""
    d = k - smile.m
    return smile.a + smile.b * (smile.rho * d + math.sqrt(d * d + smile.sigma**2))


def quoted_vol(i: int, k: float) -> float:
    """The vol the i-th smile's own formula gives at its own expiry (k clipped to ±K_RANGE)."""
    smile, t = SMILES[i], TIMES[i]
    k = min(max(k, -K_RANGE), K_RANGE)
    if isinstance(smile, SviSmile):
        return math.sqrt(svi_total_variance(smile, k) / t)
    assert isinstance(smile, QuadraticSmile)
    return smile.atm_vol + smile.skew * k + smile.curvature * k * k


log_moneyness = st.floats(-K_RANGE, K_RANGE)


# --- smiles ---------------------------------------------------------------------------------


def test_the_example_market_has_both_smile_models() -> None:
    assert {type(s) for s in SMILES} == {SviSmile, QuadraticSmile}
    assert MARKET.spx.spot == 5900.0
    assert MARKET.vix.spot == 16.0


@pytest.mark.parametrize("i", range(len(SMILES)))
@pytest.mark.parametrize("k", [-0.6, -0.25, -0.05, 0.0, 0.03, 0.2, 0.6])
def test_smile_at_its_own_expiry_gives_the_formula_vol(i: int, k: float) -> None:
    got = float(MARKET.smile_vol(k, TIMES[i]))
    assert got == pytest.approx(quoted_vol(i, k), rel=1e-13)


def test_spx_vol_reads_the_smile_at_log_moneyness_of_the_forward() -> None:
    expiry, t = SMILES[2].expiry, TIMES[2]
    forward = 5900.0 * math.exp((0.043 - 0.013) * t)
    strikes = np.array([5000.0, 5600.0, 5900.0, 6100.0])
    expected = [quoted_vol(2, math.log(k / forward)) for k in strikes]
    np.testing.assert_allclose(MARKET.spx_vol(strikes, expiry, t), expected, rtol=1e-13)
    assert MARKET.atm_vol(t) == pytest.approx(quoted_vol(2, 0.0), rel=1e-13)


@pytest.mark.parametrize("i", [0, len(SMILES) - 1])
def test_smile_is_held_flat_beyond_k_range(i: int) -> None:
    t = TIMES[i]
    assert float(MARKET.smile_vol(1.5, t)) == float(MARKET.smile_vol(K_RANGE, t))
    assert float(MARKET.smile_vol(-2.0, t)) == float(MARKET.smile_vol(-K_RANGE, t))


@given(i=st.integers(0, len(SMILES) - 2), u=st.floats(0.0, 1.0), k=log_moneyness)
def test_total_variance_is_linear_in_time_between_expiries(i: int, u: float, k: float) -> None:
    t0, t1 = TIMES[i], TIMES[i + 1]
    t = t0 + u * (t1 - t0)
    w0, w1 = quoted_vol(i, k) ** 2 * t0, quoted_vol(i + 1, k) ** 2 * t1
    expected = w0 + (w1 - w0) * (t - t0) / (t1 - t0)
    assert float(MARKET.smile_vol(k, t)) ** 2 * t == pytest.approx(expected, rel=1e-12, abs=1e-15)


@given(u=st.floats(0.0, 1.0, exclude_max=True), k=log_moneyness)
def test_vol_is_held_flat_before_the_first_and_after_the_last_expiry(u: float, k: float) -> None:
    before = TIMES[0] * max(u, 1e-6)
    assert float(MARKET.smile_vol(k, before)) == pytest.approx(quoted_vol(0, k), rel=1e-12)
    after = TIMES[-1] / max(1.0 - u, 1e-3)
    assert float(MARKET.smile_vol(k, after)) == pytest.approx(quoted_vol(len(SMILES) - 1, k), rel=1e-12)


def test_a_copy_with_other_fields_reads_its_own_smiles() -> None:
    """A snapshot sorts its smiles once; a copy with another time or other smiles does not reuse
    that order, and equality ignores it."""
    market = example_market()
    k, years = np.linspace(-0.3, 0.3, 7), TIMES[2] * 1.1
    vols = market.smile_vol(k, years)
    later = market.model_copy(update={"as_of": market.as_of + dt.timedelta(days=3)})
    relaxed = Market.model_validate(later.model_dump())
    np.testing.assert_array_equal(later.smile_vol(k, years), relaxed.smile_vol(k, years))
    assert not np.array_equal(later.smile_vol(k, years), vols)
    fewer = market.model_copy(update={"spx": market.spx.model_copy(update={"smiles": SMILES[:3]})})
    np.testing.assert_array_equal(fewer.smile_table[1], Market.model_validate(fewer.model_dump()).smile_table[1])
    assert len(fewer.smile_table[1]) == 3 and len(market.smile_table[1]) == len(SMILES)
    assert market == example_market()


def test_svi_and_quadratic_smiles_are_validated_for_negative_variance() -> None:
    ok = {"expiry": dt.date(2027, 1, 15), "a": 0.001, "b": 0.05, "rho": -0.7, "m": 0.0, "sigma": 0.1}
    SviSmile(**ok)
    # minimum of raw SVI: a + b·σ·√(1 − ρ²) = −0.01 + 0.05·0.1·0.714 < 0
    with pytest.raises(ValueError, match="negative variance"):
        SviSmile(**{**ok, "a": -0.01})
    with pytest.raises(ValueError, match=r"vol .* <= 0 at log-moneyness k = -0.6"):
        QuadraticSmile(expiry=dt.date(2027, 1, 15), atm_vol=0.15, skew=0.3, curvature=0.0)
    # curvature < 0: the edge of the validated range is the worst point
    with pytest.raises(ValueError, match=r"k = 0\.6"):
        QuadraticSmile(expiry=dt.date(2027, 1, 15), atm_vol=0.15, skew=-0.1, curvature=-0.5)


# --- forwards and time --------------------------------------------------------------------------


def test_a_quoted_forward_overrides_the_dividend_yield_for_its_expiry_only() -> None:
    data = market_data()
    quoted = dt.date(2026, 12, 18)
    data["spx"]["forwards"] = [{"expiry": quoted, "forward": 5915.0}]
    market = Market.model_validate(data)
    t = market.years_to(quoted, Settlement.PM)
    assert market.div_yield(quoted, t) == pytest.approx(0.043 - math.log(5915.0 / 5900.0) / t, rel=1e-14)
    assert market.forward(quoted, t) == pytest.approx(5915.0, rel=1e-14)
    other = dt.date(2027, 1, 15)
    t_other = market.years_to(other, Settlement.PM)
    assert market.div_yield(other, t_other) == 0.013
    assert market.forward(other, t_other) == pytest.approx(5900.0 * math.exp(0.030 * t_other), rel=1e-14)
    # the smile is read at ln(K/F) with the quoted forward
    assert float(market.spx_vol(5915.0, quoted, t)) == pytest.approx(market.atm_vol(t), rel=1e-14)


def test_am_and_pm_settlement_differ_by_the_trading_day() -> None:
    expiry = dt.date(2026, 12, 18)
    am, pm = MARKET.years_to(expiry, Settlement.AM), MARKET.years_to(expiry, Settlement.PM)
    # as_of 2026-11-20 16:00: to 09:30 on Dec 18 is 27 days 17.5 hours, to 16:00 exactly 28 days
    assert am == pytest.approx((27 + 17.5 / 24) / 365, rel=1e-15)
    assert pm == pytest.approx(28 / 365, rel=1e-15)
    assert MARKET.years_to(MARKET.as_of.date(), Settlement.AM) == 0.0  # settled this morning


# --- VIX ------------------------------------------------------------------------------------


def test_vix_curve_is_linear_in_tenor_from_spot_vix_and_flat_beyond_the_last_future() -> None:
    quotes = sorted(MARKET.vix.futures, key=lambda f: f.expiry)
    tenors = [0.0] + [MARKET.years_to(f.expiry, Settlement.AM) for f in quotes]
    prices = [16.0] + [f.price for f in quotes]
    np.testing.assert_allclose(MARKET.vix_curve(np.array(tenors)), prices, rtol=1e-15)
    for i in range(len(tenors) - 1):
        (t0, t1), (p0, p1) = tenors[i : i + 2], prices[i : i + 2]
        for u in (0.25, 0.5, 0.9):
            assert float(MARKET.vix_curve(t0 + u * (t1 - t0))) == pytest.approx(p0 + u * (p1 - p0), rel=1e-13)
    assert float(MARKET.vix_curve(tenors[-1] + 1.0)) == prices[-1]


def test_vix_future_of_an_expiry_is_the_quote_not_the_curve() -> None:
    assert MARKET.vix_future(dt.date(2027, 1, 20)).price == 18.20
    assert MARKET.vix_future(dt.date(2027, 1, 20)).option_vol == 0.86
    with pytest.raises(InputError, match=r"no VIX future expiring 2027-01-13 .*quoted: 2026-12-16, 2027-01-20"):
        MARKET.vix_future(dt.date(2027, 1, 13))


def test_term_beta_fits_the_published_vix_futures_index_betas() -> None:
    link = VixLink()
    # docs/method.md, Models: short-term (≈ 1-month) index beta ≈ 43-44 %, mid-term (≈ 5-month) ≈ 21 %
    assert float(link.term_beta(1 / 12)) == pytest.approx(0.44, abs=0.005)
    assert float(link.term_beta(5 / 12)) == pytest.approx(0.21, abs=0.005)
    tau = np.array([0.0, 0.01, 0.1, 1.0])
    np.testing.assert_allclose(link.term_beta(tau), (1 + tau / 0.02) ** -0.5, rtol=1e-15)
    assert float(link.term_beta(-0.5)) == 1.0  # a settled future moves with spot VIX
    custom = VixLink(term_tau0=0.05, term_power=1.0)
    assert float(custom.term_beta(0.05)) == pytest.approx(0.5, rel=1e-15)


# --- SPX↔VIX link -------------------------------------------------------------------------------


def test_estimate_vix_link_on_the_arch_sp500_and_vix_history() -> None:
    sp500, vix = pytest.importorskip("arch.data.sp500"), pytest.importorskip("arch.data.vix")
    spx = sp500.load()["Adj Close"]
    vix_closes = vix.load()["vix"].dropna()
    estimate = estimate_vix_link(spx, vix_closes)
    assert -0.86 <= estimate.correlation <= -0.80  # docs/method.md, Models: −0.82 on 2014–2018
    assert estimate.log_beta == pytest.approx(-8.0, abs=0.5)  # docs/method.md, Models: −8 in log terms
    assert estimate.start.year == 2014
    assert estimate.end.year == 2018
    assert estimate.days > 1200
    link = estimate.link(VixLink(term_tau0=0.03))
    assert (link.correlation, link.log_beta, link.term_tau0) == (estimate.correlation, estimate.log_beta, 0.03)


def test_estimate_vix_link_recovers_a_known_log_beta() -> None:
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2020-01-01", periods=2000)
    spx_changes = rng.normal(0.0, 0.01, len(dates))
    noise = rng.normal(0.0, 0.04, len(dates))
    spx = pd.Series(4000.0 * np.exp(np.cumsum(spx_changes)), index=dates)
    vix = pd.Series(20.0 * np.exp(np.cumsum(-6.0 * spx_changes + noise)), index=dates)
    estimate = estimate_vix_link(spx, vix.iloc[5:])  # joined on common dates
    changes = np.diff(np.log(spx.to_numpy()))[5:]
    vix_changes = np.diff(np.log(vix.to_numpy()))[5:]
    slope = np.polyfit(changes, vix_changes, 1)[0]
    assert estimate.log_beta == pytest.approx(slope, rel=1e-10)
    assert estimate.correlation == pytest.approx(np.corrcoef(changes, vix_changes)[0, 1], rel=1e-10)
    assert estimate.days == len(dates) - 6
    # β = −6 with noise 0.04 vs 6·0.01 → correlation −0.06/√(0.06² + 0.04²) = −0.83
    assert estimate.correlation == pytest.approx(-0.832, abs=0.02)


@pytest.mark.parametrize(
    ("spx", "vix", "match"),
    [
        (pd.Series([1.0, 2.0]), None, "spx_closes must be indexed by date"),
        (None, pd.Series([-1.0] * 30, index=pd.bdate_range("2020-01-01", periods=30)), "vix_closes must be positive"),
        (None, pd.Series([np.nan] * 30, index=pd.bdate_range("2020-01-01", periods=30)), "not NaN"),
        (None, pd.Series([20.0] * 10, index=pd.bdate_range("2020-01-01", periods=10)), "share only 9 daily changes"),
    ],
)
def test_estimate_vix_link_rejects_bad_series(spx: pd.Series | None, vix: pd.Series | None, match: str) -> None:
    good = pd.Series(np.linspace(100.0, 110.0, 30), index=pd.bdate_range("2020-01-01", periods=30))
    with pytest.raises(InputError, match=match):
        estimate_vix_link(good if spx is None else spx, good if vix is None else vix)


# --- files and validation -------------------------------------------------------------------------


def _toml_value(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return repr(value)


def write_market(path: Path, data: dict[str, Any]) -> Path:
    """A minimal TOML writer for market data (tables and arrays of tables of scalars)."""
    lines = [f"as_of = {_toml_value(data['as_of'])}"]
    for section in ("spx", "vix", "link"):
        if section not in data:
            continue
        lines.append(f"[{section}]")
        arrays = {}
        for key, value in data[section].items():
            if isinstance(value, list):
                arrays[key] = value
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        for key, items in arrays.items():
            for item in items:
                lines.append(f"[[{section}.{key}]]")
                lines.extend(f"{k} = {_toml_value(v)}" for k, v in item.items())
    path.write_text("\n".join(lines) + "\n")
    return path


def test_market_file_round_trips(tmp_path: Path) -> None:
    assert load_market(write_market(tmp_path / "m.toml", market_data())) == MARKET


def _bad(data: dict[str, Any], where: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    target = out
    *path, last = where.split(".")
    for part in path:
        target = target[part.split("[")[0]][int(part.split("[")[1][:-1])] if "[" in part else target[part]
    target[last] = value
    return out


@pytest.mark.parametrize(
    ("where", "value", "message"),
    [
        ("spx.smiles[0].a", -0.01, r"spx\.smiles\[0\]: gives negative variance"),
        ("spx.smiles[6].curvature", -0.3, r"spx\.smiles\[6\]: gives vol -0\.148 <= 0 at log-moneyness k = 0\.6"),
        ("spx.smiles[6].atm_vol", -0.1, r"spx\.smiles\[6\]\.atm_vol = -0\.1: Input should be greater than 0"),
        ("spx.smiles[1].rho", 1.2, r"spx\.smiles\[1\]\.rho = 1\.2: Input should be less than 1"),
        ("spx.spot", "5900", r"spx\.spot = '5900': Input should be a valid number"),
        ("spx.spot", 0.0, r"spx\.spot = 0\.0: Input should be greater than 0"),
        ("vix.futures[1].price", -18.2, r"vix\.futures\[1\]\.price = -18\.2: Input should be greater than 0"),
        ("vix.futures[0].option_vol", 0.0, r"vix\.futures\[0\]\.option_vol = 0\.0: Input should be greater than 0"),
        ("vix.futures[0].expiry", dt.date(2026, 11, 18), r"vix\.futures\[0\]\.expiry = 2026-11-18 is before as_of"),
        ("spx.smiles[0].expiry", dt.date(2026, 11, 20), r"spx\.smiles\[0\]\.expiry = 2026-11-20 has settled"),
        (
            "spx.smiles[1].expiry",
            dt.date(2026, 11, 27),
            r"spx: smiles: expiry 2026-11-27 \(pm settlement\) appears more than once",
        ),
        ("spx.smiles[0].model", "sabr", r"spx\.smiles\[0\].*'svi', 'quadratic'"),
        ("link.correlation", -1.5, r"link\.correlation = -1\.5: Input should be greater than or equal to -1"),
        ("spx.smiles[6].vol", 0.2, r"spx\.smiles\[6\]\.vol = 0\.2: unknown field; allowed: model, expiry, atm_vol, "),
        ("spx.colour", "red", r"spx\.colour = 'red': unknown field; allowed: spot, rate, div_yield, forwards, smiles"),
    ],
)
def test_bad_market_files_name_the_file_field_and_rule(tmp_path: Path, where: str, value: Any, message: str) -> None:
    path = write_market(tmp_path / "market.toml", _bad(market_data(), where, value))
    with pytest.raises(ConfigError, match=message) as info:
        load_market(path)
    assert str(info.value).startswith(str(path) + ": ")


def test_market_file_must_exist_and_be_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: no such file"):
        load_market(tmp_path / "nowhere.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("as_of = 2026-11-20T16:00:00\n[spx\nspot = 5900\n")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML: .*line 2"):
        load_market(broken)


def test_a_market_file_needs_smiles_and_futures(tmp_path: Path) -> None:
    data = market_data()
    data["spx"]["smiles"] = []
    data["vix"]["futures"] = []
    with pytest.raises(ConfigError) as info:
        load_market(write_market(tmp_path / "m.toml", data))
    assert "spx.smiles: Field required" in str(info.value)
    assert "vix.futures: Field required" in str(info.value)


def test_a_market_needs_at_least_one_smile_and_one_future() -> None:
    data = market_data()
    data["spx"]["smiles"] = []
    with pytest.raises(ValueError, match="at least 1 item"):
        Market.model_validate(data)


class _CountingDate(dt.date):
    """A date that counts its equality comparisons (validation keeps the object as given)."""

    comparisons = 0

    def __eq__(self, other: object) -> bool:
        _CountingDate.comparisons += 1
        return super().__eq__(other)

    __hash__ = dt.date.__hash__


def test_validating_many_smiles_is_linear_in_their_number() -> None:
    # 40,000 smiles took 27 s when each expiry was compared with every other (n² comparisons)
    n = 3000
    first = dt.date(2027, 1, 1).toordinal()
    smiles = [
        QuadraticSmile(expiry=_CountingDate.fromordinal(first + i), atm_vol=0.15, skew=0.0, curvature=0.0)
        for i in range(n)
    ]
    data = market_data()
    data["spx"]["smiles"] = smiles
    _CountingDate.comparisons = 0
    market = Market.model_validate(data)
    assert len(market.spx.smiles) == n
    assert _CountingDate.comparisons <= 10 * n
