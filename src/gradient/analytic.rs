//! The gradient of a neuron's mean loss, derived by hand and written out, in f64 on the host.
//!
//! For rows i = 1..n with inputs x_i, the neuron computes z_i = x_i . w + b, a_i = f(z_i) and
//! the mean loss C = (1/n) sum_i L(a_i, y_i). The chain rule gives, per row,
//!
//!   delta_i = dL/dz_i = dL/da_i * f'(z_i)
//!
//! and then dC/dw = X^T delta / n (one entry per input, burn's [d_in, d_out] layout with
//! d_out = 1) and dC/db = mean(delta).
//!
//!   loss   dL/da                    activation  f'(z)
//!   mse    2 (a - y)                identity    1
//!   mae    sign(a - y)              sigmoid     a (1 - a)
//!   bce    (a - y) / (a (1 - a))
//!
//! BCE with a sigmoid: the a (1 - a) of the sigmoid cancels the denominator of dL/da, so
//! delta = a - y. The gradient stays proportional to the error however saturated the sigmoid
//! is. MSE with a sigmoid keeps the factor a (1 - a), which goes to 0 when the neuron is
//! confidently wrong: that is why cross-entropy learns faster from a bad start.
//!
//! MAE at a zero residual: |r| has no derivative at 0; we use the subgradient sign(0) = 0,
//! which is what burn's autodiff does (abs backward multiplies by sign(x), and sign(0) = 0).

use crate::config::{Activation, LossKind};

/// A neuron's parameter point and data, all host-side f64.
pub struct Point<'a> {
    /// Row-major inputs, n x d.
    pub x: &'a [f64],
    pub y: &'a [f64],
    pub weights: &'a [f64],
    pub bias: Option<f64>,
}

/// dC/dw (one per input) and dC/db (None without a bias).
#[derive(Debug, Clone, PartialEq)]
pub struct Gradient {
    pub weights: Vec<f64>,
    pub bias: Option<f64>,
}

impl Gradient {
    /// Weights then bias, the order of the module's parameters.
    pub fn flat(&self) -> Vec<f64> {
        self.weights.iter().copied().chain(self.bias).collect()
    }
}

pub use crate::nn::activation::sigmoid;

/// The per-row delta = dL/dz for one (z, y). None for a pairing that is not a valid model
/// (BCE needs a probability: only the sigmoid gives one; `step` has no derivative).
pub fn delta(z: f64, y: f64, activation: Activation, loss: LossKind) -> Option<f64> {
    match (activation, loss) {
        (Activation::Step | Activation::Tanh | Activation::Relu | Activation::Softmax, _)
        | (Activation::Identity, LossKind::Bce)
        | (_, LossKind::CrossEntropy) => None,
        // The sigmoid's derivative cancels: delta = a - y, finite for any z.
        (Activation::Sigmoid, LossKind::Bce) => Some(sigmoid(z) - y),
        (act, loss) => {
            let a = crate::nn::activation::host(act, &[z], 1)[0];
            let da_dz = crate::nn::activation::derivative(act, z, a)?;
            let dl_da = crate::nn::loss::dl_da(loss, a, y)?;
            Some(dl_da * da_dz)
        }
    }
}

/// The gradient of the mean loss at `p`, or None for an invalid activation/loss pairing.
pub fn neuron(p: &Point, activation: Activation, loss: LossKind) -> Option<Gradient> {
    let n = p.y.len();
    let d = p.weights.len();
    let mut gw = vec![0.0; d];
    let mut gb = 0.0;
    for i in 0..n {
        let row = &p.x[i * d..(i + 1) * d];
        let z = row.iter().zip(p.weights).map(|(a, b)| a * b).sum::<f64>() + p.bias.unwrap_or(0.0);
        let delta = delta(z, p.y[i], activation, loss)?;
        for (g, xi) in gw.iter_mut().zip(row) {
            *g += xi * delta;
        }
        gb += delta;
    }
    let n = n as f64;
    Some(Gradient { weights: gw.into_iter().map(|g| g / n).collect(), bias: p.bias.map(|_| gb / n) })
}

/// Mean loss at `p` in f64 (the quantity whose gradient `neuron` gives), for checks.
pub fn loss(p: &Point, activation: Activation, loss: LossKind) -> f64 {
    let n = p.y.len();
    let d = p.weights.len();
    let mut total = 0.0;
    for i in 0..n {
        let row = &p.x[i * d..(i + 1) * d];
        let z = row.iter().zip(p.weights).map(|(a, b)| a * b).sum::<f64>() + p.bias.unwrap_or(0.0);
        let a = if activation == Activation::Sigmoid { sigmoid(z) } else { z };
        total += match loss {
            LossKind::Mse => (a - p.y[i]).powi(2),
            LossKind::Mae => (a - p.y[i]).abs(),
            // Stable form from z: log(1 + e^z) - y z.
            LossKind::Bce => z.max(0.0) + (-z.abs()).exp().ln_1p() - p.y[i] * z,
            // Not a neuron loss (it needs a softmax over several outputs).
            LossKind::CrossEntropy => f64::NAN,
        };
    }
    total / n as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bce_with_sigmoid_delta_is_the_derivative_of_the_loss_in_z() {
        // BCE of sigmoid(z) written independently, in its overflow-free form:
        // -(y ln s + (1 - y) ln(1 - s)) = softplus(z) - y z, softplus(z) = max(z, 0) + ln(1 + e^-|z|).
        let bce = |z: f64, y: f64| z.max(0.0) + (-z.abs()).exp().ln_1p() - y * z;
        // Central difference with h = 1e-5: truncation ~h^2 (third derivative <= 0.1) < 1e-11,
        // rounding ~eps |f| / h < 1e-9 for |f| <= 41, so 1e-8 separates a right formula from a
        // wrong one (a wrong sign or a missing factor is off by at least 1e-2 here).
        let h = 1e-5;
        for z in [-40.0, -3.0, 0.0, 2.0, 40.0] {
            for y in [0.0, 1.0] {
                let numeric = (bce(z + h, y) - bce(z - h, y)) / (2.0 * h);
                let d = delta(z, y, Activation::Sigmoid, LossKind::Bce).unwrap();
                assert!((d - numeric).abs() < 1e-8, "z={z} y={y}: delta {d}, numeric {numeric}");
            }
        }
    }

    #[test]
    fn mse_with_a_saturated_sigmoid_barely_moves_while_bce_does() {
        // Confidently wrong: z = 10, target 0.
        let mse = delta(10.0, 0.0, Activation::Sigmoid, LossKind::Mse).unwrap();
        let bce = delta(10.0, 0.0, Activation::Sigmoid, LossKind::Bce).unwrap();
        assert!(mse.abs() < 1e-4 && bce > 0.99, "mse {mse} bce {bce}");
    }

    #[test]
    fn parabola_gradient_is_minus_two_times_the_error() {
        // C(b) = (a - b)^2 with a = 3 at b = -2: dC/db = -2 (3 - (-2)) = -10.
        let p = Point { x: &[], y: &[3.0], weights: &[], bias: Some(-2.0) };
        let g = neuron(&p, Activation::Identity, LossKind::Mse).unwrap();
        assert_eq!(g.bias, Some(-10.0));
    }

    #[test]
    fn mae_subgradient_at_zero_residual_is_zero() {
        assert_eq!(delta(1.0, 1.0, Activation::Identity, LossKind::Mae), Some(0.0));
    }

    #[test]
    fn invalid_pairings_have_no_formula() {
        assert!(delta(0.0, 1.0, Activation::Identity, LossKind::Bce).is_none());
        assert!(delta(0.0, 1.0, Activation::Step, LossKind::Mse).is_none());
    }

    #[test]
    fn stable_bce_loss_matches_the_textbook_form() {
        for (z, y) in [(0.3, 1.0), (-1.2, 0.0), (2.0, 0.0)] {
            let a = sigmoid(z);
            let textbook = -(y * a.ln() + (1.0 - y) * (1.0 - a).ln());
            let p = Point { x: &[1.0], y: &[y], weights: &[z], bias: None };
            assert!((loss(&p, Activation::Sigmoid, LossKind::Bce) - textbook).abs() < 1e-12);
        }
    }
}
