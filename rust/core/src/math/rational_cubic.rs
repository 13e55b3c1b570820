//! Shape-preserving rational cubic interpolation (R. Delbourgo & J. A. Gregory, "Shape preserving
//! piecewise rational interpolation", SIAM J. Sci. Stat. Comput. 6 (1985) 967–976), used by the
//! implied-volatility initial guesses. Written with selects so that it vectorises.
//!
//! On [x_l, x_r] with values y_l, y_r, slopes d_l, d_r and control parameter r > −1:
//!
//! ```text
//! y(t) = [y_r t³ + (r y_r − h d_r) t²(1−t) + (r y_l + h d_l) t(1−t)² + y_l (1−t)³] / [1 + (r−3) t(1−t)]
//! ```
//!
//! with h = x_r − x_l and t = (x − x_l)/h; r = 3 gives the cubic Hermite interpolant and r → ∞
//! the straight line.

const MIN_CONTROL: f64 = -(1.0 - 1.490_116_119_384_765_6e-8); // −(1 − √ε)
const MAX_CONTROL: f64 = 2.0 / (f64::EPSILON * f64::EPSILON);

/// The interpolant at `x`.
#[inline(always)]
pub fn interpolate(x: f64, x_l: f64, x_r: f64, y_l: f64, y_r: f64, d_l: f64, d_r: f64, r: f64) -> f64 {
    let h = x_r - x_l;
    let safe_h = if h == 0.0 { 1.0 } else { h };
    let t = (x - x_l) / safe_h;
    let omt = 1.0 - t;
    let (t2, omt2) = (t * t, omt * omt);
    let rational = (y_r * t2 * t + (r * y_r - h * d_r) * t2 * omt + (r * y_l + h * d_l) * t * omt2 + y_l * omt2 * omt)
        / (1.0 + (r - 3.0) * t * omt);
    let linear = y_r * t + y_l * omt;
    if h == 0.0 {
        0.5 * (y_l + y_r)
    } else if r >= MAX_CONTROL {
        linear
    } else {
        rational
    }
}

/// The control parameter that makes the interpolant's second derivative at x_l equal `second_l`.
#[inline(always)]
fn control_for_left_curvature(x_l: f64, x_r: f64, y_l: f64, y_r: f64, d_l: f64, d_r: f64, second_l: f64) -> f64 {
    let h = x_r - x_l;
    let numerator = 0.5 * h * second_l + (d_r - d_l);
    let denominator = (y_r - y_l) / h - d_l;
    fit(numerator, denominator)
}

/// The control parameter that makes the interpolant's second derivative at x_r equal `second_r`.
#[inline(always)]
fn control_for_right_curvature(x_l: f64, x_r: f64, y_l: f64, y_r: f64, d_l: f64, d_r: f64, second_r: f64) -> f64 {
    let h = x_r - x_l;
    let numerator = 0.5 * h * second_r + (d_r - d_l);
    let denominator = d_r - (y_r - y_l) / h;
    fit(numerator, denominator)
}

#[inline(always)]
fn fit(numerator: f64, denominator: f64) -> f64 {
    if numerator.abs() < f64::MIN_POSITIVE {
        0.0
    } else if denominator.abs() < f64::MIN_POSITIVE {
        if numerator > 0.0 { MAX_CONTROL } else { MIN_CONTROL }
    } else {
        numerator / denominator
    }
}

/// The smallest control parameter that keeps the interpolant monotone and convex/concave where
/// the data are (Delbourgo & Gregory (3.8) and (3.18)).
#[inline(always)]
fn minimum_control(d_l: f64, d_r: f64, slope: f64, prefer_shape: bool) -> f64 {
    let monotonic = d_l * slope >= 0.0 && d_r * slope >= 0.0;
    let convex = d_l <= slope && slope <= d_r;
    let concave = d_l >= slope && slope >= d_r;
    let tiny = |v: f64| v.abs() < f64::MIN_POSITIVE;
    let r1 = if monotonic {
        if !tiny(slope) {
            (d_r + d_l) / if tiny(slope) { 1.0 } else { slope }
        } else if prefer_shape {
            MAX_CONTROL
        } else {
            f64::MIN
        }
    } else {
        f64::MIN
    };
    let (d_r_m_d_l, d_r_m_s, s_m_d_l) = (d_r - d_l, d_r - slope, slope - d_l);
    let r2 = if convex || concave {
        if !(tiny(s_m_d_l) || tiny(d_r_m_s)) {
            let a = (d_r_m_d_l / if tiny(d_r_m_s) { 1.0 } else { d_r_m_s }).abs();
            let b = (d_r_m_d_l / if tiny(s_m_d_l) { 1.0 } else { s_m_d_l }).abs();
            if a > b { a } else { b }
        } else if prefer_shape {
            MAX_CONTROL
        } else {
            f64::MIN
        }
    } else if monotonic && prefer_shape {
        MAX_CONTROL
    } else {
        f64::MIN
    };
    let r = if r1 > r2 { r1 } else { r2 };
    let shape_possible = monotonic || convex || concave;
    if !shape_possible {
        MIN_CONTROL
    } else if r > MIN_CONTROL {
        r
    } else {
        MIN_CONTROL
    }
}

/// Control parameter fitting the left curvature, raised if needed to keep the shape.
#[inline(always)]
pub fn control_left(
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    second_l: f64,
    prefer_shape: bool,
) -> f64 {
    let r = control_for_left_curvature(x_l, x_r, y_l, y_r, d_l, d_r, second_l);
    let r_min = minimum_control(d_l, d_r, (y_r - y_l) / (x_r - x_l), prefer_shape);
    if r > r_min { r } else { r_min }
}

/// Control parameter fitting the right curvature, raised if needed to keep the shape.
#[inline(always)]
pub fn control_right(
    x_l: f64,
    x_r: f64,
    y_l: f64,
    y_r: f64,
    d_l: f64,
    d_r: f64,
    second_r: f64,
    prefer_shape: bool,
) -> f64 {
    let r = control_for_right_curvature(x_l, x_r, y_l, y_r, d_l, d_r, second_r);
    let r_min = minimum_control(d_l, d_r, (y_r - y_l) / (x_r - x_l), prefer_shape);
    if r > r_min { r } else { r_min }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reproduces_end_points_and_a_line() {
        let r = 3.0;
        assert_eq!(interpolate(1.0, 1.0, 2.0, 5.0, 7.0, 2.0, 2.0, r), 5.0);
        assert!((interpolate(2.0, 1.0, 2.0, 5.0, 7.0, 2.0, 2.0, r) - 7.0).abs() < 1e-15);
        // A straight line is reproduced for any control parameter.
        for &r in &[0.0, 3.0, 10.0, 1e3] {
            let y = interpolate(1.25, 1.0, 2.0, 5.0, 7.0, 2.0, 2.0, r);
            assert!((y - 5.5).abs() < 1e-14, "r = {r}: {y}");
        }
    }

    #[test]
    fn convex_data_stays_convex() {
        // y = x² on [0, 1]: slopes 0 and 2.
        let r = control_right(0.0, 1.0, 0.0, 1.0, 0.0, 2.0, 2.0, true);
        let ys: Vec<f64> = (0..=10).map(|i| interpolate(i as f64 / 10.0, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0, r)).collect();
        for w in ys.windows(3) {
            assert!(w[0] + w[2] - 2.0 * w[1] >= -1e-12);
        }
    }
}
