//! A sample book for tests: every leg kind, several layers, deterministic values.

use crate::book::legs::{LegInputs, LegKind, LinkInputs};
use crate::option::inputs::Column;

/// A book of every leg kind: the first `single` legs in layer 0 (whole blocks of one layer),
/// the rest spread over three layers.
pub(crate) struct Book {
    pub(crate) kind: Vec<u8>,
    pub(crate) quantity: Vec<f64>,
    pub(crate) multiplier: Vec<f64>,
    pub(crate) underlying: Vec<f64>,
    pub(crate) strike: Vec<f64>,
    pub(crate) time_to_expiry: Vec<f64>,
    pub(crate) vol: Vec<f64>,
    pub(crate) div_yield: Vec<f64>,
    pub(crate) is_call: Vec<bool>,
    pub(crate) dte: Vec<f64>,
    pub(crate) term_beta: Vec<f64>,
    pub(crate) entry_price: Vec<f64>,
    pub(crate) remaining_fraction: Vec<f64>,
    pub(crate) accrued_variance: Vec<f64>,
    pub(crate) layer: Vec<u32>,
}

pub(crate) const LAYERS: usize = 3;
pub(crate) const LINK: LinkInputs = LinkInputs { spx_spot: 4500.0, vix_spot: 18.0, log_beta: -4.0 };

pub(crate) fn book(rows: usize, single: usize) -> Book {
    let kinds = [
        LegKind::SpxOption,
        LegKind::SpxOption,
        LegKind::VixOption,
        LegKind::VixFuture,
        LegKind::VarianceSwap,
        LegKind::SpxFuture,
    ];
    let mut b = Book {
        kind: vec![],
        quantity: vec![],
        multiplier: vec![],
        underlying: vec![],
        strike: vec![],
        time_to_expiry: vec![],
        vol: vec![],
        div_yield: vec![],
        is_call: vec![],
        dte: vec![],
        term_beta: vec![],
        entry_price: vec![],
        remaining_fraction: vec![],
        accrued_variance: vec![],
        layer: vec![],
    };
    for i in 0..rows {
        let kind = kinds[i % kinds.len()];
        let spx = matches!(kind, LegKind::SpxOption | LegKind::VarianceSwap | LegKind::SpxFuture);
        let time = 0.01 + (i % 53) as f64 * 0.007;
        b.kind.push(kind as u8);
        b.quantity.push((i % 7) as f64 - 3.5);
        b.multiplier.push(match kind {
            LegKind::VixFuture => 1000.0,
            LegKind::VarianceSwap => 1.0,
            LegKind::SpxFuture => 50.0,
            _ => 100.0,
        });
        b.underlying.push(if spx { LINK.spx_spot } else { 17.0 + (i % 5) as f64 });
        b.strike.push(match kind {
            LegKind::SpxOption => 3800.0 + (i % 61) as f64 * 25.0,
            LegKind::VarianceSwap => 0.19,
            LegKind::SpxFuture => 0.0, // futures have no strike (the Python layer passes 0)
            _ => 14.0 + (i % 17) as f64,
        });
        b.time_to_expiry.push(time);
        b.vol.push(if spx { 0.12 + (i % 11) as f64 * 0.02 } else { 0.9 });
        b.div_yield.push(0.013);
        b.is_call.push(i % 2 == 0);
        b.dte.push(time * 365.0);
        b.term_beta.push(0.4 + (i % 4) as f64 * 0.15);
        b.entry_price.push(1.0 + (i % 13) as f64);
        b.remaining_fraction.push(0.6);
        b.accrued_variance.push(0.4 * 0.03);
        b.layer.push(if i < single { 0 } else { (i % LAYERS) as u32 });
    }
    b
}

impl Book {
    pub(crate) fn legs(&self) -> LegInputs<'_> {
        LegInputs {
            kind: &self.kind,
            quantity: &self.quantity,
            multiplier: &self.multiplier,
            underlying: &self.underlying,
            strike: &self.strike,
            time_to_expiry: &self.time_to_expiry,
            vol: &self.vol,
            rate: Column::Scalar(0.04),
            div_yield: &self.div_yield,
            is_call: &self.is_call,
            dte: &self.dte,
            term_beta: &self.term_beta,
            entry_price: &self.entry_price,
            remaining_fraction: &self.remaining_fraction,
            accrued_variance: &self.accrued_variance,
            layer: &self.layer,
        }
    }
}
