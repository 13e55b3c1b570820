"""Option legs grouped into positions by expiry and strikes (alvh.book.grouping): condors, lone
credit spreads, broken-wing butterflies and unpaired legs in the core, debit spreads in the VIX
hedges; given groups kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from alvh.book import Book, group_legs

EXPIRY = dt.date(2026, 12, 4)


def legs(*rows: tuple[Any, ...], layer: str = "core", role: str = "core") -> pd.DataFrame:
    """A legs table from (instrument, right, strike, quantity[, group]) rows of one expiry."""
    frame = pd.DataFrame(
        [(layer, r[0], EXPIRY.isoformat(), r[1], r[2], r[3], r[4] if len(r) > 4 else None) for r in rows],
        columns=["layer", "instrument", "expiry", "right", "strike", "quantity", "group"],
    )
    return frame.assign(role=role)


def grouped(frame: pd.DataFrame) -> pd.DataFrame:
    """The legs with the group and rule :func:`group_legs` gives them."""
    book = Book.from_frame(frame, group="auto")
    found = group_legs(Book.from_frame(frame.assign(role="custom")).legs)
    pd.testing.assert_series_equal(book.legs["group"], found.group, check_names=False)
    return book.legs.assign(rule=found.rule)[["instrument", "right", "strike", "quantity", "group", "rule"]]


CONDOR = [("SPXW", "put", 5600.0, 2.0), ("SPXW", "put", 5650.0, -2.0), ("SPXW", "call", 6100.0, -2.0),
          ("SPXW", "call", 6150.0, 2.0)]  # fmt: skip


def test_a_condor_is_one_group_named_by_its_strikes() -> None:
    out = grouped(legs(*reversed(CONDOR)))
    assert out["group"].unique().tolist() == ["IC-SPXW-2026-12-04-5600-5650-6100-6150"]
    assert out["rule"].unique().tolist() == ["iron condor 5600/5650/6100/6150 × 2"]


def test_a_ladder_joins_the_innermost_spreads_first_and_keeps_sizes_apart() -> None:
    outer = [("SPXW", r, k + (-100 if r == "put" else 100), q) for _, r, k, q in CONDOR]
    other = [("SPXW", r, k + (-200 if r == "put" else 200), 3 * q) for _, r, k, q in CONDOR]
    out = grouped(legs(*outer, *CONDOR, *other))
    assert out["group"].tolist()[::4] == [
        "IC-SPXW-2026-12-04-5500-5550-6200-6250",
        "IC-SPXW-2026-12-04-5600-5650-6100-6150",
        "IC-SPXW-2026-12-04-5400-5450-6300-6350",
    ]
    assert (out.groupby("group")["quantity"].apply(lambda q: q.abs().max()).sort_values().tolist()) == [2, 2, 6]
    assert out.groupby("group").size().tolist() == [4, 4, 4]


def test_spreads_of_different_sizes_stay_apart_with_their_reason() -> None:
    frame = legs(*CONDOR[:2], ("SPXW", "call", 6100.0, -1.0), ("SPXW", "call", 6150.0, 1.0))
    out = grouped(frame)
    assert out["group"].tolist() == ["PS-SPXW-2026-12-04-5600-5650"] * 2 + ["CS-SPXW-2026-12-04-6100-6150"] * 2
    assert (
        out["rule"].tolist()
        == [
            "put credit spread 5600/5650 × 2: no call spread of this size to join",
        ]
        * 2
        + ["call credit spread 6100/6150 × 1: no put spread of this size to join"] * 2
    )


def test_a_broken_wing_butterfly_is_one_group() -> None:
    out = grouped(legs(("SPX", "put", 5700.0, 1.0), ("SPX", "put", 5650.0, -2.0), ("SPX", "put", 5550.0, 1.0)))
    assert out["group"].unique().tolist() == ["BWB-SPX-2026-12-04-put-5550-5650-5700"]
    assert out["rule"].unique().tolist() == ["broken-wing butterfly 5550/5650/5700 (1 : -2 : 1 × 1)"]


def test_legs_that_pair_with_nothing_are_one_group_per_right_each_with_its_reason() -> None:
    frame = legs(
        ("SPXW", "put", 5650.0, -10.0),  # its long put below is smaller
        ("SPXW", "put", 5600.0, 5.0),
        ("SPXW", "call", 6100.0, -1.0),  # a lone short call
        ("SPXW", "call", 6000.0, 1.0),  # a long call below a short one: not a credit spread
    )
    out = grouped(frame)
    assert (
        out["group"].tolist()
        == ["UNPAIRED-SPXW-2026-12-04-put-5600-5650"] * 2 + ["UNPAIRED-SPXW-2026-12-04-call-6000-6100"] * 2
    )
    assert out["rule"].tolist() == [
        "unpaired: no long put below 5650 of size 10; grouped with the other unpaired puts",
        "unpaired: no short put above 5600 of size 5; grouped with the other unpaired puts",
        "unpaired: no long call above 6100 of size 1; grouped with the other unpaired calls",
        "unpaired: no short call below 6000 of size 1; grouped with the other unpaired calls",
    ]


def test_given_groups_are_kept_and_a_taken_id_gets_a_number() -> None:
    frame = legs(*CONDOR, ("SPX", "put", 5600.0, -1.0, "IC-SPXW-2026-12-04-5600-5650-6100-6150"))
    out = grouped(frame)
    assert out["group"].tolist() == ["IC-SPXW-2026-12-04-5600-5650-6100-6150#2"] * 4 + [
        "IC-SPXW-2026-12-04-5600-5650-6100-6150"
    ]
    assert out["rule"].iloc[4] == "group given"


def test_spx_and_spxw_of_one_expiry_and_two_layers_group_apart() -> None:
    am = [("SPX", *leg[1:]) for leg in CONDOR]
    frame = pd.concat([legs(*CONDOR), legs(*am), legs(*CONDOR, layer="more")], ignore_index=True)
    out = grouped(frame)
    assert out["group"].tolist()[::4] == [
        "IC-SPXW-2026-12-04-5600-5650-6100-6150",
        "IC-SPX-2026-12-04-5600-5650-6100-6150",
        "IC-SPXW-2026-12-04-5600-5650-6100-6150#2",
    ]


def test_vix_options_pair_as_debit_spreads_and_a_lone_one_has_no_group() -> None:
    frame = legs(
        ("VIX", "call", 19.0, 40.0),
        ("VIX", "call", 25.0, -40.0),
        ("VIX", "put", 17.0, 20.0),
        ("VIX", "put", 15.0, -20.0),
        ("VIX", "call", 30.0, 5.0),
        ("VX", None, None, 2.0),
        role="L1_theta_anchor",
    )
    out = grouped(frame.assign(expiry="2026-12-16"))
    assert (
        out["group"].tolist()[:4] == ["VIX-call-spread-2026-12-16-19-25"] * 2 + ["VIX-put-spread-2026-12-16-17-15"] * 2
    )
    assert out["group"].iloc[4:].isna().all()
    assert out["rule"].tolist()[3:] == [
        "VIX put spread 17/15 × 20",
        "no group: no short call above 30 of size 5",
        "no group: not an option",
    ]


# --- property: condor ladders are recovered whatever the order of the legs ------------------------


@st.composite
def ladders(draw: st.DrawFn) -> tuple[pd.DataFrame, list[int]]:
    """Condor ladders on up to three expiries (each condor outside the one before, sizes drawn so
    that some repeat), the legs shuffled; with each leg's condor number."""
    rows, condor = [], []
    for e in range(draw(st.integers(1, 3))):
        expiry = (EXPIRY + dt.timedelta(days=7 * e)).isoformat()
        put, call = 5800.0, 6000.0
        for _ in range(draw(st.integers(1, 4))):
            size = float(draw(st.integers(1, 3)))
            gap, width = (5.0 * draw(st.integers(1, 20)) for _ in range(2))
            put, call = put - gap, call + gap
            for right, strike, quantity in (
                ("put", put - width, size),
                ("put", put, -size),
                ("call", call, -size),
                ("call", call + width, size),
            ):
                rows.append(("core", "SPXW", expiry, right, strike, quantity))
                condor.append(len(condor) // 4)
            put, call = put - width, call + width
    order = draw(st.permutations(range(len(rows))))
    frame = pd.DataFrame(
        [rows[i] for i in order], columns=["layer", "instrument", "expiry", "right", "strike", "quantity"]
    )
    return frame, [condor[i] for i in order]


@given(ladders())
def test_every_condor_of_a_ladder_is_found_in_any_order(case: tuple[pd.DataFrame, list[int]]) -> None:
    frame, condor = case
    groups = Book.from_frame(frame, group="auto").legs["group"].to_numpy(object)
    assert all(g.startswith("IC-") for g in groups)
    pairs = pd.DataFrame({"condor": condor, "group": groups}).drop_duplicates()
    assert len(pairs) == pairs["condor"].nunique() == pairs["group"].nunique()  # one group per condor
