"""The rules file: descriptions and sources, the shipped defaults, overrides, switches, validation
errors that name the file, the rule and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from alvh.exceptions import ConfigError
from alvh.method.rules import RuleId, RuleInputs, Rules, RuleStatus, default_rules, evaluate_rules, load_rules
from alvh.risk.valuation import value_book
from tests.method.rules.cases import (
    BOOK,
    DEFAULTS,
    MARKET,
    layer_sum,
    reference,
)


def test_every_rule_carries_its_description_and_source() -> None:
    for rule_id in Rules.ids():
        rule = DEFAULTS.by_id(rule_id)
        assert rule.description and rule.source
        assert rule.enabled or rule_id == RuleId.STRESS  # off until the experiment chooses its defaults
        assert "ALVH" in rule.source
        assert f"(docs/method.md, Rules: {rule_id})" in rule.source and "SPEC" not in rule.source


def test_shipped_defaults_are_the_spec_numbers() -> None:
    r = DEFAULTS
    assert r.delta.max_abs == 0.15
    assert (r.hedge_vega.min_share, r.hedge_vega.target_share, r.hedge_vega.max_share) == (0.40, 0.50, 0.60)
    assert r.sleeve_vega.max_drift == 12.0 and r.net_vega.tolerance == 0.08
    assert (r.vega_per_spread.min, r.vega_per_spread.max, r.vega_per_spread.alert) == (-0.15, 0.25, 0.40)
    assert r.theta.min_share_per_day == 0.0008
    assert (r.short_delta.min, r.short_delta.max) == (0.10, 0.15) and (r.dte.min, r.dte.max) == (7, 21)
    assert r.rsi_reduce.rsi_above == 65.0 and 0.30 <= r.rsi_reduce.cut_share <= 0.40
    assert r.l3.rsi_above == 68.0 and (r.skew_add.vix_rsi_below, r.skew_add.spx_rsi_above) == (35.0, 60.0)
    assert r.macd_tighten.tighten == 0.15
    assert sorted(abs(s) for s in r.recon.shifts) == [2.0, 2.0, 5.0, 5.0, 10.0, 10.0]


def _write(tmp_path: Path, text: str, name: str = "my_rules.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_user_file_overrides_one_number_and_keeps_the_rest(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "[R-HEDGE-VEGA]\ntarget_share = 0.45\n\n[R-SLEEVE-VEGA]\nenabled = true\n"))
    assert rules.hedge_vega.target_share == 0.45
    assert (rules.hedge_vega.min_share, rules.hedge_vega.max_share) == (0.40, 0.60)
    assert rules.hedge_vega.description == DEFAULTS.hedge_vega.description
    changed = {"hedge_vega", "sleeve_vega"}
    assert rules.model_dump(exclude=changed) == default_rules().model_dump(exclude=changed)
    assert rules.sleeve_vega.enabled and rules.sleeve_vega.max_drift == default_rules().sleeve_vega.max_drift
    # and the number is used: the sleeves' targets are shares of a 45 % hedge
    risk = value_book(BOOK, MARKET)
    sleeves = evaluate_rules(RuleInputs(BOOK, MARKET, risk), rules)[Rules.ids().index(RuleId.SLEEVE_VEGA)]
    core = layer_sum(BOOK, "spx_vega", core=True)
    l1 = reference(BOOK, MARKET).layers.loc["L1", "spx_vega"]
    assert sleeves.details["drifts"]["L1"] == pytest.approx((l1 - 0.6 * 0.45 * abs(core)) / 30, rel=1e-9)


def test_user_file_switches_a_rule_off(tmp_path: Path) -> None:
    rules = load_rules(_write(tmp_path, "[R-HEDGE-VEGA]\nenabled = false\n\n[R-THETA]\nmin_share_per_day = 0.5\n"))
    results = {r.id: r for r in evaluate_rules(RuleInputs(BOOK, MARKET, value_book(BOOK, MARKET)), rules)}
    assert results[RuleId.HEDGE_VEGA].status is RuleStatus.SKIPPED
    assert results[RuleId.THETA].status is RuleStatus.BREACH  # 1.9 %/day < 50 %/day
    assert results[RuleId.VEGA_PER_SPREAD].status is RuleStatus.WARN  # still on


def test_empty_user_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_rules(_write(tmp_path, "# nothing to change\n")) == default_rules()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("[R-GAMMA]\nmax_abs = 1.0\n", ["'R-GAMMA'", "unknown rule", "R-DELTA"], id="unknown-rule"),
        pytest.param(
            "[R-DELTA]\nmax_delta = 0.1\n", ["R-DELTA.max_delta", "unknown field", "max_abs"], id="unknown-field"
        ),
        pytest.param('[R-DELTA]\nmax_abs = "0.1"\n', ["R-DELTA.max_abs", "'0.1'", "number"], id="string-for-number"),
        pytest.param("[R-DTE]\nmin = 7.5\n", ["R-DTE.min", "7.5", "integer"], id="float-for-integer"),
        pytest.param('[R-L3]\nenabled = "yes"\n', ["R-L3.enabled", "boolean"], id="string-for-bool"),
        pytest.param('[R-DELTA]\nseverity = "fatal"\n', ["R-DELTA.severity", "'fatal'", "'warn'"], id="severity"),
        pytest.param('[R-ROLL]\nview = "both"\n', ["R-ROLL.view", "'both'", "'hedged'"], id="view"),
        pytest.param(
            "[R-CROWDED-BE]\ncover = 1.5\n", ["R-CROWDED-BE.cover", "1.5", "less than or equal to 1"], id="cover"
        ),
        pytest.param(
            "[R-NET-VEGA]\ntarget_per_condor = 0.0\n",
            ["R-NET-VEGA", "target_per_condor = 0", "non-zero"],
            id="zero-target",
        ),
        pytest.param(
            "[R-DTE]\nmin = 30\nmax = 10\n", ["R-DTE", "min = 30", "max = 10", "min <= max"], id="dte-min>max"
        ),
        pytest.param(
            "[R-SHORT-DELTA]\nmin = 0.2\n", ["R-SHORT-DELTA", "min = 0.2", "max = 0.15"], id="short-delta-min>max"
        ),
        pytest.param(
            "[R-VEGA-PER-SPREAD]\nmax = 0.5\n", ["R-VEGA-PER-SPREAD", "max = 0.5", "alert = 0.4"], id="alert<max"
        ),
        pytest.param(
            "[R-HEDGE-VEGA]\nmin_share = 0.55\n",
            ["R-HEDGE-VEGA", "min_share = 0.55", "target_share = 0.5", "min_share <= target_min <= target_share"],
            id="hedge-min>target",
        ),
        pytest.param(
            "[R-HEDGE-VEGA]\nmax_share = 1.5\n",
            ["R-HEDGE-VEGA.max_share", "1.5", "less than or equal to 1"],
            id="share",
        ),
        pytest.param(
            "[R-DELAYER]\nretracement = 1.2\n", ["R-DELAYER.retracement", "1.2", "less than or equal to 1"], id="share2"
        ),
        pytest.param(
            "[R-THETA]\nmin_share_per_day = -0.01\n", ["R-THETA.min_share_per_day", "-0.01", "greater"], id="negative"
        ),
        pytest.param("[R-DELTA]\nmax_abs = nan\n", ["R-DELTA.max_abs", "nan", "finite"], id="nan"),
        pytest.param(
            "[R-SLEEVE-VEGA.targets]\ncore = 0.5\n", ["R-SLEEVE-VEGA", "targets.core", "unknown role"], id="sleeve-role"
        ),
        pytest.param("[R-RECON]\nshifts = []\n", ["R-RECON.shifts", "at least 1"], id="no-shifts"),
        pytest.param("[R-RECON]\nshifts = [-5.0, inf]\n", ["R-RECON.shifts[1]", "inf", "finite"], id="inf-shift"),
        pytest.param(
            "[R-STRESS]\ntrim_below = 0.9\n",
            ["R-STRESS", "trim_below = 0.9, target = 0.9: need trim_below < target"],
            id="stress-trim>=target",
        ),
        pytest.param(
            "[R-STRESS]\npresets = ['2015-08-24', '1929-10-29']\n",
            ["R-STRESS", "unknown preset '1929-10-29'; presets: 1987-10-19, 2008-10-15"],
            id="stress-preset",
        ),
        pytest.param("[R-STRESS]\nspot_shocks = [-1.0]\n", ["R-STRESS.spot_shocks[0]", "greater than -1"], id="crash"),
        pytest.param("[R-STRESS]\nhorizons = [0.0]\n", ["R-STRESS.horizons[0]", "greater than 0"], id="horizon"),
        pytest.param("[R-STRESS]\nshortfall = 'median'\n", ["R-STRESS.shortfall", "'worst' or 'mean'"], id="shortfall"),
        pytest.param("R-DELTA = 0.1\n", ["R-DELTA = 0.1", "a rule is a table"], id="not-a-table"),
        pytest.param("[R-DELTA\nmax_abs = 0.1\n", ["not valid TOML", "line 1"], id="bad-toml"),
    ],
)
def test_bad_rules_files_name_the_file_rule_and_field(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    for part in expected:
        assert part in message, message


def test_missing_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nowhere\.toml: no such file"):
        load_rules(tmp_path / "nowhere.toml")


def test_overrides_in_memory_are_validated_too() -> None:
    with pytest.raises(ConfigError, match=r"^rules: R-DTE: min = 25, max = 21: need min <= max$"):
        DEFAULTS.with_overrides({RuleId.DTE: {"min": 25}})
    with pytest.raises(ConfigError, match="unknown rule 'R-NOPE'"):
        DEFAULTS.with_overrides({"R-NOPE": {}})
    with pytest.raises(ConfigError, match="unknown rule 'R-NOPE'"):
        DEFAULTS.by_id("R-NOPE")
    assert DEFAULTS.with_overrides({RuleId.DTE: {"max": 28}}).dte.max == 28
    assert DEFAULTS.dte.max == 21  # rules are immutable
