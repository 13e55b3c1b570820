"""Golden values for the elementary and normal-distribution functions of the Rust core.

Each row: function, x (a double, written exactly with repr) and the function's value at that
exact double, computed with mpmath at 50 significant digits and written with 25 digits, so that
parsing it gives the correctly rounded double. Read by rust/core (elementary.rs, normal.rs).

Run from the repository root: python tests/golden/make_elementary.py
"""

import csv
import random
from pathlib import Path

import mpmath as mp

mp.mp.dps = 50
OUT = Path(__file__).with_name("elementary.csv")


def fmt(v: mp.mpf) -> str:
    if mp.isinf(v):
        return "inf" if v > 0 else "-inf"
    return mp.nstr(v, 25, min_fixed=0, max_fixed=0)


def main() -> None:
    rng = random.Random(20261121)
    rows: list[tuple[str, float, mp.mpf]] = []

    xs = [rng.uniform(-745.0, 709.7) for _ in range(400)]
    xs += [rng.uniform(-1.0, 1.0) for _ in range(200)]
    xs += [10 ** rng.uniform(-20, 0) * rng.choice([-1, 1]) for _ in range(200)]
    xs += [-745.0, -740.0, -708.5, -700.0, 709.0, 709.78]
    rows += [("exp", x, mp.exp(mp.mpf(x))) for x in xs]
    rows += [("expm1", x, mp.expm1(mp.mpf(x))) for x in xs if x < 709]

    xs = [10 ** rng.uniform(-300, 300) for _ in range(400)]
    xs += [1 + rng.uniform(-1e-3, 1e-3) for _ in range(200)]
    xs += [1 + 10 ** rng.uniform(-15, -1) * rng.choice([-1, 1]) for _ in range(200)]
    xs += [5e-324, 1e-310, 2.2250738585072014e-308, 0.7071067811865476, 1.4142135623730951]
    rows += [("ln", x, mp.log(mp.mpf(x))) for x in xs]

    xs = [rng.uniform(-38.6, 38.6) for _ in range(400)] + [rng.uniform(-3, 3) for _ in range(200)]
    rows += [("exp_minus_half_square", x, mp.exp(-(mp.mpf(x) ** 2) / 2)) for x in xs]

    xs = [rng.uniform(0, 30) for _ in range(400)] + [10 ** rng.uniform(-10, 12) for _ in range(300)]
    xs += [0.0, 1e-300, 0.5, 4.0, 26.5, 1e9, 1e10]
    rows += [("erfcx", x, mp.erfc(mp.mpf(x)) * mp.exp(mp.mpf(x) ** 2)) for x in xs]

    xs = [rng.uniform(-38.4, 8.3) for _ in range(600)] + [rng.uniform(-3, 3) for _ in range(200)]
    xs += [0.0, -1e-10, 1e-10, -37.5, -38.4]
    rows += [("norm_cdf", x, mp.ncdf(mp.mpf(x))) for x in xs]

    with OUT.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["function", "x", "value"])
        for name, x, v in rows:
            w.writerow([name, repr(float(x)), fmt(v)])
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
