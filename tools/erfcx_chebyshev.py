"""Chebyshev coefficients of (1 + 2x)·erfcx(x) on 0 ≤ x < ∞, for rust/core/src/normal.rs.

Shepherd & Laframboise (Math. Comp. 36, 1981) map x to y = (x − K)/(x + K) ∈ [−1, 1), on which
(1 + 2x)·erfcx(x) is smooth and bounded (1 at x = 0, 2/√π as x → ∞), so one Chebyshev series
covers the whole half-line. Coefficients are computed at 50 digits by interpolation at 120
Chebyshev nodes and truncated where they fall below 1e-18.

Run: python tools/erfcx_chebyshev.py  (prints the Rust constant)
"""

import mpmath as mp

mp.mp.dps = 50
K = mp.mpf(4)
NODES = 120


def scaled(y: mp.mpf) -> mp.mpf:
    if y == 1:
        return 2 / mp.sqrt(mp.pi)
    x = K * (1 + y) / (1 - y)
    return (1 + 2 * x) * mp.erfc(x) * mp.exp(x * x)


def main() -> None:
    angles = [mp.pi * (k + mp.mpf(1) / 2) / NODES for k in range(NODES)]
    values = [scaled(mp.cos(a)) for a in angles]
    coefficients = [
        2 * mp.fsum(v * mp.cos(j * a) for v, a in zip(values, angles)) / NODES for j in range(NODES)
    ]
    coefficients[0] /= 2
    last = max(j for j, c in enumerate(coefficients) if abs(c) > mp.mpf("1e-18"))
    print(f"const ERFCX_K: f64 = {mp.nstr(K, 20)};")
    print(f"const ERFCX_CHEBYSHEV: [f64; {last + 1}] = [")
    for c in coefficients[: last + 1]:
        print(f"    {mp.nstr(c, 25, min_fixed=0, max_fixed=0)},")
    print("];")


if __name__ == "__main__":
    main()
