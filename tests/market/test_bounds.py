"""Plausibility bounds of a market file (alvh.market.bounds.BOUNDS): unit slips are refused with
the file, the field, the value, the unit and the allowed range; the README prints the same table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from alvh.data import example_market_path
from alvh.exceptions import ConfigError
from alvh.market.bounds import BOUNDS
from alvh.market.snapshot import load_market

README = Path(__file__).parents[2] / "README.md"


def edited_market(tmp_path: Path, old: str, new: str) -> Path:
    text = example_market_path().read_text()
    assert old in text
    path = tmp_path / "market.toml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "rate = 0.043",
            "rate = 4.3",
            "spx.rate = 4.3: a decimal rate per year is expected (0.043 for 4.3 %); allowed -0.05 … 0.25",
        ),
        (
            "option_vol = 0.95",
            "option_vol = 95.0",
            "vix.futures[0].option_vol = 95: a decimal vol is expected (0.95 for 95 %); allowed 0.05 … 5",
        ),
        (
            "atm_vol = 0.1400",
            "atm_vol = 14.0",
            "spx.smiles[6].atm_vol = 14: a decimal vol is expected (0.14 for 14 %); allowed 0.01 … 3",
        ),
        (
            "div_yield = 0.013",
            "div_yield = 1.3",
            "spx.div_yield = 1.3: a decimal yield per year is expected (0.013 for 1.3 %); allowed -0.05 … 0.2",
        ),
        (
            "spot = 16.0",
            "spot = 0.16",
            "vix.spot = 0.16: VIX in index points is expected (16.0); allowed 5 … 200",
        ),
        (
            "price = 17.15",
            "price = 1715.0",
            "vix.futures[0].price = 1715: a VIX future in index points is expected (17.15); allowed 5 … 200",
        ),
        (
            "a = -0.000824245",
            "a = 8.24245",
            "spx.smiles[0] ATM vol = 20.7327: a decimal vol, √(w(0)/T) of the SVI parameters is expected",
        ),
    ],
)
def test_unit_slips_in_a_market_file_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = edited_market(tmp_path, old, new)
    with pytest.raises(ConfigError) as info:
        load_market(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_a_huge_spx_spot_names_the_field_not_an_internal_strike(tmp_path: Path) -> None:
    path = edited_market(tmp_path, "spot = 5900.0", "spot = 1e8")
    with pytest.raises(
        ConfigError,
        match=re.escape(f"{path}: spx.spot = 1e+08: SPX in index points is expected (5900.0); allowed 100 … 100000"),
    ):
        load_market(path)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    path = edited_market(tmp_path, "rate = 0.043", "rate = 4.3")
    path.write_text(path.read_text().replace("option_vol = 0.86", "option_vol = 86.0"))
    with pytest.raises(ConfigError) as info:
        load_market(path)
    assert [line.split(":")[1].strip() for line in str(info.value).splitlines()] == [
        "spx.rate = 4.3",
        "vix.futures[1].option_vol = 86",
    ]


def test_the_readme_prints_the_bounds_table() -> None:
    text = README.read_text()
    for field, bound in BOUNDS.items():
        row = f"| `{field}` | {bound.unit} | {bound.low:g} … {bound.high:g} | {bound.typical} |"
        assert row in text, row
