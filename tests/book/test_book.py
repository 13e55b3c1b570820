"""Books: legs, layers and roles; the example book; TOML, CSV and Parquet files, validated on load
with errors that name the file, the leg or row, the field and what is allowed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from alvh.book import LEG_COLUMNS, Book, Instrument, Layer, LayerSpec, Leg, Role, load_book
from alvh.book.instruments import LegKind
from alvh.data import example_book, example_market
from alvh.exceptions import ConfigError
from alvh.market.expiries import Settlement
from alvh.risk.valuation import METRICS, value_book
from tests.reference.book_reference import MULTIPLIER

MARKET = example_market()
AS_OF = MARKET.as_of.date()


# --- instruments and roles ----------------------------------------------------------------------


def test_multipliers_and_settlement_follow_the_contract_specs() -> None:
    # docs/method.md, Models: SPX/SPXW/VIX options 100, VX 1000, VXM 100, ES 50, MES 5; a variance swap's quantity
    # is its notional
    assert {i.value: i.multiplier for i in Instrument} == MULTIPLIER  # the reference's own table
    assert Instrument.SPX.settlement is Settlement.AM
    assert Instrument.SPXW.settlement is Settlement.PM
    assert {i for i in Instrument if i.settlement is Settlement.AM} == {
        Instrument.SPX,
        Instrument.VIX,
        Instrument.VX,
        Instrument.VXM,
        Instrument.ES,
        Instrument.MES,
    }
    assert {i for i in Instrument if i.is_option} == {Instrument.SPX, Instrument.SPXW, Instrument.VIX}
    # an S&P 500 future is not a VIX future: it takes none of the VIX-future paths
    assert {i for i in Instrument if i.is_spx_future} == {Instrument.ES, Instrument.MES}
    assert {i for i in Instrument if i.is_future} == {Instrument.VX, Instrument.VXM}
    assert not any(i.is_vix for i in (Instrument.ES, Instrument.MES))
    assert {i.leg_kind for i in (Instrument.ES, Instrument.MES)} == {LegKind.SPX_FUTURE}
    assert [r for r in Role if not r.is_hedge] == [Role.CORE]


def test_legs_table_is_normalised_from_leg_objects() -> None:
    book = Book.from_layers(
        "b",
        [
            Layer(
                "core",
                Role.CORE,
                (
                    Leg("spxw", dt.date(2026, 12, 4), -2, 5700.0, "Put", entry_price=12.0, group="g"),
                    Leg(Instrument.SPX, dt.date(2026, 12, 18), 1, 5500.0, "put"),
                ),
            ),
            Layer("hedge", "L2_delta_overlay", (Leg("VX", dt.date(2026, 12, 16), 3, entry_price=17.0),)),
        ],
    )
    legs = book.legs
    assert list(legs.columns) == [*LEG_COLUMNS, "source", "role", "multiplier"]
    assert legs["instrument"].tolist() == ["SPXW", "SPX", "VX"]
    assert legs["right"].iloc[:2].tolist() == ["put", "put"]
    assert pd.isna(legs["right"].iloc[2])
    assert legs["multiplier"].tolist() == [100.0, 100.0, 1000.0]
    assert legs["role"].tolist() == ["core", "core", "L2_delta_overlay"]
    assert legs["source"].tolist() == ["layers[0].legs[0]", "layers[0].legs[1]", "layers[1].legs[0]"]
    assert legs["expiry"].dtype.kind == "M"
    assert legs[["strike", "quantity", "entry_price"]].dtypes.eq(np.float64).all()
    assert np.isnan(legs["strike"].iloc[2])
    assert [layer.role for layer in book.layers] == [Role.CORE, Role.DELTA_OVERLAY]
    assert book.core_layers == ["core"]
    assert "core (core): 2" in repr(book)


def test_with_sizes_replaces_quantities_and_checks_only_them() -> None:
    book = example_book()
    n = len(book.legs)
    quantity, entry = book.legs["quantity"].to_numpy().copy(), book.legs["entry_price"].to_numpy().copy()
    quantity[0], entry[0] = 0.0, 5.0  # closed: leaves the book
    quantity[1] = -12.0
    resized = book.with_sizes(quantity, entry)
    assert len(resized.legs) == n - 1 and resized.legs.loc[0, "quantity"] == -12.0
    assert resized.layers == book.layers and len(book.legs) == n  # the original is unchanged
    with pytest.raises(ConfigError, match=r"one quantity and one entry price per leg \(17\)"):
        book.with_sizes(quantity[:-1], entry)
    bad = quantity.copy()
    bad[1] = np.nan
    with pytest.raises(
        ConfigError, match=r"layers\[0\]\.legs\[1\]\.quantity missing is not allowed: a non-zero number"
    ):
        book.with_sizes(bad, entry)
    future = int(np.flatnonzero(book.legs["instrument"].to_numpy(object) == "VXM")[0])
    cheap = entry.copy()
    cheap[future] = 0.0
    with pytest.raises(
        ConfigError, match=r"layers\[2\]\.legs\[0\]\.entry_price = 0\.0 is not allowed: > 0 for futures"
    ):
        book.with_sizes(quantity, cheap)


@pytest.mark.parametrize("blank", [None, "", "  "])
def test_a_leg_without_a_layer_is_named(blank: Any) -> None:
    frame = pd.DataFrame(
        {"layer": ["core", blank], "instrument": ["SPXW", "SPXW"], "expiry": ["2026-12-11"] * 2,
         "right": ["put", "put"], "strike": [5600.0, 5550.0], "quantity": [-1.0, 1.0]}
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"^legs: row 2\.layer is missing: every leg needs the name of its layer$"):
        Book.from_frame(frame)


def test_with_no_legs_the_new_book_has_its_own_table() -> None:
    book = example_book()
    same = book.with_legs([])
    same.legs.loc[0, "quantity"] = 99.0
    assert book.legs.loc[0, "quantity"] == 10.0


def test_with_legs_appends_to_layers_and_adds_new_ones() -> None:
    book = example_book()
    bigger = book.with_legs(
        [("L2", Leg("VXM", dt.date(2027, 1, 20), 5)), ("outer", Leg("VX", dt.date(2027, 3, 17), 1))],
        role_of_new_layers=Role.OUTER,
    )
    assert len(bigger.legs) == len(book.legs) + 2
    assert [layer.name for layer in bigger.layers] == ["core", "L1", "L2", "L3", "outer"]
    assert bigger.layers[-1].role is Role.OUTER
    assert bigger.legs["source"].iloc[-1] == "added[1]"
    assert len(book.legs) == 17  # unchanged


# --- the example book --------------------------------------------------------------------------------


def test_example_book_is_a_condor_ladder_with_the_spec_hedge_layers() -> None:
    book = example_book()
    assert [(layer.name, layer.role) for layer in book.layers] == [
        ("core", Role.CORE),
        ("L1", Role.THETA_ANCHOR),
        ("L2", Role.DELTA_OVERLAY),
        ("L3", Role.ADAPTIVE),
    ]
    legs = book.legs
    core = legs[legs["layer"] == "core"]
    assert set(core["instrument"]) == {"SPXW"}
    assert core.groupby("group").size().tolist() == [4, 4, 4]
    dte = sorted({(e.date() - AS_OF).days for e in core["expiry"]})
    assert dte == [7, 14, 21]
    for _, group in core.groupby("group"):
        condor = group.sort_values("strike")
        assert condor["right"].tolist() == ["put", "put", "call", "call"]
        assert condor["quantity"].tolist() == [10, -10, -10, 10]  # long wing, short, short, long wing
        assert np.diff(condor["strike"].to_numpy())[[0, 2]].tolist() == [50.0, 50.0]
        assert (condor["strike"] % 5 == 0).all()
    # L1: long VIX call spread (long the lower strike); L2: long VXM; L3: long VIX put spread (long the higher)
    l1 = legs[legs["layer"] == "L1"].sort_values("strike")
    assert l1[["instrument", "right"]].drop_duplicates().values.tolist() == [["VIX", "call"]]
    assert l1["quantity"].tolist() == [40, -40]
    l2 = legs[legs["layer"] == "L2"]
    assert l2["instrument"].tolist() == ["VXM"]
    assert l2["quantity"].tolist() == [10]
    l3 = legs[legs["layer"] == "L3"].sort_values("strike")
    assert l3[["instrument", "right"]].drop_duplicates().values.tolist() == [["VIX", "put"]]
    assert l3["quantity"].tolist() == [-20, 20]
    # the L1 spread expires after the FOMC meeting of 8–9 Dec 2026
    assert l1["expiry"].iloc[0].date() == dt.date(2026, 12, 16)


def test_example_book_entry_prices_are_the_example_markets_model_prices() -> None:
    risk = value_book(example_book(), MARKET)
    legs = risk.legs
    assert (legs["price"] - legs["entry_price"]).abs().max() <= 0.005 + 1e-12  # rounded to cents
    assert (risk.legs.loc[legs["instrument"] == "VXM", "price"] == 17.15).all()


# --- TOML files ---------------------------------------------------------------------------------


def _toml(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return repr(value)


def write_book(path: Path, layers: list[dict[str, Any]], *, name: str = "test book") -> Path:
    """A book TOML: ``layers`` = [{"name", "role", "legs": [{field: value}]}]."""
    lines = [f"name = {_toml(name)}"]
    for layer in layers:
        lines.append("[[layers]]")
        lines += [f"{k} = {_toml(v)}" for k, v in layer.items() if k != "legs"]
        for leg in layer.get("legs", []):
            lines.append("[[layers.legs]]")
            lines += [v if k == "raw" else f"{k} = {_toml(v)}" for k, v in leg.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


PUT = {"instrument": "SPXW", "expiry": dt.date(2026, 12, 4), "right": "put", "strike": 5700.0, "quantity": -1}
CORE = {"name": "core", "role": "core", "legs": [PUT, {**PUT, "strike": 5650.0, "quantity": 1}]}


def test_toml_book_loads_every_kind_of_leg(tmp_path: Path) -> None:
    legs = [
        {**PUT, "entry_price": 12.0, "group": "IC"},
        {"instrument": "SPX", "expiry": dt.date(2026, 12, 18), "right": "call", "strike": 6100.0, "quantity": 2},
        {"instrument": "VIX", "expiry": dt.date(2027, 1, 20), "right": "call", "strike": 22.0, "quantity": 30},
        {"instrument": "VX", "expiry": dt.date(2027, 2, 17), "quantity": -1, "entry_price": 19.0},
        {"instrument": "VXM", "expiry": dt.date(2026, 12, 16), "quantity": 4},
        {
            "instrument": "VARSWAP",
            "expiry": dt.date(2027, 1, 15),
            "strike": 16.5,
            "quantity": 25000.0,
            "start": dt.date(2026, 10, 16),
            "realized_vol": 13.2,
        },
    ]
    path = write_book(tmp_path / "book.toml", [{"name": "mixed", "role": "intermediate", "legs": legs}])
    book = load_book(path)
    assert book.name == "test book"
    assert book.legs["instrument"].tolist() == ["SPXW", "SPX", "VIX", "VX", "VXM", "VARSWAP"]
    assert book.legs["multiplier"].tolist() == [100.0, 100.0, 100.0, 1000.0, 100.0, 1.0]
    assert book.legs["start"].iloc[5] == pd.Timestamp("2026-10-16")
    assert book.legs["realized_vol"].iloc[5] == 13.2
    objects = Book.from_layers(
        "test book",
        [
            Layer(
                "mixed",
                "intermediate",
                (
                    Leg("SPXW", dt.date(2026, 12, 4), -1, 5700.0, "put", entry_price=12.0, group="IC"),
                    Leg("SPX", dt.date(2026, 12, 18), 2, 6100.0, "call"),
                    Leg("VIX", dt.date(2027, 1, 20), 30, 22.0, "call"),
                    Leg("VX", dt.date(2027, 2, 17), -1, entry_price=19.0),
                    Leg("VXM", dt.date(2026, 12, 16), 4),
                    Leg(
                        "VARSWAP",
                        dt.date(2027, 1, 15),
                        25000.0,
                        16.5,
                        start=dt.date(2026, 10, 16),
                        realized_vol=13.2,
                    ),
                ),
            )
        ],
    )
    columns = [c for c in LEG_COLUMNS if c != "group"]
    pd.testing.assert_frame_equal(book.legs[columns], objects.legs[columns])
    a, b = value_book(book, MARKET).legs[METRICS], value_book(objects, MARKET).legs[METRICS]
    pd.testing.assert_frame_equal(a, b, check_exact=True)


# (leg fields to change, the message expected after "<file>: ")
LEG_ERRORS = [
    ({"instrument": "SPY"}, r"layers\[0\]\.legs\[1\]\.instrument = 'SPY' is not allowed: one of SPX, SPXW, VIX, VX, "),
    ({"strike": 0.0}, r"layers\[0\]\.legs\[1\]\.strike = 0\.0 is not allowed: > 0 for options"),
    ({"strike": -5.0}, r"layers\[0\]\.legs\[1\]\.strike = -5\.0 is not allowed: > 0 for options"),
    ({"strike": "5700"}, r"layers\[0\]\.legs\[1\]\.strike = '5700': Input should be a valid number"),
    ({"raw": "strike = inf"}, r"layers\[0\]\.legs\[1\]\.strike = inf is not allowed: a finite number"),
    ({"right": None}, r"layers\[0\]\.legs\[1\]\.right missing is not allowed: 'call' or 'put' for options"),
    ({"right": "straddle"}, r"layers\[0\]\.legs\[1\]\.right = 'straddle' is not allowed: 'call' or 'put'"),
    ({"quantity": 0}, r"layers\[0\]\.legs\[1\]\.quantity = 0\.0 is not allowed: a non-zero number of contracts"),
    ({"quantity": True}, r"layers\[0\]\.legs\[1\]\.quantity = True: Input should be a valid number"),
    ({"quantity": "1"}, r"layers\[0\]\.legs\[1\]\.quantity = '1': Input should be a valid number"),
    ({"expiry": "2026-12-04"}, r"layers\[0\]\.legs\[1\]\.expiry = '2026-12-04': Input should be a valid date"),
    ({"entry_price": -1.0}, r"layers\[0\]\.legs\[1\]\.entry_price = -1\.0 is not allowed: >= 0"),
    ({"colour": "red"}, r"layers\[0\]\.legs\[1\]\.colour = 'red': unknown field; allowed: instrument, expiry, "),
    ({"start": dt.date(2026, 11, 1)}, r"layers\[0\]\.legs\[1\]\.start = .* is not allowed: absent except for var"),
    ({"realized_vol": 12.0}, r"layers\[0\]\.legs\[1\]\.realized_vol = 12\.0 is not allowed: absent except for var"),
    (
        {"instrument": "VX", "right": None, "strike": 18.0},
        r"layers\[0\]\.legs\[1\]\.strike = 18\.0 is not allowed: absent for futures",
    ),
    (
        {"instrument": "VXM", "right": "call", "strike": None},
        r"layers\[0\]\.legs\[1\]\.right = 'call' is not allowed: absent except for options",
    ),
    (
        {"instrument": "VX", "right": None, "strike": None, "entry_price": 0.0},
        r"layers\[0\]\.legs\[1\]\.entry_price = 0\.0 is not allowed: > 0 for futures",
    ),
    (
        {"instrument": "VARSWAP", "right": None, "strike": 18.0},
        r"layers\[0\]\.legs\[1\]\.start missing is not allowed: the start date of a variance swap",
    ),
    (
        {"instrument": "VARSWAP", "right": None, "strike": 18.0, "start": dt.date(2026, 12, 4)},
        r"layers\[0\]\.legs\[1\]\.start = .* is not allowed: before the expiry",
    ),
    (
        {"instrument": "VARSWAP", "right": None, "strike": 18.0, "start": AS_OF, "entry_price": 1.0},
        r"layers\[0\]\.legs\[1\]\.entry_price = 1\.0 is not allowed: absent for variance swaps",
    ),
    (
        {"instrument": "VARSWAP", "right": None, "start": AS_OF, "strike": 18.0, "realized_vol": -1.0},
        r"layers\[0\]\.legs\[1\]\.realized_vol = -1\.0 is not allowed: >= 0",
    ),
    ({"quantity": 1e308}, r"layers\[0\]\.legs\[1\]\.quantity = 1e\+308 is not allowed: at most 1e\+06 contracts"),
    (
        {"instrument": "VARSWAP", "right": None, "strike": 18.0, "start": AS_OF, "quantity": -2e9},
        r"layers\[0\]\.legs\[1\]\.quantity = -2000000000\.0 is not allowed: a variance swap's vega notional "
        r"of at most \$1e\+09 per vol point \(either sign\)",
    ),
]


@pytest.mark.parametrize(("change", "message"), LEG_ERRORS)
def test_bad_toml_legs_name_the_file_leg_field_and_rule(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    leg = {**PUT, **change}
    if "raw" in change:
        leg.pop(change["raw"].split(" = ")[0])
    leg = {k: v for k, v in leg.items() if v is not None}
    path = write_book(tmp_path / "book.toml", [{**CORE, "legs": [PUT, leg]}])
    with pytest.raises(ConfigError, match=message) as info:
        load_book(path)
    assert str(info.value).startswith(f"{path}: ")


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        ([{**CORE, "role": "hedge"}], r"layers\[0\]\.role = 'hedge' is not allowed: use one of core, L1_theta_anchor"),
        ([CORE, CORE], r"layer name 'core' is used twice"),
        ([{**CORE, "colour": "red"}], r"layers\[0\]\.colour = 'red': unknown field; allowed: name, role, legs"),
        ([], r": layers: Field required"),
    ],
)
def test_bad_toml_layers_are_named(tmp_path: Path, layers: list[dict[str, Any]], message: str) -> None:
    path = write_book(tmp_path / "book.toml", layers)
    with pytest.raises(ConfigError, match=message) as info:
        load_book(path)
    assert str(info.value).startswith(f"{path}: ")


def test_book_file_must_exist_parse_and_have_a_known_format(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.toml: no such file"):
        load_book(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text('[[layers]]\nname = "core"\n[[layers.legs]\n')
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML: .*\(at line 3"):
        load_book(broken)
    sheet = tmp_path / "book.xlsx"
    sheet.write_bytes(b"")
    with pytest.raises(ConfigError, match=r"book\.xlsx: unknown book format '\.xlsx'; use \.toml, \.csv or \.parquet"):
        load_book(sheet)


# --- bulk legs (CSV / Parquet) -----------------------------------------------------------------------


def random_legs(n: int, seed: int) -> pd.DataFrame:
    """``n`` random valid legs of every kind over the example market's expiries, in three layers
    (rows grouped by layer, as a book built from :class:`Layer` objects holds them)."""
    rng = np.random.default_rng(seed)
    spx_expiries = [s.expiry for s in MARKET.spx.smiles] + [AS_OF + dt.timedelta(days=d) for d in (3, 10, 45, 200)]
    vix_expiries = [f.expiry for f in MARKET.vix.futures]
    kind = rng.choice(["SPX", "SPXW", "VIX", "VX", "VXM", "VARSWAP"], n, p=[0.25, 0.35, 0.2, 0.05, 0.1, 0.05])
    vix = np.isin(kind, ["VIX", "VX", "VXM"])
    option = np.isin(kind, ["SPX", "SPXW", "VIX"])
    swap = kind == "VARSWAP"
    expiry = np.where(
        vix,
        np.array(vix_expiries, dtype=object)[rng.integers(0, len(vix_expiries), n)],
        np.array(spx_expiries, dtype=object)[rng.integers(0, len(spx_expiries), n)],
    )
    strike = np.where(kind == "VIX", rng.integers(10, 40, n), 5.0 * rng.integers(900, 1400, n)).astype(float)
    strike[swap] = rng.uniform(10.0, 30.0, swap.sum()).round(2)
    strike[~(option | swap)] = np.nan
    right = np.where(rng.random(n) < 0.5, "call", "put").astype(object)
    right[~option] = None
    quantity = rng.integers(1, 30, n) * np.where(rng.random(n) < 0.5, -1.0, 1.0)
    quantity[swap] *= 1000.0
    entry = np.where(rng.random(n) < 0.7, rng.uniform(0.5, 50.0, n).round(2), np.nan)
    entry[swap] = np.nan
    start = np.full(n, None, dtype=object)
    start[swap] = AS_OF - dt.timedelta(days=20)
    realized = np.where(swap, rng.uniform(8.0, 30.0, n).round(2), np.nan)
    group = np.array([f"g{i // 4}" for i in range(n)], dtype=object)
    frame = pd.DataFrame(
        {
            "layer": rng.choice(["core", "hedges", "overlay"], n, p=[0.5, 0.3, 0.2]),
            "instrument": kind,
            "expiry": expiry,
            "right": right,
            "strike": strike,
            "quantity": quantity,
            "entry_price": entry,
            "group": group,
            "start": start,
            "realized_vol": realized,
        }
    )
    return frame.sort_values("layer", kind="stable", ignore_index=True)


ROLES = {"core": Role.CORE, "hedges": Role.THETA_ANCHOR, "overlay": Role.DELTA_OVERLAY}


def _from_leg_objects(frame: pd.DataFrame) -> Book:
    layers: dict[str, list[Leg]] = {}
    for row in frame.itertuples(index=False):

        def value(x: Any) -> Any:
            return None if x is None or (isinstance(x, float) and np.isnan(x)) else x

        layers.setdefault(row.layer, []).append(
            Leg(
                instrument=row.instrument,
                expiry=row.expiry,
                quantity=float(row.quantity),
                strike=value(row.strike),
                right=value(row.right),
                entry_price=value(row.entry_price),
                group=value(row.group),
                start=value(row.start),
                realized_vol=value(row.realized_vol),
            )
        )
    return Book.from_layers("objects", [Layer(name, ROLES[name], tuple(legs)) for name, legs in layers.items()])


def _same_valuation(loaded: Book, objects: Book) -> None:
    a, b = value_book(loaded, MARKET), value_book(objects, MARKET)
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in objects.layers]
    pd.testing.assert_frame_equal(a.legs[METRICS], b.legs[METRICS], check_exact=True)
    pd.testing.assert_frame_equal(a.layers, b.layers, check_exact=True)
    pd.testing.assert_frame_equal(a.condors, b.condors, check_exact=True)


def test_bulk_csv_book_values_like_the_same_leg_objects(tmp_path: Path) -> None:
    frame = random_legs(3000, seed=11)
    path = tmp_path / "legs.csv"
    frame.to_csv(path, index=False)
    book = load_book(path, roles=ROLES)
    assert book.name == "legs"
    assert len(book.legs) == 3000
    assert book.legs["source"].iloc[41] == "row 42"
    _same_valuation(book, _from_leg_objects(frame))


def test_bulk_parquet_book_values_like_the_same_leg_objects(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    frame = random_legs(3000, seed=12)
    frame["expiry"] = pd.to_datetime(frame["expiry"])
    path = tmp_path / "legs.parquet"
    frame.to_parquet(path, index=False)
    book = load_book(path, roles=ROLES)
    frame["expiry"] = frame["expiry"].dt.date
    _same_valuation(book, _from_leg_objects(frame))


def test_csv_layer_roles_come_from_roles_the_role_column_or_the_name(tmp_path: Path) -> None:
    path = tmp_path / "legs.csv"
    frame = random_legs(50, seed=1)
    frame.assign(role=frame["layer"].map({"core": None, "hedges": "L1_theta_anchor", "overlay": "custom"})).to_csv(
        path, index=False
    )
    book = load_book(path)  # core by its name, the others by the role column
    assert {layer.name: layer.role for layer in book.layers} == {
        "core": Role.CORE,
        "hedges": Role.THETA_ANCHOR,
        "overlay": Role.CUSTOM,
    }
    assert load_book(path, roles={"hedges": "L1_theta_anchor"}).layers == book.layers
    assert load_book(path, roles={"hedges": Role.OUTER}).layers[1] == LayerSpec("hedges", Role.OUTER)  # roles= first
    with pytest.raises(ConfigError, match=r"roles\['hedges'\] = 'hedge' is not allowed: use one of core"):
        load_book(path, roles={"hedges": "hedge"})


def test_a_csv_layer_without_a_role_is_refused_not_made_custom(tmp_path: Path) -> None:
    path = tmp_path / "legs.csv"
    random_legs(50, seed=1).to_csv(path, index=False)
    with pytest.raises(ConfigError) as info:
        load_book(path)
    assert str(info.value) == (
        f"{path}: layer 'hedges' has no role: give it in a role column or roles= (one of core, L1_theta_anchor, "
        "L2_delta_overlay, L3_adaptive, intermediate, outer, custom; custom for none of the method's), or name the "
        "layer after its role"
    )
    assert [layer.role for layer in load_book(path, roles=ROLES).layers] == list(ROLES.values())


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["core", "core", "outer"], r"row 3\.role = 'outer' is not allowed: layer 'core' already has role 'core'"),
        (["hedge", "hedge", "hedge"], r"layer 'core': role = 'hedge' is not allowed: use one of core, L1_theta"),
    ],
)
def test_a_role_column_names_one_valid_role_per_layer(roles: list[str], message: str) -> None:
    frame = CSV.assign(role=roles, group="g")
    with pytest.raises(ConfigError, match=f"^legs: {message}"):
        Book.from_frame(frame)


def _example_legs_csv(tmp_path: Path, columns: list[str]) -> Path:
    legs = example_book().legs
    path = tmp_path / "example.csv"
    legs[columns].assign(expiry=legs["expiry"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


EXAMPLE_ROLES = {layer.name: layer.role for layer in example_book().layers}


def test_a_csv_of_the_example_book_without_groups_is_refused(tmp_path: Path) -> None:
    # issue 13: this file loaded as 120 one-leg condor units (instead of 30): a $35M margin
    path = _example_legs_csv(tmp_path, [c for c in LEG_COLUMNS if c not in ("group", "start", "realized_vol")])
    with pytest.raises(ConfigError) as info:
        load_book(path, roles=EXAMPLE_ROLES)
    assert str(info.value) == (
        f"{path}: row 1.group is missing: the SPX options of core layer 'core' need the id of their position "
        "(condor metrics are per group); add a group column, load with group='auto' to group them by expiry and "
        "strikes, or import broker positions with `alvh book import`"
    )


def test_group_auto_groups_the_example_books_condors_as_written(tmp_path: Path) -> None:
    path = _example_legs_csv(tmp_path, [c for c in LEG_COLUMNS if c not in ("group", "start", "realized_vol")])
    book = load_book(path, roles=EXAMPLE_ROLES, group="auto")
    example = example_book()
    assert value_book(book, MARKET).core_units == value_book(example, MARKET).core_units == 30.0
    # the same partition of the legs into positions, under ids that name the strikes
    assert (
        book.legs.groupby("group", sort=False).size().tolist()
        == example.legs.groupby("group", sort=False).size().tolist()
    )
    assert book.legs["group"].iloc[:4].unique().tolist() == ["IC-SPXW-2026-11-27-5705-5755-6010-6060"]
    assert book.legs.loc[book.legs["layer"] == "L2", "group"].isna().all()  # a future has no group
    pd.testing.assert_frame_equal(
        value_book(book, MARKET).condors.reset_index(drop=True),
        value_book(example, MARKET).condors.reset_index(drop=True),
    )


def test_group_auto_keeps_given_groups_and_refuses_other_words(tmp_path: Path) -> None:
    path = _example_legs_csv(tmp_path, [c for c in LEG_COLUMNS if c not in ("start", "realized_vol")])
    given = load_book(path, roles=EXAMPLE_ROLES, group="auto")
    assert given.legs["group"].fillna("").tolist() == example_book().legs["group"].fillna("").tolist()
    with pytest.raises(ConfigError, match=r"^group = 'strikes' is not allowed: 'given' or 'auto'$"):
        load_book(path, roles=EXAMPLE_ROLES, group="strikes")  # type: ignore[arg-type]


def _csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return path


CSV = pd.DataFrame(
    {
        "layer": ["core", "core", "core"],
        "instrument": ["SPXW", "SPXW", "VX"],
        "expiry": ["2026-12-04", "2026-12-04", "2026-12-16"],
        "right": ["put", "call", None],
        "strike": [5700.0, 6100.0, None],
        "quantity": [-1.0, -1.0, 2.0],
    }
)


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("colour", ["red"] * 3, r"unknown column 'colour'; allowed: layer, instrument, expiry, right, strike, qua"),
        ("strike", [5700.0, "abc", None], r"row 2\.strike = 'abc' is not allowed: a number"),
        ("strike", [5700.0, -6100.0, None], r"row 2\.strike = -6100\.0 is not allowed: > 0 for options"),
        ("quantity", [1.0, 0.0, 2.0], r"row 2\.quantity = 0\.0 is not allowed: a non-zero number of contracts"),
        ("quantity", [1.0, None, 2.0], r"row 2\.quantity missing is not allowed: a non-zero number of contracts"),
        ("instrument", ["SPXW", "SPXW", "UX"], r"row 3\.instrument = 'UX' is not allowed: one of SPX, SPXW, VIX"),
        ("expiry", ["2026-12-04", "04/12/2026", "2026-12-16"], r"row 2\.expiry = '04/12/2026' is not allowed: a date"),
        ("right", ["put", None, None], r"row 2\.right missing is not allowed: 'call' or 'put' for options"),
        # dates pandas would guess from the first row: only YYYY-MM-DD is a date
        (
            "expiry",
            ["12/04/2026", "12/04/2026", "12/16/2026"],
            r"row 1\.expiry = '12/04/2026' is not allowed: a date \(YYYY-MM-DD\)$",
        ),
        ("expiry", ["20261204", "20261204", "20261216"], r"row 1\.expiry = '20261204' is not allowed: a date"),
        (
            "quantity",
            [1.0, 1e308, 2.0],
            r"row 2\.quantity = 1e\+308 is not allowed: at most 1e\+06 contracts \(either sign\)$",
        ),
        ("quantity", [1.0, -2e6, 2.0], r"row 2\.quantity = -2000000\.0 is not allowed: at most 1e\+06 contracts"),
    ],
)
def test_bad_csv_rows_name_the_file_row_field_and_rule(
    tmp_path: Path, column: str, values: list[Any], message: str
) -> None:
    path = _csv(tmp_path, CSV.assign(**{column: values}))
    with pytest.raises(ConfigError, match=message) as info:
        load_book(path)
    assert str(info.value).startswith(f"{path}: ")


def test_csv_without_a_required_column_is_refused(tmp_path: Path) -> None:
    path = _csv(tmp_path, CSV.drop(columns="quantity"))
    with pytest.raises(ConfigError, match=r"bad\.csv: missing column 'quantity' \(need layer, instrument, expiry"):
        load_book(path)


def test_from_frame_names_the_source_and_row() -> None:
    with pytest.raises(ConfigError, match=r"^my legs: row 3\.strike = 5\.0 is not allowed: absent for futures$"):
        Book.from_frame(CSV.assign(strike=[5700.0, 6100.0, 5.0]), source="my legs")


def test_a_leg_in_an_unknown_layer_is_named() -> None:
    frame = pd.DataFrame(
        {"layer": ["core", "L9"], "instrument": ["SPXW", "SPXW"], "expiry": ["2026-12-11"] * 2,
         "right": ["put", "put"], "strike": [5600.0, 5550.0], "quantity": [-1.0, 1.0]}
    )  # fmt: skip
    with pytest.raises(ConfigError, match=r"row 2\.layer = 'L9' is not allowed: one of the book's layers \(core, L1\)"):
        Book(
            "b",
            [LayerSpec("core", Role.CORE), LayerSpec("L1", Role.THETA_ANCHOR)],
            frame.assign(source=["row 1", "row 2"]),
        )
