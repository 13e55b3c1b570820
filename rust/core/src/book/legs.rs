//! Book legs in trader units, with VIX instruments mapped into SPX terms, summed per layer.
//!
//! Legs are a struct of arrays ([`LegInputs`]), one row per leg, of five kinds ([`LegKind`]):
//! SPX options (BSM on spot), VIX options (Black-76 on the VIX future of their expiry), VIX futures,
//! variance swaps, and S&P 500 futures (ES/MES: the SPX forward F = S·e^{(r−q)T} to their expiry,
//! so V = F, Δ = e^{(r−q)T} (also their SPX delta), θ = −(r−q)·F, ρ = T·F, every other Greek 0).
//! Each row gets the trader-unit metrics of [`Metric`] (docs/method.md, Units):
//!
//! | metric | definition |
//! |---|---|
//! | market_value | q·m·V ($; futures 0, variance swaps their mark-to-market) |
//! | delta, dollar_delta | q·m·Δ in units of the leg's own underlying, and × that underlying |
//! | gamma, dollar_gamma | q·m·Γ per point, and q·m·Γ·U²/100 ($ delta per 1 % move) |
//! | vega | $ per point of the leg's own vol (q·m·∂V/∂σ/100) |
//! | theta | $ per calendar day (q·m·(−∂V/∂T)/365) |
//! | rho | $ per 1 % of rate |
//! | vanna | shares of delta per vol point; volga: $ vega per vol point; charm: shares per day |
//! | spx_delta, spx_dollar_delta | SPX shares-equivalent delta and × S |
//! | spx_gamma | SPX-equivalent gamma per SPX point |
//! | spx_vega | $ per SPX implied-vol point |
//! | tw_vega | spx_vega·√(30/DTE), DTE floored at 1 |
//! | unrealized_pnl | q·m·(V − entry price); NaN without an entry price |
//!
//! [`crate::book::risk`] computes these metrics and their sums per layer.

use crate::error::CoreError;
use crate::option::inputs::Column;

/// What a leg is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum LegKind {
    /// An SPX (or SPXW) option: BSM on spot.
    SpxOption = 0,
    /// A VIX option: Black-76 on the VIX future of its expiry.
    VixOption = 1,
    /// A VIX future (VX or VXM).
    VixFuture = 2,
    /// A variance swap on SPX.
    VarianceSwap = 3,
    /// An S&P 500 future (ES or MES): the SPX forward S·e^{(r−q)T} to its expiry.
    SpxFuture = 4,
}

/// The per-leg metrics, in column order (see the module table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// $ market value.
    MarketValue,
    /// Own-underlying delta (units of the underlying).
    Delta,
    /// Own-underlying $ delta.
    DollarDelta,
    /// Own-underlying gamma per point.
    Gamma,
    /// $ delta change per 1 % move of the own underlying.
    DollarGamma,
    /// $ per own vol point.
    Vega,
    /// $ per day.
    Theta,
    /// $ per 1 % rate.
    Rho,
    /// Delta change per own vol point.
    Vanna,
    /// $ vega change per own vol point.
    Volga,
    /// Delta change per day.
    Charm,
    /// SPX shares-equivalent delta.
    SpxDelta,
    /// SPX $ delta.
    SpxDollarDelta,
    /// SPX-equivalent gamma per SPX point.
    SpxGamma,
    /// $ per SPX vol point.
    SpxVega,
    /// Time-weighted SPX vega.
    TimeWeightedVega,
    /// $ unrealized P&L against the entry price.
    UnrealizedPnl,
}

impl Metric {
    /// Every metric, in column order.
    pub const ALL: [Metric; 17] = [
        Metric::MarketValue,
        Metric::Delta,
        Metric::DollarDelta,
        Metric::Gamma,
        Metric::DollarGamma,
        Metric::Vega,
        Metric::Theta,
        Metric::Rho,
        Metric::Vanna,
        Metric::Volga,
        Metric::Charm,
        Metric::SpxDelta,
        Metric::SpxDollarDelta,
        Metric::SpxGamma,
        Metric::SpxVega,
        Metric::TimeWeightedVega,
        Metric::UnrealizedPnl,
    ];
    /// Number of metrics.
    pub const COUNT: usize = Metric::ALL.len();

    /// The column name (as the Python layer spells it).
    pub fn name(self) -> &'static str {
        match self {
            Metric::MarketValue => "market_value",
            Metric::Delta => "delta",
            Metric::DollarDelta => "dollar_delta",
            Metric::Gamma => "gamma",
            Metric::DollarGamma => "dollar_gamma",
            Metric::Vega => "vega",
            Metric::Theta => "theta",
            Metric::Rho => "rho",
            Metric::Vanna => "vanna",
            Metric::Volga => "volga",
            Metric::Charm => "charm",
            Metric::SpxDelta => "spx_delta",
            Metric::SpxDollarDelta => "spx_dollar_delta",
            Metric::SpxGamma => "spx_gamma",
            Metric::SpxVega => "spx_vega",
            Metric::TimeWeightedVega => "tw_vega",
            Metric::UnrealizedPnl => "unrealized_pnl",
        }
    }
}

/// Maturity buckets by DTE (docs/method.md, Units): 0–7, 8–21, 22–45, 46–90, 90+.
pub const BUCKET_UPPER_DTE: [f64; 4] = [7.0, 21.0, 45.0, 90.0];
/// Number of maturity buckets.
pub const BUCKETS: usize = BUCKET_UPPER_DTE.len() + 1;

/// The maturity bucket of a DTE.
#[inline(always)]
pub fn bucket(dte: f64) -> usize {
    BUCKET_UPPER_DTE.iter().map(|&upper| usize::from(dte > upper)).sum()
}

/// One row per leg. Option inputs are ignored by futures; see [`crate::book::risk`] for variance swaps.
pub struct LegInputs<'a> {
    /// [`LegKind`] codes.
    pub kind: &'a [u8],
    /// Signed contracts (variance swaps: signed vega notional in $ per vol point).
    pub quantity: &'a [f64],
    /// Contract multiplier (variance swaps: 1).
    pub multiplier: &'a [f64],
    /// SPX spot (SPX options and futures) or the leg's VIX future (VIX options and futures).
    pub underlying: &'a [f64],
    /// Option strike; variance swap strike vol (decimal).
    pub strike: &'a [f64],
    /// Years to expiry.
    pub time_to_expiry: &'a [f64],
    /// Implied vol (decimal): SPX smile vol, VIX option vol, variance swap implied vol.
    pub vol: &'a [f64],
    /// Rate.
    pub rate: Column<'a>,
    /// SPX dividend yield to the leg's expiry (SPX options and futures).
    pub div_yield: &'a [f64],
    /// Call (true) or put (options).
    pub is_call: &'a [bool],
    /// Calendar days to expiry (buckets and time-weighted vega).
    pub dte: &'a [f64],
    /// β(τ) of the leg's VIX future (VIX legs; ignored otherwise).
    pub term_beta: &'a [f64],
    /// Entry price per unit (NaN when unknown).
    pub entry_price: &'a [f64],
    /// Variance swaps: remaining fraction of the term f.
    pub remaining_fraction: &'a [f64],
    /// Variance swaps: accrued realised variance (1 − f)·σ_R² (decimal²).
    pub accrued_variance: &'a [f64],
    /// Layer index of each leg, < `layers`.
    pub layer: &'a [u32],
}

/// The market scalars the SPX-equivalent mapping needs.
#[derive(Clone, Copy, Debug)]
pub struct LinkInputs {
    /// SPX spot.
    pub spx_spot: f64,
    /// Spot VIX.
    pub vix_spot: f64,
    /// β in ln(VIX′/VIX) = β·ln(S′/S).
    pub log_beta: f64,
}

impl LegInputs<'_> {
    /// Check lengths, kinds and layer indices; the number of legs.
    pub(crate) fn check(&self, layers: usize) -> Result<usize, CoreError> {
        let rows = self.kind.len();
        let columns: [(&'static str, usize); 14] = [
            ("quantity", self.quantity.len()),
            ("multiplier", self.multiplier.len()),
            ("underlying", self.underlying.len()),
            ("strike", self.strike.len()),
            ("time_to_expiry", self.time_to_expiry.len()),
            ("vol", self.vol.len()),
            ("div_yield", self.div_yield.len()),
            ("is_call", self.is_call.len()),
            ("dte", self.dte.len()),
            ("term_beta", self.term_beta.len()),
            ("entry_price", self.entry_price.len()),
            ("remaining_fraction", self.remaining_fraction.len()),
            ("accrued_variance", self.accrued_variance.len()),
            ("layer", self.layer.len()),
        ];
        for (argument, length) in columns {
            if length != rows {
                return Err(CoreError::Length { argument, length, expected: rows });
            }
        }
        self.rate.check_length("rate", rows)?;
        if let Some(row) = self.kind.iter().position(|&k| k > LegKind::SpxFuture as u8) {
            return Err(CoreError::Domain {
                argument: "kind",
                row,
                value: f64::from(self.kind[row]),
                allowed: "a leg kind code 0 (SPX option), 1 (VIX option), 2 (VIX future), 3 (variance swap) or 4 (S&P 500 future)",
            });
        }
        if let Some(row) = self.layer.iter().position(|&l| l as usize >= layers) {
            return Err(CoreError::Domain {
                argument: "layer",
                row,
                value: f64::from(self.layer[row]),
                allowed: "a layer index below the number of layers",
            });
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_close_at_their_upper_dte() {
        let cases = [(0.0, 0), (7.0, 0), (7.5, 1), (21.0, 1), (22.0, 2), (45.0, 2), (46.0, 3), (90.0, 3), (90.5, 4)];
        for (dte, expected) in cases {
            assert_eq!(bucket(dte), expected, "dte {dte}");
        }
        assert_eq!(BUCKETS, 5);
    }

    #[test]
    fn metrics_are_named_in_column_order() {
        for (column, metric) in Metric::ALL.iter().enumerate() {
            assert_eq!(*metric as usize, column, "{metric:?}");
        }
        assert_eq!(Metric::ALL[0].name(), "market_value");
        assert_eq!(Metric::TimeWeightedVega.name(), "tw_vega");
        let mut names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Metric::COUNT);
    }

    /// Two legs of one column each, valid except for what a test changes.
    struct Columns {
        kind: Vec<u8>,
        values: Vec<f64>,
        is_call: Vec<bool>,
        layer: Vec<u32>,
        short: Vec<f64>,
    }

    impl Columns {
        fn new() -> Columns {
            Columns {
                kind: vec![0, 2],
                values: vec![1.0, 1.0],
                is_call: vec![true, true],
                layer: vec![0, 1],
                short: vec![1.0],
            }
        }

        fn legs(&self, strike_too_short: bool) -> LegInputs<'_> {
            let v = &self.values;
            LegInputs {
                kind: &self.kind,
                quantity: v,
                multiplier: v,
                underlying: v,
                strike: if strike_too_short { &self.short } else { v },
                time_to_expiry: v,
                vol: v,
                rate: Column::Scalar(0.0),
                div_yield: v,
                is_call: &self.is_call,
                dte: v,
                term_beta: v,
                entry_price: v,
                remaining_fraction: v,
                accrued_variance: v,
                layer: &self.layer,
            }
        }
    }

    #[test]
    fn check_names_the_bad_column_kind_or_layer() {
        let mut c = Columns::new();
        assert_eq!(c.legs(false).check(2), Ok(2));
        assert_eq!(c.legs(true).check(2), Err(CoreError::Length { argument: "strike", length: 1, expected: 2 }));
        assert!(matches!(c.legs(false).check(1), Err(CoreError::Domain { argument: "layer", row: 1, .. })));
        c.kind[1] = LegKind::SpxFuture as u8;
        assert_eq!(c.legs(false).check(2), Ok(2));
        c.kind[1] = LegKind::SpxFuture as u8 + 1;
        assert!(matches!(c.legs(false).check(2), Err(CoreError::Domain { argument: "kind", row: 1, value: 5.0, .. })));
    }
}
