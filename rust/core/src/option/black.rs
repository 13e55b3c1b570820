//! The normalised Black function, the common heart of BSM and Black-76.
//!
//! With forward F, strike K, x = ln(F/K) and total volatility s = σ√T, the undiscounted Black
//! call is √(FK)·b(x, s) where
//!
//! ```text
//! b(x, s) = e^{x/2}·Φ(x/s + s/2) − e^{−x/2}·Φ(x/s − s/2).
//! ```
//!
//! In-the-money values follow from the out-of-the-money one by put–call symmetry,
//! b(x, s) = 2·sinh(x/2) + b(−x, s), so only b(−|x|, s) is evaluated here. With h = −|x|/s ≤ 0,
//! t = s/2 and Y(z) = Φ(z)/φ(z), b = b′·[Y(h+t) − Y(h−t)] where b′ = e^{−(h²+t²)/2}/√(2π) is the
//! normalised vega. The difference of the two Y's cancels badly when t is small or h very negative,
//! so the value is taken from one of four forms (P. Jäckel, "Let's Be Rational", Wilmott, January
//! 2015, §3), all evaluated branch-free and one selected:
//!
//! 1. h < −10 and h + t < −9.79: an asymptotic expansion of [Y(h+t) − Y(h−t)] in q = (h/r)²,
//!    r = (h+t)(h−t), with coefficients in e = (t/h)², from Abramowitz & Stegun 26.2.12;
//! 2. t < 0.21: the Taylor expansion of Y(h+t) − Y(h−t) in t to order t¹³, whose coefficients are
//!    polynomials in h² and a = Y′(h) = 1 + h·Y(h);
//! 3. h + t ≤ 0: √(π/2)·[erfcx(−(h+t)/√2) − erfcx(−(h−t)/√2)];
//! 4. otherwise: the Black formula itself with Φ taken from its tails (no cancellation there).
//!
//! The two normal tails and densities at h ± t are returned too: they are the Φ(d₁), Φ(d₂), φ(d₁)
//! of every Greek, so the kernels pay for the erfcx and exp evaluations once.

use crate::math::elementary::exp_minus_half_square;
use crate::math::normal::{INV_SQRT_2PI, SQRT_HALF_PI, erfcx};
use crate::runtime::dispatch::{Arith, BLOCK};
use std::f64::consts::FRAC_1_SQRT_2;

/// η: below it (in h) the asymptotic expansion is accurate.
const ASYMPTOTIC_THRESHOLD: f64 = -10.0;
/// τ = 2·ε^(1/16): below it (in t) the 13th-order Taylor expansion is accurate.
const SMALL_T_THRESHOLD: f64 = 0.210_224_103_813_018_3;
/// 1/(2k+1)! for the Taylor expansion (multiplications: divisions are the kernels' bottleneck).
const INV_FACT_3: f64 = 1.0 / 6.0;
const INV_FACT_5: f64 = 1.0 / 120.0;
const INV_FACT_7: f64 = 1.0 / 5040.0;
const INV_FACT_9: f64 = 1.0 / 362_880.0;
const INV_FACT_11: f64 = 1.0 / 39_916_800.0;
const INV_FACT_13: f64 = 1.0 / 6_227_020_800.0;
/// The lowest h evaluated (see [`normalised_block`]).
const H_FLOOR: f64 = -1e150;
/// Number of terms of the asymptotic expansion (orders q⁰ … q¹⁷).
const ASYMPTOTIC_TERMS: usize = 18;

/// The pieces of the out-of-the-money normalised Black function at (−|x|, s), s > 0, for a
/// block of rows.
pub struct NormalisedBlock {
    /// b(−|x|, s).
    pub value: [f64; BLOCK],
    /// b(−|x|, s) / b′(x, s): the value over the normalised vega, which never underflows. Only
    /// defined where h + t ≤ 0 (every point of the lowest implied-volatility branch, which is the
    /// only user).
    pub ratio: [f64; BLOCK],
    /// b′(x, s) = e^{−(h²+t²)/2}/√(2π), the normalised vega.
    pub vega: [f64; BLOCK],
    /// Φ(−|h+t|): the tail at the nearer of the two points h ± t.
    pub tail_near: [f64; BLOCK],
    /// Φ(h−t): the tail at the farther point (h − t < 0 always).
    pub tail_far: [f64; BLOCK],
    /// e^{−(h+t)²/2}.
    pub gauss_near: [f64; BLOCK],
    /// erfcx(|h+t|/√2).
    pub erfcx_near: [f64; BLOCK],
    /// erfcx(|h−t|/√2).
    pub erfcx_far: [f64; BLOCK],
    /// h + t = −|x|/s + s/2.
    pub near: [f64; BLOCK],
    /// h − t = −|x|/s − s/2.
    pub far: [f64; BLOCK],
}

impl NormalisedBlock {
    /// An all-zero block.
    pub fn new() -> Self {
        NormalisedBlock {
            value: [0.0; BLOCK],
            ratio: [0.0; BLOCK],
            vega: [0.0; BLOCK],
            tail_near: [0.0; BLOCK],
            tail_far: [0.0; BLOCK],
            gauss_near: [0.0; BLOCK],
            erfcx_near: [0.0; BLOCK],
            erfcx_far: [0.0; BLOCK],
            near: [0.0; BLOCK],
            far: [0.0; BLOCK],
        }
    }
}

impl Default for NormalisedBlock {
    fn default() -> Self {
        Self::new()
    }
}

/// Evaluate the normalised Black pieces for rows with |x| = `abs_x` ≥ 0 and s = `total_vol` > 0;
/// `half_moneyness` is e^{−|x|/2} (callers have it as √(min(F,K)/max(F,K)) without an exp).
///
/// The work is done in passes over the block, each a short loop: the long dependency chains of
/// erfcx and the series then overlap across rows instead of stalling one huge loop body.
#[inline(always)]
pub fn normalised_block<A: Arith>(abs_x: &[f64], total_vol: &[f64], half_moneyness: &[f64], out: &mut NormalisedBlock) {
    let n = abs_x.len();
    let (total_vol, half_moneyness) = (&total_vol[..n], &half_moneyness[..n]);
    let mut h = [0.0; BLOCK];
    // erfcx arguments: |h+t|/√2, |h−t|/√2 and |h|/√2 (the last for the small-t expansion).
    let mut erfcx_values = [0.0; 3 * BLOCK];
    for i in 0..n {
        // A total vol tiny against |x| (σ or T near 0, or a subnormal one) sends h towards −∞;
        // far below H_FLOOR every Gaussian is 0 already, and a finite h keeps h², (h+t)(h−t)
        // and the expansions finite. The comparison keeps a NaN.
        let hi = -abs_x[i] / total_vol[i];
        let hi = if hi < H_FLOOR { H_FLOOR } else { hi };
        let t = 0.5 * total_vol[i];
        h[i] = hi;
        out.near[i] = hi + t;
        out.far[i] = hi - t;
        erfcx_values[i] = out.near[i].abs() * FRAC_1_SQRT_2;
        erfcx_values[n + i] = -out.far[i] * FRAC_1_SQRT_2;
        erfcx_values[2 * n + i] = -hi * FRAC_1_SQRT_2;
    }
    for v in erfcx_values[..3 * n].iter_mut() {
        *v = erfcx::<A>(*v);
    }
    for i in 0..n {
        out.gauss_near[i] = exp_minus_half_square::<A>(out.near[i]);
    }
    // The asymptotic expansion is the costliest form and only deep out-of-the-money rows need it:
    // gather those rows, evaluate them together (still vectorised), scatter the results back.
    let mut asymptotic = [0.0; BLOCK];
    let mut deep = [0usize; BLOCK];
    let mut count = 0;
    for i in 0..n {
        deep[count] = i;
        count += usize::from(uses_asymptotic(h[i], out.near[i]));
    }
    let mut deep_h = [0.0; BLOCK];
    let mut deep_t = [0.0; BLOCK];
    for j in 0..count {
        deep_h[j] = h[deep[j]];
        deep_t[j] = 0.5 * total_vol[deep[j]];
    }
    let mut deep_ratio = [0.0; BLOCK];
    for j in 0..count {
        deep_ratio[j] = asymptotic_ratio::<A>(deep_h[j], deep_t[j]);
    }
    for j in 0..count {
        asymptotic[deep[j]] = deep_ratio[j];
    }
    for i in 0..n {
        let (hi, t, near, hm) = (h[i], 0.5 * total_vol[i], out.near[i], half_moneyness[i]);
        let (erfcx_near, erfcx_far) = (erfcx_values[i], erfcx_values[n + i]);
        // One exponential serves all three Gaussians: e^{−(h−t)²/2} = e^{−(h+t)²/2}·e^{2ht} and
        // b′ = e^{−(h+t)²/2}·e^{ht}/√(2π), with e^{ht} = e^{−|x|/2} known without an exp.
        let gauss_near = out.gauss_near[i];
        let gauss_far = gauss_near * hm * hm;
        let tail_near = 0.5 * erfcx_near * gauss_near;
        let tail_far = 0.5 * erfcx_far * gauss_far;
        let vega = INV_SQRT_2PI * gauss_near * hm;

        // Form 4: Black's formula from the tails (h + t > 0, so Φ(h+t) ≥ ½).
        let direct = black_from_tails::<A>(near, tail_near, tail_far, hm);
        // Form 3: difference of scaled complementary error functions.
        let erfcx_form = SQRT_HALF_PI * (erfcx_near - erfcx_far);
        // Form 2: Taylor expansion in t.
        let small_t = small_t_ratio::<A>(hi, t, erfcx_values[2 * n + i]);

        let use_asymptotic = uses_asymptotic(hi, near);
        let use_small_t = t < SMALL_T_THRESHOLD;
        let use_erfcx = near <= 0.0;
        let ratio = if use_asymptotic {
            asymptotic[i]
        } else if use_small_t {
            small_t
        } else {
            erfcx_form
        };
        out.value[i] = if use_asymptotic || use_small_t || use_erfcx { ratio * vega } else { direct };
        out.ratio[i] = ratio;
        out.vega[i] = vega;
        out.tail_near[i] = tail_near;
        out.tail_far[i] = tail_far;
        out.erfcx_near[i] = erfcx_near;
        out.erfcx_far[i] = erfcx_far;
    }
}

/// b = e^{−|x|/2}·Φ(h+t) − e^{|x|/2}·Φ(h−t) from the tails Φ(−|h+t|) and Φ(h−t).
#[inline(always)]
fn black_from_tails<A: Arith>(near: f64, tail_near: f64, tail_far: f64, half_moneyness: f64) -> f64 {
    let cdf_near = if near < 0.0 { tail_near } else { 1.0 - tail_near };
    A::mul_add(cdf_near, half_moneyness, -tail_far / half_moneyness)
}

/// b(−|x|, s) from Black's formula alone (form 4 everywhere), for s > 0: accurate to a few ulp of
/// e^{−|x|/2} *absolutely*, not relatively far out of the money — all that a sum of P&L over a book
/// needs, at about half the cost of [`normalised_block`]. Scenario grids use it, with e^{−|x|/2}
/// and e^{|x|/2} both at hand (so no division by the first).
#[inline(always)]
pub fn normalised_black_absolute<A: Arith>(
    abs_x: f64,
    total_vol: f64,
    half_moneyness: f64,
    inverse_half_moneyness: f64,
) -> f64 {
    let h = -abs_x / total_vol;
    let t = 0.5 * total_vol;
    let (near, far) = (h + t, h - t);
    let gauss_near = exp_minus_half_square::<A>(near);
    let gauss_far = gauss_near * half_moneyness * half_moneyness;
    let tail_near = 0.5 * erfcx::<A>(near.abs() * FRAC_1_SQRT_2) * gauss_near;
    let tail_far = 0.5 * erfcx::<A>(-far * FRAC_1_SQRT_2) * gauss_far;
    let cdf_near = if near < 0.0 { tail_near } else { 1.0 - tail_near };
    A::mul_add(cdf_near, half_moneyness, -tail_far * inverse_half_moneyness)
}

/// Form 1 applies: h < η and h + t < η + τ.
#[inline(always)]
fn uses_asymptotic(h: f64, near: f64) -> bool {
    h < ASYMPTOTIC_THRESHOLD && near < ASYMPTOTIC_THRESHOLD + SMALL_T_THRESHOLD
}

/// [Y(h+t) − Y(h−t)] by its Taylor series in t around h (h ≤ 0, t < 0.21):
/// 2·Σₖ Y⁽²ᵏ⁺¹⁾(h)·t²ᵏ⁺¹/(2k+1)!, with the derivatives of Y written as polynomials in
/// a = Y′(h) = 1 + h·Y(h) and h² (from Y″ = Y + h·Y′ and hY = a − 1).
/// `erfcx_h` is erfcx(−h/√2).
#[inline(always)]
fn small_t_ratio<A: Arith>(h: f64, t: f64, erfcx_h: f64) -> f64 {
    let y = SQRT_HALF_PI * erfcx_h;
    let a = A::mul_add(h, y, 1.0);
    let w = t * t;
    let h2 = h * h;
    // Y⁽²ᵏ⁺¹⁾(h)/(2k+1)! for k = 1..6, each a polynomial in a and h².
    let c1 = (-1.0 + 3.0 * a + a * h2) * INV_FACT_3;
    let c2 = (-7.0 + 15.0 * a + h2 * (-1.0 + 10.0 * a + a * h2)) * INV_FACT_5;
    let c3 = (-57.0 + 105.0 * a + h2 * (-18.0 + 105.0 * a + h2 * (-1.0 + 21.0 * a + a * h2))) * INV_FACT_7;
    let c4 =
        (-561.0 + 945.0 * a + h2 * (-285.0 + 1260.0 * a + h2 * (-33.0 + 378.0 * a + h2 * (-1.0 + 36.0 * a + a * h2))))
            * INV_FACT_9;
    let c5 = (-6555.0
        + 10395.0 * a
        + h2 * (-4680.0
            + 17325.0 * a
            + h2 * (-840.0 + 6930.0 * a + h2 * (-52.0 + 990.0 * a + h2 * (-1.0 + 55.0 * a + a * h2)))))
        * INV_FACT_11;
    let c6 = (-89055.0
        + 135_135.0 * a
        + h2 * (-82845.0
            + 270_270.0 * a
            + h2 * (-20370.0
                + 135_135.0 * a
                + h2 * (-1926.0 + 25740.0 * a + h2 * (-75.0 + 2145.0 * a + h2 * (-1.0 + 78.0 * a + a * h2))))))
        * INV_FACT_13;
    let series = A::mul_add(
        w,
        A::mul_add(w, A::mul_add(w, A::mul_add(w, A::mul_add(w, A::mul_add(w, c6, c5), c4), c3), c2), c1),
        a,
    );
    2.0 * t * series
}

/// [Y(h+t) − Y(h−t)] for h ≤ −10 by A&S 26.2.12, Y(z) ~ −1/z·Σ (−1)ᵏ(2k−1)!!/z²ᵏ:
/// (t/r)·2·Σₖ (−1)ᵏ(2k−1)!!·qᵏ·Pₖ(e), Pₖ(e) = Σᵢ C(2k+1, 2i+1)·eⁱ,
/// with r = (h+t)(h−t), q = (h/r)², e = (t/h)². Pₖ and its companion Qₖ = Σᵢ C(2k+1, 2i)·eⁱ obey
/// P_{k+1} = (1+e)Pₖ + 2Qₖ, Q_{k+1} = (1+e)Qₖ + 2e·Pₖ (all terms positive: no cancellation).
#[inline(always)]
fn asymptotic_ratio<A: Arith>(h: f64, t: f64) -> f64 {
    let e = (t / h) * (t / h);
    let r = (h + t) * (h - t);
    // q = (h/r)², written so that h = −∞ (a zero total vol) gives q = 0 rather than ∞/∞.
    let q = 1.0 / ((h - t * t / h) * (h - t * t / h));
    let one_plus_e = 1.0 + e;
    let mut p = 1.0;
    let mut qq = 1.0;
    let mut term_scale = 1.0; // (−1)ᵏ(2k−1)!!·qᵏ
    let mut sum = 0.0;
    for k in 0..ASYMPTOTIC_TERMS {
        sum = A::mul_add(term_scale, p, sum);
        let next_p = A::mul_add(one_plus_e, p, 2.0 * qq);
        qq = A::mul_add(one_plus_e, qq, 2.0 * e * p);
        p = next_p;
        term_scale *= -((2 * k + 1) as f64) * q;
    }
    2.0 * (t / r) * sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::dispatch::Fused;

    #[test]
    fn forms_agree_where_they_overlap() {
        // Near the region boundaries the forms must agree to a few ulp.
        for &(h, t) in &[(-10.5_f64, 0.2_f64), (-10.2, 0.15), (-3.0, 0.2), (-1.0, 0.2), (-0.1, 0.2)] {
            let small = small_t_ratio::<Fused>(h, t, erfcx::<Fused>(-h * FRAC_1_SQRT_2));
            let ex =
                SQRT_HALF_PI * (erfcx::<Fused>(-(h + t) * FRAC_1_SQRT_2) - erfcx::<Fused>(-(h - t) * FRAC_1_SQRT_2));
            assert!(((small - ex) / small).abs() < 1e-11, "h={h} t={t}: {small} vs {ex}");
            if h < -10.0 {
                let asy = asymptotic_ratio::<Fused>(h, t);
                assert!(((small - asy) / small).abs() < 1e-13, "h={h} t={t}: {small} vs {asy}");
            }
        }
    }
}
