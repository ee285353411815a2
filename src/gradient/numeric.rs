//! Central finite differences over the parameters of any burn module:
//! dC/dtheta_k ~ (C(theta + h e_k) - C(theta - h e_k)) / (2 h).
//!
//! The step is scaled to the parameter, h = s * max(|theta_k|, 1), with s = cbrt(machine eps)
//! of the dtype the loss is evaluated in: that balances the truncation error (~h^2) against
//! the rounding error of the two loss values (~eps |C| / h). The difference quotient itself is
//! formed in f64 from the steps actually stored (theta +- h rounded to the dtype).

use super::params;
use crate::config::DType;
use burn::module::Module;

/// Relative step s for a dtype: cbrt(eps), 4.9e-3 for f32 and 6.1e-6 for f64.
pub fn relative_step(dtype: DType) -> f64 {
    match dtype {
        DType::F32 => (f32::EPSILON as f64).cbrt(),
        DType::F64 => f64::EPSILON.cbrt(),
    }
}

/// The step used for a parameter of value `theta`.
pub fn step(theta: f64, dtype: DType) -> f64 {
    relative_step(dtype) * theta.abs().max(1.0)
}

/// The finite-difference gradient of `loss` at `m`, in `params::values` order.
pub fn gradient<M: Module>(m: &M, dtype: DType, loss: impl Fn(&M) -> f64) -> Vec<f64> {
    let theta = params::values(m);
    (0..theta.len())
        .map(|k| {
            let h = step(theta[k], dtype);
            let mut plus = theta.clone();
            plus[k] += h;
            let mut minus = theta.clone();
            minus[k] -= h;
            let (mp, mm) = (params::with_values(m, &plus), params::with_values(m, &minus));
            // The device may round theta +- h: divide by the step that was really taken.
            let taken = params::values(&mp)[k] - params::values(&mm)[k];
            (loss(&mp) - loss(&mm)) / taken
        })
        .collect()
}
