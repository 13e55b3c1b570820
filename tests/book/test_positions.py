"""Books from broker positions (alvh.book.positions): the example book's positions as a broker
exports them, the layer rules and their overrides, the report, and every line refused with the
file, line, field, value and what is allowed (or, in skip mode, reported as not imported)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from alvh.book import LEG_COLUMNS, Role, import_positions
from alvh.data import example_book, example_market, example_positions_path
from alvh.exceptions import ConfigError, InputError
from alvh.risk.valuation import value_book

SAMPLE = example_positions_path()
AS_OF = dt.date(2026, 11, 20)
HEADER = "symbol,quantity,average_price"
KEY = ["layer", "instrument", "expiry", "right", "strike"]


def write(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "positions.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_the_sample_imports_as_the_example_book() -> None:
    imported = import_positions(SAMPLE, as_of=AS_OF)
    book, example = imported.book, example_book()
    assert book.name == "example_positions"  # the file name
    assert book.layers == example.layers  # core, L1, L2, L3 with the method's roles
    columns = [c for c in LEG_COLUMNS if c != "group"]
    got = book.legs[columns].sort_values(KEY, ignore_index=True)
    want = example.legs[columns].sort_values(KEY, ignore_index=True)
    pd.testing.assert_frame_equal(got, want)
    # the same positions: legs grouped alike, the same condor metrics and risk
    assert _positions(book.legs) == _positions(example.legs)
    market = example_market()
    a, b = value_book(book, market), value_book(example, market)
    assert a.core_units == b.core_units == 30.0
    pd.testing.assert_frame_equal(a.layers, b.layers)
    pd.testing.assert_frame_equal(a.condors.reset_index(drop=True), b.condors.reset_index(drop=True))
    pd.testing.assert_series_equal(a.total, b.total)


def _positions(legs: pd.DataFrame) -> set[frozenset[tuple[object, ...]]]:
    """The legs (by layer, instrument, expiry, right, strike) of each group."""
    return {frozenset(map(tuple, g[KEY].astype(object).to_numpy())) for _, g in legs.groupby("group")}


def test_the_report_says_how_each_line_was_read() -> None:
    report = import_positions(SAMPLE, as_of=AS_OF).report
    assert list(report.columns) == ["line", "symbol", "quantity", "instrument", "layer", "role", "group", "rule"]
    assert report["line"].tolist() == list(range(2, 19))
    first, spread, future = report.iloc[0], report.iloc[12], report.iloc[16]
    assert first.to_dict() == {
        "line": 2,
        "symbol": "SPXW  261127C06010000",
        "quantity": -10.0,
        "instrument": "SPXW",
        "layer": "core",
        "role": "core",
        "group": "IC-SPXW-2026-11-27-5705-5755-6010-6060",
        "rule": "SPXW call → core; iron condor 5705/5755/6010/6060 × 10",
    }
    assert (spread["layer"], spread["role"], spread["group"], spread["rule"]) == (
        "L1",
        "L1_theta_anchor",
        "VIX-call-spread-2026-12-16-19-25",
        "VIX call → L1; VIX call spread 19/25 × 40",
    )
    assert (future["symbol"], future["instrument"], future["layer"], future["rule"]) == (
        "VXMZ6",
        "VXM",
        "L2",
        "VXM future → L2; no group: not an option",
    )
    assert pd.isna(future["group"])


def test_es_and_mes_futures_import_as_delta_overlay_legs(tmp_path: Path) -> None:
    path = write(tmp_path, "ESZ6,-3,6010.25", "/MESH7,4,6055.5", "MESM27,1,")
    imported = import_positions(path, as_of=AS_OF)
    legs = imported.book.legs.set_index("source")
    assert legs["instrument"].tolist() == ["ES", "MES", "MES"]
    # the third Fridays of December 2026, March and June 2027
    assert legs["expiry"].tolist() == [
        pd.Timestamp("2026-12-18"),
        pd.Timestamp("2027-03-19"),
        pd.Timestamp("2027-06-18"),
    ]
    assert legs["quantity"].tolist() == [-3.0, 4.0, 1.0]
    assert legs["entry_price"].tolist()[:2] == [6010.25, 6055.5]
    assert pd.isna(legs.loc["line 4", "entry_price"])
    assert legs["multiplier"].tolist() == [50.0, 5.0, 5.0]
    assert legs["right"].isna().all() and legs["strike"].isna().all()
    assert (legs["layer"] == "L2").all() and (legs["role"] == Role.DELTA_OVERLAY.value).all()
    report = imported.report
    assert report["rule"].tolist() == [
        "ES future → L2; no group: not an option",
        "MES future → L2; no group: not an option",
        "MES future → L2; no group: not an option",
    ]
    assert report["role"].tolist() == ["L2_delta_overlay"] * 3
    assert report["group"].isna().all()


def test_symbols_in_every_accepted_form(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "spxw261204p05700000,-1,3.5",  # unpadded, lower case
        "SPXW  261204P05650000 ,1,",  # blank: no entry price
        "VIXW  261209C00020000,2,1.1",  # a weekly VIX option: instrument VIX
        "VXF7,1,18.2",  # one-digit year: the first January not expired by as_of
        "/VXG27,-1,18.9",
        "VXMZ2026,3,17.1",
        "SPX   261218C06200000,1,2.0",
        header=" Symbol , QUANTITY,Average_Price ",
    )
    legs = import_positions(path, as_of=AS_OF).book.legs.set_index("source")
    assert legs.loc["line 2", ["instrument", "right", "strike", "quantity"]].tolist() == ["SPXW", "put", 5700.0, -1.0]
    assert pd.isna(legs.loc["line 3", "entry_price"])
    assert legs.loc["line 4", ["instrument", "expiry"]].tolist() == ["VIX", pd.Timestamp("2026-12-09")]
    assert legs.loc[["line 5", "line 6", "line 7"], "instrument"].tolist() == ["VX", "VX", "VXM"]
    assert legs.loc[["line 5", "line 6", "line 7"], "expiry"].dt.date.tolist() == [
        dt.date(2027, 1, 20),
        dt.date(2027, 2, 17),
        dt.date(2026, 12, 16),
    ]
    assert legs.loc["line 8", "instrument"] == "SPX"
    assert legs["layer"].tolist() == ["core", "core", "core", "L1", "L2", "L2", "L2"]


def test_layer_role_and_group_columns_override_the_rules(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "VIX   261216C00019000,4,1.0,L3,,",  # a rule layer's name: its role
        "VIX   261216C00030000,-4,0.1,tail,outer,T1",
        "VXMZ6,1,17.0,tail,,",  # the role given on line 3
        "VIX   270120P00015000,5,1.0,custom,,",  # a role's name
        "SPXW  261204P05700000,-1,3.0,,,mine",
        header="symbol,quantity,average_price,layer,role,group",
    )
    imported = import_positions(path, as_of=AS_OF, name="overrides")
    book, report = imported.book, imported.report
    assert book.name == "overrides"
    assert [(layer.name, layer.role) for layer in book.layers] == [
        ("core", Role.CORE),
        ("L3", Role.ADAPTIVE),
        ("tail", Role.OUTER),
        ("custom", Role.CUSTOM),
    ]
    assert report["rule"].tolist() == [
        "layer column; no group: no short call above 19 of size 4",
        "layer and role columns; group column",
        "layer column; no group: not an option",
        "layer column; no group: no short put below 15 of size 5",
        "SPXW put → core; group column",
    ]
    assert pd.isna(report["group"].iloc[0]) and report["group"].iloc[1] == "T1"
    assert book.legs.loc[book.legs["layer"] == "core", "group"].tolist() == ["mine"]


def test_an_unpaired_core_leg_gets_its_own_group_and_the_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "SPXW  261204P05700000,-3,3.0")
    report = import_positions(path, as_of=AS_OF).report
    assert report["group"].tolist() == ["UNPAIRED-SPXW-2026-12-04-put-5700"]
    assert report["rule"].tolist() == [
        "SPXW put → core; unpaired: no long put below 5700 of size 3; grouped with the other unpaired puts"
    ]


# (the lines after the header, the message after "<file>: line 3: ")
LINE_ERRORS = [
    ("SPY   261204P00500000,1,1", "symbol = 'SPY   261204P00500000' is not allowed: the root 'SPY' is not an option a "
     "book holds; roots: SPX, SPXW, VIX, VIXW"),
    ("SPXW  261304P05700000,1,1", "symbol: 'SPXW  261304P05700000' is not an OCC option symbol: 261304 is not a date "
     "(YYMMDD)"),
    ("SPXW 5700 put,1,1", "symbol: 'SPXW 5700 put' is not an OCC option symbol: need root (1–6 letters), YYMMDD, C or "
     "P and the strike × 1000 in 8 digits, e.g. 'SPXW  261127P05600000'"),
    ("NQZ6,1,1", "symbol: 'NQZ6' is not a futures code: need a root (VX, VXM, ES, MES), a month letter "
     "(FGHJKMNQUVXZ) and a year in 1, 2 or 4 digits, e.g. 'VXF7' or 'ESZ26'"),
    ("ESZ6,1,0", "average_price = '0' is not allowed: > 0 for futures"),
    ("MESZ25,-2,6000", "symbol = 'MESZ25' is not allowed: it expired on 2025-12-19, before as_of (2026-11-20)"),
    (",1,1", "symbol is missing: an OCC option symbol or a futures code"),
    ("SPXW  261113P05700000,1,1", "symbol = 'SPXW  261113P05700000' is not allowed: it expired on 2026-11-13, before "
     "as_of (2026-11-20)"),
    ("VXX25,1,18", "symbol = 'VXX25' is not allowed: it expired on 2025-11-19, before as_of (2026-11-20)"),
    ("SPXW  261204P05650000,0,1", "quantity = '0' is not allowed: a whole number of contracts, not zero, negative for "
     "a short position, at most 1e+06 either way"),
    ("SPXW  261204P05650000,1.5,1", "quantity = '1.5' is not allowed: a whole number"),
    ("SPXW  261204P05650000,ten,1", "quantity = 'ten' is not allowed: a whole number"),
    ("SPXW  261204P05650000,,1", "quantity = '' is not allowed: a whole number"),
    ("SPXW  261204P05650000,-2000000,1", "quantity = '-2000000' is not allowed: a whole number"),
    ("SPXW  261204P05650000,inf,1", "quantity = 'inf' is not allowed: a whole number"),
    ("SPXW  261204P05650000,1,-0.5", "average_price = '-0.5' is not allowed: a number >= 0 (the entry price per unit, "
     "in index points), or blank"),
    ("SPXW  261204P05650000,1,n/a", "average_price = 'n/a' is not allowed: a number >= 0"),
    ("VXMZ6,1,0", "average_price = '0' is not allowed: > 0 for futures"),
    ("spxw261204p05700000,1,2", "symbol = 'spxw261204p05700000' is not allowed: the contract of line 2 again; list "
     "each contract once (the lots summed)"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message"), LINE_ERRORS)
def test_a_bad_line_is_named_with_its_field_value_and_rule(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "SPXW  261204P05700000,-1,3.0", line)
    with pytest.raises(InputError) as info:
        import_positions(path, as_of=AS_OF)
    assert str(info.value).startswith(f"{path}: line 3: {message}"), str(info.value)


OVERRIDE_ERRORS = [
    ("VXMZ6,1,17,,custom,", "role = 'custom' is not allowed without a layer: a role names the role of the line's "
     "layer"),
    ("VXMZ6,1,17,hedges,,", "layer = 'hedges' is not allowed without a role: add a role column (one of core, "
     "L1_theta_anchor, L2_delta_overlay, L3_adaptive, intermediate, outer, custom) or use a layer named after its "
     "role or one of core, L1, L2, L3"),
    ("VXMZ6,1,17,hedges,hedge,", "role = 'hedge' is not allowed: one of core, L1_theta_anchor, L2_delta_overlay, "
     "L3_adaptive, intermediate, outer, custom"),
    ("VXMZ6,1,17,core,custom,", "layer = 'core' with role 'custom' is not allowed: line 2 gave it role 'core' (one "
     "role per layer)"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "message"), OVERRIDE_ERRORS)
def test_a_bad_override_is_named(tmp_path: Path, line: str, message: str) -> None:
    path = write(tmp_path, "SPXW  261204P05700000,-1,3.0,,,", line, header=f"{HEADER},layer,role,group")
    with pytest.raises(InputError) as info:
        import_positions(path, as_of=AS_OF)
    assert str(info.value) == f"{path}: line 3: {message}"


@pytest.mark.parametrize(
    ("header", "lines", "message"),
    [
        ("symbol,quantity", [], "line 1: missing column 'average_price' (need symbol, quantity, average_price)"),
        (f"{HEADER},price", [], "line 1: unknown column 'price'; allowed: symbol, quantity, average_price, layer, "
         "role, group"),
        (f"{HEADER},Symbol", [], "line 1: column 'symbol' appears twice"),
        (HEADER, [], "no position to import (the file has a header and no position)"),
        (HEADER, ["", " , , "], "no position to import (the file has a header and no position)"),
    ],
)  # fmt: skip
def test_a_bad_file_is_named(tmp_path: Path, header: str, lines: list[str], message: str) -> None:
    path = write(tmp_path, *lines, header=header)
    with pytest.raises(InputError) as info:
        import_positions(path, as_of=AS_OF)
    assert str(info.value) == f"{path}: {message}"


def test_files_that_cannot_be_read_and_unknown_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"missing\.csv: no such file$"):
        import_positions(tmp_path / "missing.csv", as_of=AS_OF)
    ragged = write(tmp_path, "VXMZ6,1,17,extra")
    with pytest.raises(ConfigError, match=r"positions\.csv: not a readable CSV file"):
        import_positions(ragged, as_of=AS_OF)
    with pytest.raises(InputError, match=r"^on_invalid = 'ignore' is not allowed: 'raise' or 'skip'$"):
        import_positions(SAMPLE, as_of=AS_OF, on_invalid="ignore")  # type: ignore[arg-type]


def test_skip_mode_imports_the_good_lines_and_reports_the_others(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "SPXW  261204P05700000,-1,3.0",
        "",  # a blank line: no position, no report row, line numbers kept
        "SPY   261204P00500000,1,1",
        "SPXW  261204P05650000,1,2.0",
        "VXMZ6,0,17",
    )
    imported = import_positions(path, as_of=AS_OF, on_invalid="skip")
    assert imported.book.legs["source"].tolist() == ["line 2", "line 5"]
    assert imported.book.legs["group"].unique().tolist() == ["PS-SPXW-2026-12-04-5650-5700"]
    report = imported.report
    assert report["line"].tolist() == [2, 4, 5, 6]
    refused = report[report["layer"].isna()]
    assert refused["line"].tolist() == [4, 6]
    assert refused["rule"].str.startswith("not imported: ").all()
    assert refused["rule"].iloc[0].startswith("not imported: symbol = 'SPY   261204P00500000' is not allowed: the root")
    assert refused[["instrument", "role", "group"]].isna().all().all()
    assert report.loc[report["line"] == 6, "quantity"].tolist() == [0.0]


def test_skip_mode_with_nothing_importable_is_an_error_naming_the_first_reason(tmp_path: Path) -> None:
    path = write(tmp_path, "SPY   261204P00500000,1,1", "MESZ25,1,6000")
    with pytest.raises(InputError) as info:
        import_positions(path, as_of=AS_OF, on_invalid="skip")
    assert str(info.value).startswith(
        f"{path}: no position to import (not imported: symbol = 'SPY   261204P00500000' is not allowed: the root"
    )
