//! Branch-free scalar functions the kernels are built from: `elementary` (exp, expm1, ln, exact
//! sums), `normal` (erfcx, Φ, φ, an inverse of Φ) and `rational_cubic` (the interpolation of the
//! implied-volatility initial guess).

pub mod elementary;
pub mod normal;
pub mod rational_cubic;
