//! The numerical checks the claims share, in f64: the least-squares Hessian's largest
//! eigenvalue, and the gradient and curvature at an mlp's end point.

use serde::Serialize;

/// Largest eigenvalue of the least-squares Hessian H = (2/n) A^T A, A = [X | 1], by power
/// iteration in f64: gradient descent on MSE is stable for lr < 2 / lambda_max.
pub fn lambda_max(x: &[f64], n: usize, d: usize) -> f64 {
    let k = d + 1;
    let mut h = vec![0.0; k * k];
    for i in 0..n {
        let row: Vec<f64> = x[i * d..(i + 1) * d].iter().copied().chain([1.0]).collect();
        for a in 0..k {
            for b in 0..k {
                h[a * k + b] += 2.0 * row[a] * row[b] / n as f64;
            }
        }
    }
    let mut v = vec![1.0; k];
    let mut lambda = 0.0;
    for _ in 0..500 {
        let w: Vec<f64> = (0..k).map(|a| (0..k).map(|b| h[a * k + b] * v[b]).sum()).collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        lambda = norm / v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v = w.iter().map(|x| x / norm).collect();
    }
    lambda
}

/// Where a run ended, told by the gradient and the curvature there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndPoint {
    /// |∇C| below `FLAT_GRADIENT` and every Hessian eigenvalue above `CURVATURE` > 0.
    Minimum,
    /// |∇C| below `FLAT_GRADIENT` and an eigenvalue below −`CURVATURE`: a way down remains.
    Saddle,
    /// |∇C| below `FLAT_GRADIENT`, no negative curvature, but some eigenvalue within
    /// ±`CURVATURE`: flat in some direction, so not provably a minimum.
    Flat,
    /// |∇C| at or above `FLAT_GRADIENT`: still descending when the run ended.
    Moving,
}

/// The thresholds of the classification (f64 throughout; the Hessian is a central
/// difference of the analytic gradient with step 1e-5, whose error, about 1e-10 times the
/// third derivative, is far below them).
pub const FLAT_GRADIENT: f64 = 1e-4;
pub const CURVATURE: f64 = 1e-6;

/// The gradient norm and the Hessian's eigenvalues (ascending) of an mlp's loss at `theta`.
pub fn curvature(
    layers: &[crate::gradient::backprop::Layer],
    spec: &crate::config::spec::ModelSpec,
    loss: crate::config::LossKind,
    x: &[f64],
    y: &[f64],
    n: usize,
) -> Option<(f64, Vec<f64>)> {
    use crate::gradient::backprop;
    let flat: Vec<f64> = layers.iter().flat_map(|l| l.weights.iter().chain(l.bias.iter().flatten()).copied()).collect();
    let rebuild = |theta: &[f64]| {
        let mut k = 0;
        layers
            .iter()
            .map(|l| {
                let mut take = |m: usize| {
                    k += m;
                    theta[k - m..k].to_vec()
                };
                backprop::Layer {
                    d_in: l.d_in,
                    d_out: l.d_out,
                    weights: take(l.d_in * l.d_out),
                    bias: l.bias.as_ref().map(|b| take(b.len())),
                }
            })
            .collect::<Vec<_>>()
    };
    let grad = |theta: &[f64]| backprop::gradient(&rebuild(theta), spec.hidden(), spec.output(), loss, x, y, n);
    let g = grad(&flat)?;
    let p = flat.len();
    let mut h = nalgebra::DMatrix::<f64>::zeros(p, p);
    for i in 0..p {
        let step = 1e-5 * flat[i].abs().max(1.0);
        let (mut up, mut down) = (flat.clone(), flat.clone());
        up[i] += step;
        down[i] -= step;
        let (gu, gd) = (grad(&up)?, grad(&down)?);
        for j in 0..p {
            h[(i, j)] = (gu[j] - gd[j]) / (2.0 * step);
        }
    }
    let h = (&h + h.transpose()) * 0.5;
    let mut eig: Vec<f64> = h.symmetric_eigenvalues().iter().copied().collect();
    eig.sort_by(f64::total_cmp);
    Some((g.iter().map(|v| v * v).sum::<f64>().sqrt(), eig))
}

pub fn classify(grad_norm: f64, eigenvalues: &[f64]) -> EndPoint {
    let lo = eigenvalues.first().copied().unwrap_or(0.0);
    if grad_norm >= FLAT_GRADIENT {
        EndPoint::Moving
    } else if lo < -CURVATURE {
        EndPoint::Saddle
    } else if lo > CURVATURE {
        EndPoint::Minimum
    } else {
        EndPoint::Flat
    }
}
