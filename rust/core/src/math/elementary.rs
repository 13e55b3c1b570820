//! Branch-free `exp` and `ln` that LLVM can vectorise, accurate to about one ulp.
//!
//! The standard library's `f64::exp`/`f64::ln` call the platform libm one element at a time,
//! which stops the kernels' loops from vectorising; these versions use only arithmetic, bit
//! operations and selects.
//!
//! * `exp` (and e^x − 1 beside it): Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, with ln2 split in two parts so that
//!   k·ln2_hi is exact; e^r by its Taylor series to degree 13 (truncation < 5e-18 relative); the
//!   scale 2^k applied in two halves so that subnormal results are rounded once.
//! * `ln`: x = 2^k·m with m ∈ [√½, √2); ln m = 2·atanh(s) with s = (m−1)/(m+1), written as
//!   f − f²/2 + s·(f²/2 + R(s²)) (the fdlibm arrangement, which keeps the result accurate near
//!   m = 1), R being the atanh Taylor series to s²⁰ (truncation < 1e-19 relative).
//!
//! Both are checked against 40-digit values in `tests/golden/elementary.csv`.

use crate::runtime::dispatch::Arith;

const LOG2_E: f64 = std::f64::consts::LOG2_E;
// ln 2 split so that k·LN2_HI is exact for |k| < 2^11 (the fdlibm split).
const LN2_HI: f64 = 6.931_471_803_691_238_164_90e-01;
const LN2_LO: f64 = 1.908_214_929_270_587_700_02e-10;
/// 1.5·2^52: adding it rounds a double of magnitude < 2^51 to an integer held in the low bits.
const ROUND_SHIFT: f64 = 6_755_399_441_055_744.0;
/// Above this, e^x overflows.
const EXP_OVERFLOW: f64 = 709.782_712_893_383_973_096;
/// Below this, e^x rounds to zero.
const EXP_UNDERFLOW: f64 = -745.133_219_101_941_108_420;
/// Beyond ±this, e^(−a²/2) is 0 while a² is still finite.
const SQUARE_LIMIT: f64 = 1e150;

/// 1/n! for n = 0..=13.
const INVERSE_FACTORIALS: [f64; 14] = [
    1.0,
    1.0,
    0.5,
    1.666_666_666_666_666_6e-1,
    4.166_666_666_666_666_6e-2,
    8.333_333_333_333_333e-3,
    1.388_888_888_888_889e-3,
    1.984_126_984_126_984e-4,
    2.480_158_730_158_730_2e-5,
    2.755_731_922_398_589e-6,
    2.755_731_922_398_589e-7,
    2.505_210_838_544_172e-8,
    2.087_675_698_786_81e-9,
    1.605_904_383_682_161_3e-10,
];

/// e^x. NaN in, NaN out; +∞ above 709.78, 0 below −745.13.
#[inline(always)]
pub fn exp<A: Arith>(x: f64) -> f64 {
    exp_and_expm1::<A>(x).0
}

/// (e^x, e^x − 1), the second accurate to about one ulp even for tiny |x| (where e^x − 1 would
/// cancel): with x = k·ln2 + r and e^r = 1 + r·q(r), e^x − 1 = (2^k − 1) + 2^k·r·q(r).
#[inline(always)]
pub fn exp_and_expm1<A: Arith>(x: f64) -> (f64, f64) {
    // Clamp for the reduction only (NaN passes through clamp).
    let clamped = x.clamp(EXP_UNDERFLOW, EXP_OVERFLOW);
    let shifted = A::mul_add(clamped, LOG2_E, ROUND_SHIFT);
    let k = shifted - ROUND_SHIFT;
    let r = A::mul_add(-k, LN2_LO, A::mul_add(-k, LN2_HI, clamped));
    // q(r) = Σ r^(j−1)/j!, so that e^r = 1 + r·q(r).
    let mut q = INVERSE_FACTORIALS[13];
    for &c in INVERSE_FACTORIALS[1..13].iter().rev() {
        q = A::mul_add(q, r, c);
    }
    let p = A::mul_add(r, q, 1.0);
    // k as an integer: the shift put it in the low mantissa bits of `shifted`.
    let k_int = shifted.to_bits() as i64 - ROUND_SHIFT.to_bits() as i64;
    let k_half = k_int >> 1;
    let scale_a = f64::from_bits(((k_half + 1023) as u64) << 52);
    let scale_b = f64::from_bits(((k_int - k_half + 1023) as u64) << 52);
    let y = p * scale_a * scale_b;
    let value = if x > EXP_OVERFLOW {
        f64::INFINITY
    } else if x < EXP_UNDERFLOW {
        0.0
    } else {
        y
    };
    // e^x − 1 = (2^k − 1) + 2^k·r·q(r): 2^k − 1 is exact for moderate k, and for large k the −1
    // no longer matters.
    let scale = scale_a * scale_b;
    let minus_one = if k.abs() < 60.0 { A::mul_add(scale, r * q, scale - 1.0) } else { value - 1.0 };
    (value, minus_one)
}

/// atanh series coefficients 2/(2j+1), j = 1..=10, for R(z) = Σ 2z^j/(2j+1), z = s².
const ATANH_COEFFICIENTS: [f64; 10] = [
    2.0 / 3.0,
    2.0 / 5.0,
    2.0 / 7.0,
    2.0 / 9.0,
    2.0 / 11.0,
    2.0 / 13.0,
    2.0 / 15.0,
    2.0 / 17.0,
    2.0 / 19.0,
    2.0 / 21.0,
];

/// ln x. ln 0 = −∞, ln of a negative number or NaN is NaN, ln ∞ = ∞; subnormals are exact inputs.
#[inline(always)]
pub fn ln<A: Arith>(x: f64) -> f64 {
    let is_subnormal = x < f64::MIN_POSITIVE;
    let scaled = if is_subnormal { x * 18_014_398_509_481_984.0 } else { x }; // 2^54
    let bits = scaled.to_bits();
    // Shift the exponent so that the mantissa lands in [√½, √2) (0x3fe6a09e… is √½).
    let adjusted = bits.wrapping_add(0x3ff0_0000_0000_0000 - 0x3fe6_a09e_667f_3bcd);
    let exponent = ((adjusted >> 52) as i64 & 0x7ff) - 1023 - if is_subnormal { 54 } else { 0 };
    let mantissa_bits = (adjusted & 0x000f_ffff_ffff_ffff).wrapping_add(0x3fe6_a09e_667f_3bcd);
    let m = f64::from_bits(mantissa_bits);
    let f = m - 1.0;
    let half_f_squared = 0.5 * f * f;
    let s = f / (2.0 + f);
    let z = s * s;
    let mut series = ATANH_COEFFICIENTS[9];
    for &c in ATANH_COEFFICIENTS[..9].iter().rev() {
        series = A::mul_add(series, z, c);
    }
    let r = series * z;
    let k = exponent as f64;
    let y = A::mul_add(k, LN2_HI, (A::mul_add(s, half_f_squared + r, k * LN2_LO) - half_f_squared) + f);
    if x > 0.0 && x < f64::INFINITY {
        y
    } else if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        f64::INFINITY
    } else {
        f64::NAN
    }
}

/// Knuth's TwoSum: (s, e) with s = fl(a + b) and a + b = s + e exactly.
#[inline(always)]
pub fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let b_virtual = s - a;
    let a_virtual = s - b_virtual;
    (s, (a - a_virtual) + (b - b_virtual))
}

/// e^(−a²/2) with a² formed exactly (a² = hi + lo), so that the only error is exp's own rounding.
#[inline(always)]
pub fn exp_minus_half_square<A: Arith>(a: f64) -> f64 {
    // Beyond ±1e150 the result is 0 anyway; clamping keeps a² and its rounding error finite
    // (an infinite a² would make the correction 0·∞ = NaN). NaN stays NaN.
    let a = a.clamp(-SQUARE_LIMIT, SQUARE_LIMIT);
    let hi = a * a;
    let lo = A::square_error(a, hi);
    let e = exp::<A>(-0.5 * hi);
    A::mul_add(e, -0.5 * lo, e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::read_golden;
    use crate::runtime::dispatch::{Fused, Separate};

    fn check<F: Fn(f64) -> f64>(name: &str, f: F, max_ulp: f64) {
        let rows = read_golden("elementary.csv");
        let mut worst = (0.0f64, 0.0f64);
        let mut count = 0;
        for row in rows.iter().filter(|r| r.text("function") == name) {
            let x = row.num("x");
            let expected = row.num("value");
            let got = f(x);
            let err = if expected == 0.0 || !expected.is_finite() {
                assert_eq!(got, expected, "{name}({x:e})");
                0.0
            } else {
                ((got - expected) / expected.abs().max(f64::MIN_POSITIVE)).abs() / f64::EPSILON
            };
            if err > worst.0 {
                worst = (err, x);
            }
            count += 1;
        }
        assert!(count > 100, "{name}: only {count} golden rows");
        assert!(worst.0 <= max_ulp, "{name}: worst error {} eps at x = {:e}", worst.0, worst.1);
    }

    #[test]
    fn exp_matches_golden_values() {
        check("exp", exp::<Fused>, 1.0);
        check("exp", exp::<Separate>, 1.0);
    }

    #[test]
    fn expm1_matches_golden_values() {
        check("expm1", |x| exp_and_expm1::<Fused>(x).1, 1.0);
        check("expm1", |x| exp_and_expm1::<Separate>(x).1, 1.0);
    }

    #[test]
    fn ln_matches_golden_values() {
        check("ln", ln::<Fused>, 1.0);
        check("ln", ln::<Separate>, 1.0);
    }

    #[test]
    fn exp_minus_half_square_is_zero_far_out_and_keeps_nan() {
        for a in [1e160, -1e200, f64::MAX, f64::INFINITY] {
            assert_eq!(exp_minus_half_square::<Fused>(a), 0.0, "{a:e}");
            assert_eq!(exp_minus_half_square::<Separate>(a), 0.0, "{a:e}");
        }
        assert!(exp_minus_half_square::<Fused>(f64::NAN).is_nan());
    }

    #[test]
    fn exp_minus_half_square_matches_golden_values() {
        check("exp_minus_half_square", exp_minus_half_square::<Fused>, 1.5);
        check("exp_minus_half_square", exp_minus_half_square::<Separate>, 1.5);
    }

    #[test]
    fn two_sum_is_exact() {
        // (a, b, fl(a + b), a + b − fl(a + b)), the last from exact rational arithmetic.
        let cases = [
            (1.0, 1e-20, 1.0, 1e-20),
            (1e16, -1.0, 1e16, -1.0),
            (0.1, 0.2, 0.30000000000000004, -2.7755575615628914e-17),
            (-3.0, 3.0, 0.0, 0.0),
            (1e308, 1e292, 1.0000000000000002e308, -9.958403095347198e291),
        ];
        for (a, b, sum, error) in cases {
            assert_eq!(two_sum(a, b), (sum, error), "two_sum({a:e}, {b:e})");
        }
    }

    #[test]
    fn special_values() {
        assert!(exp::<Fused>(f64::NAN).is_nan());
        assert_eq!(exp::<Fused>(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp::<Fused>(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp::<Fused>(0.0), 1.0);
        assert_eq!(ln::<Fused>(1.0), 0.0);
        assert_eq!(ln::<Fused>(0.0), f64::NEG_INFINITY);
        assert!(ln::<Fused>(-1.0).is_nan());
        assert!(ln::<Fused>(f64::NAN).is_nan());
        assert_eq!(ln::<Fused>(f64::INFINITY), f64::INFINITY);
    }
}
