//! The first-order picture of a step: dC ~ grad C . dW. For dW = -lr grad C the prediction is
//! -lr |grad C|^2; the actual change C(W + dW) - C(W) matches it as lr -> 0 and departs from
//! it for large lr. And steepest descent: among all directions of the same length, -grad C
//! gives the largest first-order decrease (Cauchy-Schwarz: -g.u <= |g| for |u| = 1).

use super::{LossFn, params};
use crate::nn::model::Network;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;

/// Predicted and actual loss change of one plain gradient step.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Step {
    pub lr: f64,
    /// C(W) before the step.
    pub loss_before: f64,
    pub predicted: f64,
    pub actual: f64,
}

impl Step {
    /// Whether the predicted change stands clear of the rounding noise in C (taken at f32's
    /// eps, the coarser of the two dtypes): below that, actual / predicted is noise / noise.
    pub fn resolvable(&self) -> bool {
        self.predicted.abs() > 1e3 * f32::EPSILON as f64 * self.loss_before.abs().max(f64::MIN_POSITIVE)
    }

    /// actual / predicted: 1 when the first-order model is exact.
    pub fn ratio(&self) -> f64 {
        self.actual / self.predicted
    }
}

/// Dot product in f64.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[derive(Debug, Clone, Serialize)]
pub struct Steepest {
    /// Step length |dW| used for every direction.
    pub length: f64,
    /// Loss decrease C(W) - C(W + dW) along -grad C.
    pub gradient_drop: f64,
    /// The same along each random unit direction.
    pub random_drops: Vec<f64>,
    /// First-order decreases: length * |g| along -grad C, length * (-g . u) for random u.
    pub gradient_first_order: f64,
    pub random_first_order: Vec<f64>,
}

impl Steepest {
    pub fn best_random(&self) -> f64 {
        self.random_drops.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
    /// How many random directions decreased the loss more than -grad C did.
    pub fn beaten_by(&self) -> usize {
        self.random_drops.iter().filter(|d| **d > self.gradient_drop).count()
    }
}

/// Compares the drop along -grad C with `k` seeded random unit directions at the same length.
pub fn steepest(loss: &LossFn, model: &Network, length: f64, k: usize, seed: u64) -> Steepest {
    let (c0, g) = loss.with_gradient(model);
    let w = params::values(model);
    directions(|v| loss.value(&params::with_values(model, v)), &w, c0, &g, length, k, seed)
}

/// `steepest` for any loss `c` at `w` (where it is `c0` with gradient `g`): the lecture's f64
/// check uses the hand-derived loss, since f32 rounds away the differences between directions.
pub fn directions(c: impl Fn(&[f64]) -> f64, w: &[f64], c0: f64, g: &[f64], length: f64, k: usize, seed: u64) -> Steepest {
    let norm = dot(g, g).sqrt();
    let drop_along = |u: &[f64]| {
        let moved: Vec<f64> = w.iter().zip(u).map(|(w, u)| w + length * u).collect();
        c0 - c(&moved)
    };
    let down: Vec<f64> = g.iter().map(|v| -v / norm.max(f64::MIN_POSITIVE)).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5733_9D1E);
    let mut random_drops = Vec::with_capacity(k);
    let mut random_first_order = Vec::with_capacity(k);
    for _ in 0..k {
        let mut u: Vec<f64> = (0..w.len()).map(|_| StandardNormal.sample(&mut rng)).collect();
        let n = dot(&u, &u).sqrt();
        u.iter_mut().for_each(|v| *v /= n);
        random_drops.push(drop_along(&u));
        random_first_order.push(-length * dot(g, &u));
    }
    Steepest { length, gradient_drop: drop_along(&down), random_drops, gradient_first_order: length * norm, random_first_order }
}
