//! Price and Greeks of one European option, under BSM or Black-76, in raw kernel units.
//!
//! Both models are the generalised Black–Scholes model with cost of carry b (Haug, "The Complete
//! Guide to Option Pricing Formulas", 2nd ed., §1.1.6): forward F = U·e^{bT}, value
//!
//! ```text
//! V = θ·[U·e^{(b−r)T}·Φ(θd₁) − K·e^{−rT}·Φ(θd₂)],  d₁,₂ = (ln(U/K) + bT)/(σ√T) ± σ√T/2,
//! ```
//!
//! θ = +1 for a call, −1 for a put. BSM has b = r − q (U is spot); Black-76 has b = 0 (U is the
//! forward or future, and r only discounts). The value comes from the normalised Black function
//! (`black.rs`); the Greeks are the closed forms below, arranged to avoid cancellation:
//!
//! | Greek | formula |
//! |---|---|
//! | delta | θ·A·Φ(θd₁), A = e^{(b−r)T} |
//! | gamma | A·φ(d₁)/(U·σ√T) |
//! | vega | U·A·φ(d₁)·√T |
//! | theta = −∂V/∂T | r·V − b·θ·U·A·Φ(θd₁) − U·A·φ(d₁)·σ/(2√T) |
//! | rho = ∂V/∂r | BSM: θ·K·T·e^{−rT}·Φ(θd₂); Black-76 (F fixed): −T·V |
//! | div_rho = ∂V/∂q | BSM: −θ·T·U·A·Φ(θd₁) |
//! | vanna | −A·φ(d₁)·d₂/σ |
//! | volga | vega·d₁·d₂/σ |
//! | charm = −∂Δ/∂T | (r − b)·Δ − A·φ(d₁)·(b/(σ√T) − d₂/(2T)) |
//!
//! At expiry (T = 0) the value is the intrinsic value, delta a step (½ exactly at the money) and
//! every other Greek 0 (docs/method.md, Models). With σ = 0 and T > 0 — or a total vol σ√T below
//! the smallest normal double, where 1/(σ√T) would overflow — the value is the discounted
//! intrinsic value of the forward and each Greek its one-sided limit: Φ(θd) becomes a step, the
//! φ(d₁) terms vanish, theta, rho and charm keep their carry terms. (At the money exactly, gamma
//! and vanna have no finite limit; they are reported as 0.) Where φ(d₁) underflows for a positive
//! total vol its terms are 0 too, so tiny vols and times reach the same limits without NaN.

use crate::math::elementary::{exp_and_expm1, ln, two_sum};
use crate::math::normal::INV_SQRT_2PI;
use crate::option::black::{NormalisedBlock, normalised_block};
use crate::runtime::dispatch::{Arith, BLOCK};

/// Below this total vol σ√T (the smallest normal double, where 1/(σ√T) would overflow) a row
/// takes the σ = 0 limits.
const SMALLEST_TOTAL_VOL: f64 = f64::MIN_POSITIVE;

/// Which pricing model: the underlying is spot (BSM) or the forward/future (Black-76).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// Black–Scholes–Merton on spot with continuous dividend yield.
    Bsm,
    /// Black-76 on a forward or future; the rate only discounts.
    Black76,
}

/// Value and Greeks of one option (raw units; see the crate docs).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Greeks {
    /// Present value.
    pub price: f64,
    /// ∂V/∂U.
    pub delta: f64,
    /// ∂²V/∂U².
    pub gamma: f64,
    /// ∂V/∂σ.
    pub vega: f64,
    /// −∂V/∂T.
    pub theta: f64,
    /// ∂V/∂r.
    pub rho: f64,
    /// ∂V/∂q (BSM; 0 for Black-76).
    pub div_rho: f64,
    /// ∂²V/∂U∂σ.
    pub vanna: f64,
    /// ∂²V/∂σ².
    pub volga: f64,
    /// −∂Δ/∂T.
    pub charm: f64,
}

/// One block's inputs (equal-length slices, at most [`BLOCK`] rows).
pub struct Rows<'a> {
    /// Spot (BSM) or forward (Black-76).
    pub underlying: &'a [f64],
    /// Strike.
    pub strike: &'a [f64],
    /// Years to expiry.
    pub time: &'a [f64],
    /// Volatility.
    pub vol: &'a [f64],
    /// Rate.
    pub rate: &'a [f64],
    /// Dividend yield (BSM).
    pub div_yield: &'a [f64],
    /// Call or put.
    pub is_call: &'a [bool],
}

/// The forward form of a block of options, shared by pricing and implied volatility.
pub struct ForwardBlock {
    /// Forward F = U·e^{bT}.
    pub forward: [f64; BLOCK],
    /// x = ln(F/K), computed as ln(U/K) + bT.
    pub log_moneyness: [f64; BLOCK],
    /// e^{−rT}.
    pub discount: [f64; BLOCK],
    /// A = e^{(b−r)T}: the discount on the underlying (e^{−qT} for BSM, e^{−rT} for Black-76).
    pub asset_discount: [f64; BLOCK],
    /// e^{−|x|/2} = √(min(F, K)/max(F, K)).
    pub half_moneyness: [f64; BLOCK],
    /// √(F·K), the scale of the normalised Black function.
    pub root_forward_strike: [f64; BLOCK],
    /// e^{−rT}·(F − K), the present value of the forward contract, as an unevaluated sum
    /// `forward_value + forward_value_low` accurate to far below an ulp of the value: U − K
    /// exactly (TwoSum), plus the small terms U·(e^{−qT} − 1) − K·(e^{−rT} − 1) (BSM) or
    /// (e^{−rT} − 1)·(F − K) (Black-76). Intrinsic values come from it, so that a deep
    /// in-the-money price keeps the time value it carries.
    pub forward_value: [f64; BLOCK],
    /// The low part of the present value of the forward contract.
    pub forward_value_low: [f64; BLOCK],
}

impl ForwardBlock {
    /// An all-zero block.
    pub fn new() -> Self {
        ForwardBlock {
            forward: [0.0; BLOCK],
            log_moneyness: [0.0; BLOCK],
            discount: [0.0; BLOCK],
            asset_discount: [0.0; BLOCK],
            half_moneyness: [0.0; BLOCK],
            root_forward_strike: [0.0; BLOCK],
            forward_value: [0.0; BLOCK],
            forward_value_low: [0.0; BLOCK],
        }
    }

    /// Fill with the forward form of `rows` under `model`.
    #[inline(always)]
    pub fn compute<A: Arith>(&mut self, model: Model, rows: &Rows) {
        let f = self;
        let n = rows.underlying.len();
        let (strike, time, rate, div_yield) =
            (&rows.strike[..n], &rows.time[..n], &rows.rate[..n], &rows.div_yield[..n]);
        for i in 0..n {
            let carry = carry(model, rate[i], div_yield[i]);
            let (u, k) = (rows.underlying[i], strike[i]);
            let (discount, discount_m1) = exp_and_expm1::<A>(-rate[i] * time[i]);
            let (asset_discount, asset_discount_m1) = match model {
                Model::Bsm => exp_and_expm1::<A>(-div_yield[i] * time[i]),
                Model::Black76 => (discount, discount_m1),
            };
            let forward = match model {
                Model::Bsm => u * (asset_discount / discount),
                Model::Black76 => u,
            };
            let (difference, difference_low) = two_sum(u, -k);
            let small = match model {
                // Not fused: with U = K and q = r the two products must cancel exactly.
                Model::Bsm => u * asset_discount_m1 - k * discount_m1,
                Model::Black76 => discount_m1 * difference,
            };
            let (high, low) = two_sum(difference, difference_low + small);
            f.forward_value[i] = high;
            f.forward_value_low[i] = low;
            f.forward[i] = forward;
            f.discount[i] = discount;
            f.asset_discount[i] = asset_discount;
            f.log_moneyness[i] = A::mul_add(carry, time[i], ln::<A>(rows.underlying[i] / strike[i]));
            // Square roots and divisions are the slowest vector instructions: two roots serve
            // e^{−|x|/2} = √min/√max and √(FK).
            let (root_forward, root_strike) = (forward.sqrt(), strike[i].sqrt());
            let (low, high) =
                if root_forward < root_strike { (root_forward, root_strike) } else { (root_strike, root_forward) };
            f.half_moneyness[i] = low / high;
            f.root_forward_strike[i] = root_forward * root_strike;
        }
        // Where U/K overflows or underflows (a subnormal strike, say) take ln U − ln K: |x| > 708
        // there, so the difference loses nothing. Rare, so a branch outside the vectorised loop.
        for i in 0..n {
            let (u, k) = (rows.underlying[i], strike[i]);
            if !(f64::MIN_POSITIVE..=f64::MAX).contains(&(u / k)) {
                f.log_moneyness[i] = A::mul_add(carry(model, rate[i], div_yield[i]), time[i], ln::<A>(u) - ln::<A>(k));
            }
        }
    }
}

impl Default for ForwardBlock {
    fn default() -> Self {
        Self::new()
    }
}

/// Where [`greeks_block`] puts each row's results; implementations are inlined into the loop so
/// that it vectorises (a closure here would be an opaque call per row).
pub trait GreeksSink {
    /// Receive row `row`'s value and Greeks.
    fn put(&mut self, row: usize, greeks: &Greeks);
}

/// The scratch space of [`greeks_block`], allocated once per chunk and reused for every block.
#[derive(Default)]
pub struct Scratch {
    forward: ForwardBlock,
    normalised: NormalisedBlock,
}

/// Cost of carry b: r − q for BSM, 0 for Black-76.
#[inline(always)]
fn carry(model: Model, rate: f64, div_yield: f64) -> f64 {
    match model {
        Model::Bsm => rate - div_yield,
        Model::Black76 => 0.0,
    }
}

/// Value and all Greeks of each row of a block, handed to `sink`.
#[inline(always)]
pub fn greeks_block<A: Arith, S: GreeksSink>(model: Model, rows: &Rows, scratch: &mut Scratch, sink: &mut S) {
    let n = rows.underlying.len();
    let fwd = &mut scratch.forward;
    fwd.compute::<A>(model, rows);
    let mut abs_x = [0.0; BLOCK];
    let mut total_vol = [0.0; BLOCK];
    let mut root_time = [0.0; BLOCK];
    for i in 0..n {
        abs_x[i] = fwd.log_moneyness[i].abs();
        root_time[i] = rows.time[i].sqrt();
        let s = rows.vol[i] * root_time[i];
        // Evaluate with a harmless total vol where it is (about) zero; the limits are selected below.
        total_vol[i] = if s < SMALLEST_TOTAL_VOL { 1.0 } else { s };
    }
    let nb = &mut scratch.normalised;
    normalised_block::<A>(&abs_x[..n], &total_vol[..n], &fwd.half_moneyness[..n], nb);
    let (underlying, strike, time, vol) = (&rows.underlying[..n], &rows.strike[..n], &rows.time[..n], &rows.vol[..n]);
    let (rate, div_yield, is_call) = (&rows.rate[..n], &rows.div_yield[..n], &rows.is_call[..n]);
    for i in 0..n {
        let theta_sign = if is_call[i] { 1.0 } else { -1.0 };
        let x = fwd.log_moneyness[i];
        let sqrt_time = root_time[i];
        let degenerate = vol[i] * sqrt_time < SMALLEST_TOTAL_VOL;
        let s = total_vol[i];
        let carry = carry(model, rate[i], div_yield[i]);

        // Map the out-of-the-money frame back to the option: for x ≤ 0, d₁ = h+t and d₂ = h−t;
        // for x > 0, d₁ = −(h−t) and d₂ = −(h+t).
        let otm_side = x <= 0.0;
        let hm = fwd.half_moneyness[i];
        let gauss_far = nb.gauss_near[i] * hm * hm;
        let d1 = if otm_side { nb.near[i] } else { -nb.far[i] };
        let d2 = if otm_side { nb.far[i] } else { -nb.near[i] };
        let tail_d1 = if otm_side { nb.tail_near[i] } else { nb.tail_far[i] }; // Φ(−|d₁|)
        let tail_d2 = if otm_side { nb.tail_far[i] } else { nb.tail_near[i] }; // Φ(−|d₂|)
        let gauss_d1 = if otm_side { nb.gauss_near[i] } else { gauss_far };
        let cdf_theta_d1 = if theta_sign * d1 < 0.0 { tail_d1 } else { 1.0 - tail_d1 };
        let cdf_theta_d2 = if theta_sign * d2 < 0.0 { tail_d2 } else { 1.0 - tail_d2 };

        let side = theta_sign * x;
        let step = if side > 0.0 {
            1.0
        } else if side < 0.0 {
            0.0
        } else {
            0.5
        };
        let cdf_theta_d1 = if degenerate { step } else { cdf_theta_d1 };
        let cdf_theta_d2 = if degenerate { step } else { cdf_theta_d2 };
        let pdf_d1 = if degenerate { 0.0 } else { INV_SQRT_2PI * gauss_d1 };
        // Where φ(d₁) underflows its terms are 0, whatever 1/σ or 1/(U·σ√T) (which may overflow).
        let no_density = pdf_d1 == 0.0;
        let time_value = if degenerate { 0.0 } else { nb.value[i] };

        let intrinsic = theta_sign * (fwd.forward_value[i] + fwd.forward_value_low[i]);
        let intrinsic = if intrinsic > 0.0 { intrinsic } else { 0.0 };
        let scale = fwd.discount[i] * fwd.root_forward_strike[i];
        let price = A::mul_add(scale, time_value, intrinsic);

        let a = fwd.asset_discount[i];
        let asset = underlying[i] * a;
        let delta = theta_sign * a * cdf_theta_d1;
        let vega = asset * pdf_d1 * sqrt_time;
        // Divisions are the slowest vector instructions: one reciprocal serves several Greeks.
        let inv_underlying_total_vol = 1.0 / (underlying[i] * s);
        let inv_total_vol = underlying[i] * inv_underlying_total_vol;
        let inv_vol = if degenerate { 1.0 } else { inv_total_vol * sqrt_time };
        // σ/√T = σ²/s, in an order that cannot underflow for a tiny σ (σ·(1/s) = 1/√T).
        let vol_over_root_time = vol[i] * (vol[i] * inv_total_vol);
        let gamma = a * pdf_d1 * inv_underlying_total_vol;
        // Theta's carry part r·V − b·θ·U·A·Φ(θd₁) equals θ·(q·U·A·Φ(θd₁) − r·K·D·Φ(θd₂)) (BSM):
        // the form whose terms are smaller cancels less (deep in the money at a large total vol
        // the first loses everything to r·V ≈ b·U·A).
        // The steps multiply first: where one is 0, an overflowing q·U·A must not make 0·∞ = NaN.
        let asset_cdf = asset * cdf_theta_d1;
        let strike_cdf = strike[i] * fwd.discount[i] * cdf_theta_d2;
        let carry_pv = carry * theta_sign * asset_cdf;
        let (theta_carry, theta_carry_scale) = match model {
            Model::Bsm => (
                theta_sign * (div_yield[i] * asset_cdf - rate[i] * strike_cdf),
                (div_yield[i] * asset_cdf).abs() + (rate[i] * strike_cdf).abs(),
            ),
            Model::Black76 => (0.0, f64::INFINITY),
        };
        let from_value = rate[i] * price - carry_pv;
        let from_value_scale = (rate[i] * price).abs() + carry_pv.abs();
        let theta_carry = if theta_carry_scale < from_value_scale { theta_carry } else { from_value };
        let theta_density = 0.5 * asset * pdf_d1 * vol_over_root_time;
        let theta = theta_carry - if no_density { 0.0 } else { theta_density };
        let rho = match model {
            // T last: T·U or T·K may overflow where the step makes the Greek 0.
            Model::Bsm => theta_sign * strike_cdf * time[i],
            Model::Black76 => -time[i] * price,
        };
        let div_rho = match model {
            Model::Bsm => -theta_sign * asset_cdf * time[i],
            Model::Black76 => 0.0,
        };
        let vanna = -a * pdf_d1 * d2 * inv_vol;
        let volga = vega * d1 * d2 * inv_vol;
        // b/s − d₂/(2T) = (b − d₂·s/(2T))/s with s/T = σ/√T = σ²/s.
        let charm_drift = (carry - 0.5 * d2 * vol_over_root_time) * inv_total_vol;
        let charm = A::mul_add(rate[i] - carry, delta, -a * pdf_d1 * charm_drift);
        let zero_without_density = |v: f64| if no_density { 0.0 } else { v };
        let zero_if_settled = |v: f64| if time[i] == 0.0 { 0.0 } else { v };
        sink.put(
            i,
            &Greeks {
                price,
                delta,
                gamma: zero_without_density(gamma),
                vega: zero_without_density(vega),
                theta: zero_if_settled(theta),
                rho: zero_if_settled(rho),
                div_rho: zero_if_settled(div_rho),
                vanna: zero_without_density(vanna),
                volga: zero_without_density(volga),
                charm: zero_if_settled(if no_density { (rate[i] - carry) * delta } else { charm }),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::golden::read_golden;
    use crate::runtime::dispatch::{Kernel, Level, run_at};

    const NAMES: [&str; 10] = ["price", "delta", "gamma", "vega", "theta", "rho", "div_rho", "vanna", "volga", "charm"];

    fn as_array(g: &Greeks) -> [f64; 10] {
        [g.price, g.delta, g.gamma, g.vega, g.theta, g.rho, g.div_rho, g.vanna, g.volga, g.charm]
    }

    /// Prices one block of golden rows at a given instruction-set level.
    struct Golden<'a> {
        model: Model,
        rows: Rows<'a>,
        out: &'a mut Vec<[f64; 10]>,
    }

    struct Collect<'a>(&'a mut Vec<[f64; 10]>);

    impl GreeksSink for Collect<'_> {
        fn put(&mut self, row: usize, greeks: &Greeks) {
            self.0[row] = as_array(greeks);
        }
    }

    impl Kernel for Golden<'_> {
        type Output = ();
        fn run<A: Arith>(self) {
            let mut scratch = Scratch::default();
            greeks_block::<A, _>(self.model, &self.rows, &mut scratch, &mut Collect(self.out));
        }
    }

    /// Every golden row, every Greek, every instruction-set level this CPU has: the error must be
    /// within `rtol` of the exact value, or — where a Greek crosses zero and relative error is
    /// meaningless — within 1e-14 of its condition scale Σ|p·∂g/∂p| (the error that rounding
    /// the inputs by 45 ulp would cause).
    #[test]
    fn greeks_match_golden_values() {
        let rows = read_golden("pricing.csv");
        let mut worst_relative: [(f64, String); 3] = Default::default();
        let mut by_condition = [0usize; 3];
        let mut worst_realistic_by_greek = [0.0f64; 10];
        let mut failures = Vec::new();
        for level in [Level::Baseline, Level::Avx2, Level::Avx512] {
            for chunk in rows.chunks(BLOCK) {
                let n = chunk.len();
                for model_name in ["bsm", "black76"] {
                    let model = if model_name == "bsm" { Model::Bsm } else { Model::Black76 };
                    let picked: Vec<&crate::golden::Row> =
                        chunk.iter().filter(|r| r.text("model") == model_name).collect();
                    if picked.is_empty() {
                        continue;
                    }
                    let col = |name: &str| picked.iter().map(|r| r.num(name)).collect::<Vec<f64>>();
                    let (u, k, t, v, r, q) =
                        (col("underlying"), col("strike"), col("time"), col("vol"), col("rate"), col("div_yield"));
                    let calls: Vec<bool> = picked.iter().map(|r| r.text("is_call") == "1").collect();
                    let mut out = vec![[0.0; 10]; picked.len()];
                    let rows = Rows {
                        underlying: &u,
                        strike: &k,
                        time: &t,
                        vol: &v,
                        rate: &r,
                        div_yield: &q,
                        is_call: &calls,
                    };
                    run_at(level, Golden { model, rows, out: &mut out });
                    for (row, got) in picked.iter().zip(&out) {
                        let set = row.text("set");
                        let (rtol, set_index) = match set {
                            "realistic" => (1e-12, 0),
                            "extreme" => (1e-9, 1),
                            _ => (1e-9, 2),
                        };
                        for (g, name) in NAMES.iter().enumerate() {
                            let exact = row.num(name);
                            let cond = row.num(&format!("{name}_cond"));
                            let err = (got[g] - exact).abs();
                            let relative = if exact == 0.0 { err } else { err / exact.abs() };
                            let ok = err <= rtol * exact.abs() || err <= 1e-14 * cond || err <= 1e-300;
                            if exact.abs() > 1e-290 {
                                if relative > worst_relative[set_index].0 {
                                    worst_relative[set_index] =
                                        (relative, format!("{name} {model_name} {}", describe(row)));
                                }
                                if relative > rtol {
                                    by_condition[set_index] += 1;
                                }
                                if set_index == 0 && relative > worst_realistic_by_greek[g] {
                                    worst_realistic_by_greek[g] = relative;
                                }
                            }
                            if !ok {
                                failures.push(format!(
                                    "{level:?} {set} {model_name} {name}: got {:e}, exact {exact:e}, rel {relative:.2e}, cond {cond:e} [{}]",
                                    got[g],
                                    describe(row)
                                ));
                            }
                        }
                    }
                }
                let _ = n;
            }
        }
        for (i, set) in ["realistic", "extreme", "degenerate"].iter().enumerate() {
            println!(
                "{set}: worst relative error {:.2e} ({}); {} values beyond the relative tolerance, within 1e-14 of their condition scale",
                worst_relative[i].0, worst_relative[i].1, by_condition[i]
            );
        }
        let by_greek: Vec<String> =
            NAMES.iter().zip(worst_realistic_by_greek).map(|(n, e)| format!("{n} {e:.1e}")).collect();
        println!("realistic, worst relative error by Greek: {}", by_greek.join(", "));
        assert!(
            failures.is_empty(),
            "{} failures, first 20:\n{}",
            failures.len(),
            failures[..failures.len().min(20)].join("\n")
        );
    }

    /// Value and Greeks of one option at every instruction-set level (they must agree).
    fn one(model: Model, u: f64, k: f64, t: f64, v: f64, r: f64, call: bool) -> [f64; 10] {
        let results: Vec<[f64; 10]> = [Level::Baseline, Level::Avx2, Level::Avx512]
            .into_iter()
            .map(|level| {
                let mut out = vec![[0.0; 10]];
                let rows = Rows {
                    underlying: &[u],
                    strike: &[k],
                    time: &[t],
                    vol: &[v],
                    rate: &[r],
                    div_yield: &[0.0],
                    is_call: &[call],
                };
                run_at(level, Golden { model, rows, out: &mut out });
                out[0]
            })
            .collect();
        assert!(results.iter().all(|g| g.map(f64::to_bits) == results[0].map(f64::to_bits)), "{results:?}");
        results[0]
    }

    /// A total vol far below |x| sent h = −|x|/σ√T past the square root of the double range (or to
    /// −∞), and a strike so small that U/K overflows gave NaN: valid inputs give finite values,
    /// out of the money the σ = 0 limit exactly.
    #[test]
    fn tiny_vols_times_and_strikes_give_finite_values() {
        for model in [Model::Bsm, Model::Black76] {
            for (k, call) in [(90.0, true), (100.0, true), (110.0, true), (90.0, false), (110.0, false)] {
                for (t, v) in [(1.0, 1e-160), (1.0, 1e-300), (1.0, 5e-324), (1e-251, 0.2), (1e-320, 0.2)] {
                    let g = one(model, 100.0, k, t, v, 0.03, call);
                    assert!(g.iter().all(|x| x.is_finite()), "{model:?} K={k} T={t:e} σ={v:e} call={call}: {g:?}");
                }
                let out_of_the_money = (k > 100.0) == call;
                if out_of_the_money {
                    let limit = one(model, 100.0, k, 1.0, 0.0, 0.03, call);
                    for v in [1e-160, 1e-300, 5e-324] {
                        assert_eq!(one(model, 100.0, k, 1.0, v, 0.03, call), limit, "{model:?} K={k} σ={v:e}");
                    }
                }
            }
            for call in [true, false] {
                let g = one(model, 100.0, 5e-320, 1.0, 0.2, 0.03, call);
                assert!(g.iter().all(|x| x.is_finite()), "{model:?} subnormal strike, call={call}: {g:?}");
            }
        }
    }

    /// σ√T ≈ 27 deep in the money: theta ≈ −2.2e-40 (mpmath, tests/reference), which r·V − b·U·A·Φ(d₁)
    /// cancelled to an error of ~4e-16.
    #[test]
    fn theta_at_a_large_total_vol_keeps_its_relative_accuracy() {
        for (k, exact) in [(100.0, -2.246923984047322e-40), (200.0, -3.179228349030429e-40)] {
            let theta = one(Model::Bsm, 100.0, k, 30.0, 5.0, 0.03, true)[4];
            assert!(((theta - exact) / exact).abs() < 1e-12, "K={k}: theta {theta:e}, exact {exact:e}");
        }
    }

    fn describe(row: &crate::golden::Row) -> String {
        format!(
            "U={} K={} T={} vol={} r={} q={} call={}",
            row.text("underlying"),
            row.text("strike"),
            row.text("time"),
            row.text("vol"),
            row.text("rate"),
            row.text("div_yield"),
            row.text("is_call")
        )
    }
}
