//! Side by side: autodiff, the hand-derived formula and finite differences, per scalar
//! parameter, with a verdict against a tolerance that depends on the dtype.
//!
//! Tolerances (|a - b| <= atol + rtol * max(|a|, |b|)), G = max(1, largest |gradient|),
//! C = max(1, |loss|):
//! - formula vs autodiff: both are exact derivatives, so they differ only by rounding in the
//!   dtype the autodiff ran in. f64: atol 1e-9 G, rtol 1e-7 (burn's ndarray computes sigmoid
//!   in f32 even on f64 devices, which costs ~1e-9). f32: atol 1e-5 G, rtol 1e-4 (eps 1.2e-7
//!   times sums over n rows, and inputs rounded to f32 on the device, against f64 formulas).
//! - finite differences vs autodiff: the quotient's rounding error is ~eps C / h with
//!   h = cbrt(eps) max(|theta|, 1), i.e. ~2.4e-5 C in f32 and ~3.7e-11 C in f64, plus a
//!   truncation error ~h^2. f64: atol 1e-7 C, rtol 1e-5; f32: atol 1e-3 C, rtol 1e-2.
//!
//! MAE has a kink at zero residual: where a row's residual lies inside the finite-difference
//! stencil, the quotient straddles the kink and is not a derivative; such rows are reported as
//! "kink" instead of a failure (autodiff and the formula still must agree).

use crate::config::DType;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Tolerance {
    pub fn accepts(&self, a: f64, b: f64) -> bool {
        (a - b).abs() <= self.atol + self.rtol * a.abs().max(b.abs())
    }
}

/// (formula vs autodiff, finite differences vs autodiff) for a dtype, a loss value and the
/// largest gradient entry.
pub fn tolerances(dtype: DType, loss: f64, max_grad: f64) -> (Tolerance, Tolerance) {
    let c = loss.abs().max(1.0);
    let g = max_grad.abs().max(1.0);
    match dtype {
        DType::F64 => (Tolerance { atol: 1e-9 * g, rtol: 1e-7 }, Tolerance { atol: 1e-7 * c, rtol: 1e-5 }),
        DType::F32 => (Tolerance { atol: 1e-5 * g, rtol: 1e-4 }, Tolerance { atol: 1e-3 * c, rtol: 1e-2 }),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Ok,
    Fail,
    /// Finite differences straddle an MAE kink; autodiff and the formula agree.
    Kink,
    /// The loss is not finite at these parameters (where a diverged run ends): there is no
    /// derivative to compare, so nothing is checked.
    Undefined,
}

#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Parameter tensor path in the module, e.g. "layers.0.weight".
    pub name: String,
    /// Flat index within that tensor (row-major).
    pub index: usize,
    /// Friendly name, e.g. "w_age" or "b".
    pub label: String,
    pub value: f64,
    pub autodiff: f64,
    pub analytic: Option<f64>,
    pub numeric: f64,
    /// Largest |autodiff - other| over the other two.
    pub abs_err: f64,
    pub rel_err: f64,
    pub verdict: Verdict,
}

/// Input columns, one entry per scalar parameter.
pub struct Columns<'a> {
    pub names: &'a [(String, usize)],
    pub labels: &'a [String],
    pub values: &'a [f64],
    pub autodiff: &'a [f64],
    pub analytic: Option<&'a [f64]>,
    pub numeric: &'a [f64],
}

pub fn compare(c: &Columns, dtype: DType, loss: f64, kink: bool) -> Vec<Row> {
    let max_grad = c.autodiff.iter().fold(0.0f64, |m, g| m.max(g.abs()));
    let (formula_tol, numeric_tol) = tolerances(dtype, loss, max_grad);
    (0..c.values.len())
        .map(|k| {
            let ad = c.autodiff[k];
            let an = c.analytic.map(|a| a[k]);
            let num = c.numeric[k];
            let abs_err = (ad - num).abs().max(an.map_or(0.0, |a| (ad - a).abs()));
            let scale = ad.abs().max(num.abs()).max(an.map_or(0.0, f64::abs));
            let rel_err = if abs_err == 0.0 { 0.0 } else { abs_err / scale.max(f64::MIN_POSITIVE) };
            let formula_ok = an.is_none_or(|a| formula_tol.accepts(ad, a));
            let numeric_ok = numeric_tol.accepts(ad, num);
            let verdict = match (formula_ok, numeric_ok) {
                _ if !loss.is_finite() => Verdict::Undefined,
                (true, true) => Verdict::Ok,
                (true, false) if kink => Verdict::Kink,
                _ => Verdict::Fail,
            };
            Row {
                name: c.names[k].0.clone(),
                index: c.names[k].1,
                label: c.labels[k].clone(),
                value: c.values[k],
                autodiff: ad,
                analytic: an,
                numeric: num,
                abs_err,
                rel_err,
                verdict,
            }
        })
        .collect()
}

/// The table as text.
/// `method` names the formula column ("analytic" or "backprop").
pub fn table(rows: &[Row], method: &str) -> String {
    let mut out = format!(
        "{:<14} {:>13} {:>15} {:>15} {:>15} {:>10} {:>10}  verdict\n",
        "parameter", "value", "autodiff", method, "numeric", "abs err", "rel err"
    );
    for r in rows {
        let an = r.analytic.map_or("-".to_string(), |a| format!("{a:.8e}"));
        out += &format!(
            "{:<14} {:>13} {:>15.8e} {:>15} {:>15.8e} {:>10.2e} {:>10.2e}  {:?}\n",
            r.label,
            crate::report::number(r.value),
            r.autodiff,
            an,
            r.numeric,
            r.abs_err,
            r.rel_err,
            r.verdict
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(analytic: &[f64], numeric: &[f64], kink: bool) -> Vec<Row> {
        let names = vec![("linear.weight".to_string(), 0), ("linear.bias".to_string(), 0)];
        let labels = vec!["w_x".to_string(), "b".to_string()];
        compare(
            &Columns { names: &names, labels: &labels, values: &[0.5, 0.1], autodiff: &[1.25, -0.5], analytic: Some(analytic), numeric },
            DType::F64,
            0.3,
            kink,
        )
    }

    #[test]
    fn agreement_passes() {
        let rows = run(&[1.25, -0.5], &[1.25 + 1e-9, -0.5], false);
        assert!(rows.iter().all(|r| r.verdict == Verdict::Ok));
    }

    #[test]
    fn a_wrong_formula_fails_and_names_the_parameter() {
        let rows = run(&[1.25, -0.5 * 1.001], &[1.25, -0.5], false);
        assert_eq!(rows[0].verdict, Verdict::Ok);
        assert_eq!(rows[1].verdict, Verdict::Fail);
        assert_eq!(rows[1].label, "b");
        assert!((rows[1].abs_err - 5e-4).abs() < 1e-12);
    }

    #[test]
    fn a_wrong_numeric_fails_unless_at_a_kink() {
        assert_eq!(run(&[1.25, -0.5], &[1.0, -0.5], false)[0].verdict, Verdict::Fail);
        assert_eq!(run(&[1.25, -0.5], &[1.0, -0.5], true)[0].verdict, Verdict::Kink);
        // A kink never excuses a wrong formula.
        assert_eq!(run(&[1.0, -0.5], &[1.0, -0.5], true)[0].verdict, Verdict::Fail);
    }
}
