//! # alvh-core
//!
//! The numerical core of `alvh`: prices, Greeks and implied volatilities of European options
//! under Black–Scholes–Merton (spot, continuous dividend yield) and Black-76 (forward or future),
//! over slices, vectorised and multi-threaded with deterministic results. No Python here; the
//! `alvh-py` crate binds it.
//!
//! ## Units (raw kernel units; trader units live in the Python layer)
//!
//! | quantity | unit |
//! |---|---|
//! | time to expiry | years, ACT/365, intraday allowed |
//! | vol | decimal (0.20 = 20 %) |
//! | rate, dividend yield | continuously compounded, decimal per year |
//! | delta | ∂V/∂S (BSM) or ∂V/∂F (Black-76) |
//! | gamma | ∂²V/∂S² (or ∂²V/∂F²) |
//! | vega | ∂V/∂σ per 1.00 of vol |
//! | theta | −∂V/∂T per year |
//! | rho | ∂V/∂r per 1.00 (Black-76: forward held fixed, so rho = −T·V) |
//! | div_rho | ∂V/∂q per 1.00 (BSM only) |
//! | vanna, volga | ∂²V/∂S∂σ, ∂²V/∂σ² |
//! | charm | −∂Δ/∂T per year |
//!
//! ## Accuracy
//!
//! Prices use the normalised Black function with Jäckel's branches ("Let's Be Rational",
//! Wilmott 2015): an asymptotic expansion in the far tail, a Taylor expansion for small total
//! volatility, and erfcx otherwise, so that out-of-the-money values keep their relative accuracy
//! down to underflow. Implied volatility follows the same paper's rational initial guesses and
//! Householder iterations. Golden values at 50 digits live in `tests/golden/`.
//!
//! ## Layout
//!
//! * [`math`]: branch-free scalar functions (exp and ln, the normal distribution, a rational
//!   cubic).
//! * [`option`]: European options — the normalised Black function, BSM and Black-76 prices and
//!   Greeks, implied volatility, and the slice API that runs them over many rows.
//! * [`book`]: a book's legs in trader units (VIX instruments in SPX terms), their risk per
//!   layer, and the SPX smiles.
//! * [`scenario`]: scenario grids — how the market moves, the revaluation of every leg, and the
//!   Taylor explain.
//! * [`runtime`]: where kernels run — the instruction set picked at run time and the
//!   deterministic thread pool.
//! * [`error`]: the errors every checked entry point returns.

pub mod book;
pub mod error;
pub mod math;
pub mod option;
pub mod runtime;
pub mod scenario;

#[cfg(test)]
mod golden;
