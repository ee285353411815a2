//! The loss surface: C over a grid of one or two parameters, the others held where they are,
//! and the `lo:hi` ranges that give its extent. `gdlab surface` plots it; the live lab's pages
//! draw the same grid under the iterates.

use crate::gradient::{LossFn, params};
use crate::nn::model::Network;

/// `lo:hi` with lo < hi, both finite; the message names the bad part.
pub fn parse_range(t: &str) -> Result<(f64, f64), String> {
    let (a, b) = t.split_once(':').ok_or_else(|| format!("`{t}` is not lo:hi"))?;
    let num = |v: &str| v.trim().parse::<f64>().map_err(|_| format!("`{}` is not a number", v.trim()));
    let (a, b) = (num(a)?, num(b)?);
    if !(a.is_finite() && b.is_finite() && a < b) {
        return Err(format!("`{t}`: lo must be below hi, both finite"));
    }
    Ok((a, b))
}

/// `n` evenly spaced points from lo to hi, both ends included (n >= 2).
pub fn axis((lo, hi): (f64, f64), n: usize) -> Vec<f64> {
    (0..n).map(|k| lo + (hi - lo) * k as f64 / (n - 1) as f64).collect()
}

/// C with parameter `i` at each of `xs` and (when given) parameter `j` at each of `ys`, every
/// other parameter at its value in `model`: one row per y (a single row without `ys`).
pub fn loss_grid(loss: &LossFn, model: &Network, i: usize, xs: &[f64], j: Option<(usize, &[f64])>) -> Vec<Vec<f64>> {
    let mut theta = params::values(model);
    let mut at = |x: f64, y: Option<f64>| {
        theta[i] = x;
        if let (Some((j, _)), Some(y)) = (j, y) {
            theta[j] = y;
        }
        loss.value(&params::with_values(model, &theta))
    };
    match j {
        None => vec![xs.iter().map(|&x| at(x, None)).collect()],
        Some((_, ys)) => ys.iter().map(|&y| xs.iter().map(|&x| at(x, Some(y))).collect()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_need_lo_below_hi_and_finite_numbers() {
        assert_eq!(parse_range(" -3 : 2.5"), Ok((-3.0, 2.5)));
        assert!(parse_range("3:1").unwrap_err().contains("lo must be below hi"));
        assert!(parse_range("1:inf").unwrap_err().contains("finite"));
        assert!(parse_range("1").unwrap_err().contains("not lo:hi"));
        assert!(parse_range("a:1").unwrap_err().contains("`a` is not a number"));
    }

    #[test]
    fn an_axis_includes_both_ends() {
        assert_eq!(axis((-1.0, 1.0), 5), [-1.0, -0.5, 0.0, 0.5, 1.0]);
    }
}
