//! The inputs of the slice API: each a [`Column`] (one value for every row, or one per row) or
//! [`Flags`], their length and domain checks, and the `Block` of [`BLOCK`] rows a kernel gathers
//! them into (broadcasting scalars for free).
//!
//! Invalid rows: a NaN or infinite input gives NaN outputs for that row only. A value outside its
//! domain (underlying or strike ≤ 0, time or vol < 0) is an error naming the argument, row and
//! value, found before any output is written — or, with [`InvalidRows::Nan`], NaN outputs for
//! that row.

use crate::error::CoreError;
use crate::option::european::{self, Model};
use crate::runtime::dispatch::BLOCK;
use crate::runtime::parallel::map_chunks;
use std::ops::Range;

/// One input: a single value for every row, or one value per row.
#[derive(Clone, Copy, Debug)]
pub enum Column<'a> {
    /// The same value in every row.
    Scalar(f64),
    /// One value per row.
    Values(&'a [f64]),
}

/// A per-row flag (call or put): a single value, or one per row.
#[derive(Clone, Copy, Debug)]
pub enum Flags<'a> {
    /// The same flag in every row.
    Scalar(bool),
    /// One flag per row.
    Values(&'a [bool]),
}

impl Column<'_> {
    /// Rows `first..first + into.len()` into `into` (a scalar broadcast).
    #[inline(always)]
    pub(crate) fn gather(&self, first: usize, into: &mut [f64]) {
        match self {
            Column::Scalar(v) => into.fill(*v),
            Column::Values(values) => into.copy_from_slice(&values[first..first + into.len()]),
        }
    }

    pub(crate) fn check_length(&self, argument: &'static str, expected: usize) -> Result<(), CoreError> {
        match self {
            Column::Values(v) if v.len() != expected => Err(CoreError::Length { argument, length: v.len(), expected }),
            _ => Ok(()),
        }
    }

    /// Whether a finite value among rows `range` is outside `domain` (NaN and ±∞ never are: they
    /// only give NaN outputs): a branch-free pass that LLVM vectorises.
    #[inline(always)]
    fn violates(&self, range: Range<usize>, domain: Domain) -> bool {
        match self {
            Column::Scalar(v) => !range.is_empty() && domain.excludes(*v),
            Column::Values(values) => values[range].iter().fold(false, |seen, &v| seen | domain.excludes(v)),
        }
    }

    /// The first row whose finite value is outside `domain`, as an error naming it.
    fn first_violation(&self, argument: &'static str, rows: usize, domain: Domain) -> Option<CoreError> {
        let (row, value) = match self {
            Column::Scalar(v) => (rows > 0 && domain.excludes(*v)).then_some((0, *v)),
            Column::Values(values) => values.iter().position(|&v| domain.excludes(v)).map(|row| (row, values[row])),
        }?;
        Some(CoreError::Domain { argument, row, value, allowed: domain.described() })
    }
}

/// The values an argument allows (NaN and ±∞ aside: they give a NaN row).
#[derive(Clone, Copy)]
enum Domain {
    Positive,
    NonNegative,
}

impl Domain {
    /// Whether a finite `v` is outside the domain; every domain allows +∞, so "finite and not
    /// allowed" is "not allowed and above −∞" (two comparisons).
    #[inline(always)]
    fn excludes(self, v: f64) -> bool {
        let allowed = match self {
            Domain::Positive => v > 0.0,
            Domain::NonNegative => v >= 0.0,
        };
        (v > f64::NEG_INFINITY) & !allowed
    }

    fn described(self) -> &'static str {
        match self {
            Domain::Positive => "> 0 (NaN or infinity gives a NaN row)",
            Domain::NonNegative => ">= 0 (NaN or infinity gives a NaN row)",
        }
    }
}

impl Flags<'_> {
    #[inline(always)]
    fn gather(&self, first: usize, into: &mut [bool]) {
        match self {
            Flags::Scalar(v) => into.fill(*v),
            Flags::Values(values) => into.copy_from_slice(&values[first..first + into.len()]),
        }
    }
}

/// What to do with a row whose input is outside its domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidRows {
    /// Return an error naming the first such row.
    Raise,
    /// Give that row NaN outputs.
    Nan,
}

/// The inputs of a batch of options.
#[derive(Clone, Copy, Debug)]
pub struct OptionInputs<'a> {
    /// BSM (underlying = spot) or Black-76 (underlying = forward).
    pub model: Model,
    /// Spot (BSM) or forward (Black-76), > 0.
    pub underlying: Column<'a>,
    /// Strike, > 0.
    pub strike: Column<'a>,
    /// Years to expiry, ≥ 0.
    pub time_to_expiry: Column<'a>,
    /// Volatility (decimal), ≥ 0. Ignored by implied volatility.
    pub vol: Column<'a>,
    /// Continuously compounded rate.
    pub rate: Column<'a>,
    /// Continuous dividend yield (BSM only).
    pub div_yield: Column<'a>,
    /// Call (true) or put (false).
    pub is_call: Flags<'a>,
}

impl OptionInputs<'_> {
    pub(crate) fn check_lengths(&self, rows: usize, with_vol: bool) -> Result<(), CoreError> {
        self.underlying.check_length("underlying", rows)?;
        self.strike.check_length("strike", rows)?;
        self.time_to_expiry.check_length("time_to_expiry", rows)?;
        if with_vol {
            self.vol.check_length("vol", rows)?;
        }
        self.rate.check_length("rate", rows)?;
        self.div_yield.check_length("div_yield", rows)?;
        match self.is_call {
            Flags::Values(v) if v.len() != rows => {
                Err(CoreError::Length { argument: "is_call", length: v.len(), expected: rows })
            }
            _ => Ok(()),
        }
    }

    /// The first out-of-domain value, in argument order. Every call that raises checks every row
    /// before anything is written: one parallel, branch-free pass over the chunks, then the serial
    /// search for the row only when some argument is out of its domain.
    pub(crate) fn first_domain_error(&self, rows: usize, with_vol: bool) -> Option<CoreError> {
        let domains = [
            ("underlying", &self.underlying, Domain::Positive),
            ("strike", &self.strike, Domain::Positive),
            ("time_to_expiry", &self.time_to_expiry, Domain::NonNegative),
            ("vol", &self.vol, Domain::NonNegative),
        ];
        let checked = &domains[..if with_vol { 4 } else { 3 }];
        let broken = map_chunks(rows, (), &|range: Range<usize>, ()| {
            checked.iter().fold(false, |seen, (_, column, domain)| seen | column.violates(range.clone(), *domain))
        });
        if !broken.contains(&true) {
            return None;
        }
        checked.iter().find_map(|(argument, column, domain)| column.first_violation(argument, rows, *domain))
    }
}

/// The rows' inputs gathered for one block.
pub(crate) struct Block {
    pub(crate) len: usize,
    pub(crate) underlying: [f64; BLOCK],
    pub(crate) strike: [f64; BLOCK],
    pub(crate) time: [f64; BLOCK],
    pub(crate) vol: [f64; BLOCK],
    pub(crate) rate: [f64; BLOCK],
    pub(crate) div_yield: [f64; BLOCK],
    pub(crate) is_call: [bool; BLOCK],
}

impl Block {
    pub(crate) fn new() -> Block {
        Block {
            len: 0,
            underlying: [0.0; BLOCK],
            strike: [0.0; BLOCK],
            time: [0.0; BLOCK],
            vol: [0.0; BLOCK],
            rate: [0.0; BLOCK],
            div_yield: [0.0; BLOCK],
            is_call: [true; BLOCK],
        }
    }

    /// Gather rows `[first, first + len)`; `vol` may be another column (the price, for implied vol).
    #[inline(always)]
    pub(crate) fn gather(&mut self, inputs: &OptionInputs, vol: &Column, first: usize, len: usize) {
        let b = self;
        b.len = len;
        inputs.underlying.gather(first, &mut b.underlying[..len]);
        inputs.strike.gather(first, &mut b.strike[..len]);
        inputs.time_to_expiry.gather(first, &mut b.time[..len]);
        vol.gather(first, &mut b.vol[..len]);
        inputs.rate.gather(first, &mut b.rate[..len]);
        inputs.div_yield.gather(first, &mut b.div_yield[..len]);
        inputs.is_call.gather(first, &mut b.is_call[..len]);
    }

    /// The block's rows as slices.
    #[inline(always)]
    pub(crate) fn rows(&self) -> european::Rows<'_> {
        let n = self.len;
        european::Rows {
            underlying: &self.underlying[..n],
            strike: &self.strike[..n],
            time: &self.time[..n],
            vol: &self.vol[..n],
            rate: &self.rate[..n],
            div_yield: &self.div_yield[..n],
            is_call: &self.is_call[..n],
        }
    }

    /// Which rows are computable (every input finite and in its domain, `vol` checked as ≥ 0).
    #[inline(always)]
    pub(crate) fn validity(&self) -> [bool; BLOCK] {
        let mut ok = [false; BLOCK];
        for i in 0..self.len {
            let (u, k, t, v) = (self.underlying[i], self.strike[i], self.time[i], self.vol[i]);
            let finite = u.is_finite()
                && k.is_finite()
                && t.is_finite()
                && v.is_finite()
                && self.rate[i].is_finite()
                && self.div_yield[i].is_finite();
            // ±∞ and NaN are not "out of domain": they give a NaN row without an error.
            let below = |value: f64, limit: f64, inclusive: bool| {
                value.is_finite() && (value < limit || (inclusive && value == limit))
            };
            let out_of_domain =
                below(u, 0.0, true) || below(k, 0.0, true) || below(t, 0.0, false) || below(v, 0.0, false);
            ok[i] = finite && !out_of_domain;
        }
        ok
    }
}
