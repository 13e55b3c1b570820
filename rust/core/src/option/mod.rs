//! European options: `black` is the normalised Black function, `european` prices one block of
//! options with Greeks (BSM or Black-76), `iv` inverts it for implied volatility, `inputs` holds
//! the slice API's columns and their checks, and `batch` runs prices, Greeks and implied vols over
//! slices of any length.

pub mod batch;
pub mod black;
pub mod european;
pub mod inputs;
pub mod iv;
