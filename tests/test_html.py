"""The shared HTML table: escaped cells, formatted numbers, flagged rows."""

import numpy as np
import pandas as pd
import pytest

from alvh._html import FLAG_STYLE, cell, table


def test_cells_are_escaped_and_numbers_formatted() -> None:
    assert cell("<script>") == "&lt;script&gt;"
    assert cell(np.int64(1234567)) == "1,234,567"
    assert cell(-1234.5678) == "-1,234.57"
    assert cell(0.123456, digits=4) == "0.1235"
    assert cell(np.nan) == "" and cell(None) == ""
    assert cell(np.bool_(True)) == "yes"


def test_table_flags_the_rows_asked_for() -> None:
    frame = pd.DataFrame({"rule": ["R-DELTA", "R-DTE"], "value": [0.2, 9.0]})
    page = table(frame, caption="rules & limits", flagged=[True, False])
    assert "<caption>rules &amp; limits</caption>" in page
    assert page.count("<tr") == 3  # the header and two rows
    flagged_row = page.split("<tbody>")[1].split("</tr>")[0]
    assert FLAG_STYLE in flagged_row and "R-DELTA" in flagged_row
    assert FLAG_STYLE not in page.split("</tr>")[2]


def test_headers_are_escaped_once() -> None:
    page = table(pd.DataFrame({"P&L <$>": [1.0]}, index=pd.Index(["core"], name="a&b")), index=True)
    assert "<th>a&amp;b</th><th>P&amp;L &lt;$&gt;</th>" in page


def test_flags_must_match_the_rows() -> None:
    with pytest.raises(ValueError, match="flagged has 1 entries for 2 rows"):
        table(pd.DataFrame({"a": [1, 2]}), flagged=[True])


def test_hidden_rows_are_counted_in_a_last_row() -> None:
    frame = pd.DataFrame({"layer": [f"L{i}" for i in range(3)], "vega": np.arange(3.0)})
    page = table(frame, hidden=1497, flagged=[i == 1 for i in range(3)], index=True)
    assert page.count("<tr") == 1 + 3 + 1
    assert '<td colspan="3">… 1,497 more rows</td>' in page
    assert FLAG_STYLE in page
    assert "more rows" not in table(frame)


def test_numbers_never_show_minus_zero() -> None:
    row = table(pd.DataFrame({"a": [-0.3], "b": [-0.0], "c": [float("nan")]}), digits=0).split("<tbody>")[1]
    assert "<td>0</td><td>0</td><td></td>" in row


def test_digits_by_column() -> None:
    frame = pd.DataFrame({"delta": [-123.456], "vega": [-3207.42], "gamma": [-3.3854]})
    row = table(frame, digits={"delta": 1, "vega": 0}).split("<tbody>")[1]
    assert "<td>-123.5</td><td>-3,207</td><td>-3.39</td>" in row


def test_headings_are_escaped_once() -> None:
    page = table(pd.DataFrame({"P&L $": [1.0]}, index=pd.Index(["a"], name="<layer>")), index=True)
    assert "<th>&lt;layer&gt;</th><th>P&amp;L $</th>" in page
