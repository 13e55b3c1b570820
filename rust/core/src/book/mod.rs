//! A book's legs: `legs` describes them (kinds, trader-unit metrics, maturity buckets),
//! `risk` values them and sums the metrics per layer, and `smile` reads SPX vols off the quoted
//! smiles.

pub mod legs;
pub mod risk;
pub mod smile;

#[cfg(test)]
pub(crate) mod sample;
