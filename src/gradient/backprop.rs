//! Backpropagation written out the way it is taught, in f64 on the host, for any stack of
//! fully connected layers.
//!
//! Forward: a_0 = x; for each layer l, z_l = a_{l-1} W_l + b_l and a_l = f_l(z_l) (the hidden
//! activation, or the output activation for the last layer). Keep every z_l and a_l.
//!
//! Output delta (per row i, one entry per output j), for the mean loss C = (1/n) sum_i L_i:
//!   delta_L = dL_i/dz_L = dL_i/da_L * f'(z_L)
//!   - mse: L_i = (1/k) sum_j (a_j - y_j)^2, dL/da_j = 2 (a_j - y_j) / k
//!   - mae: L_i = (1/k) sum_j |a_j - y_j|,   dL/da_j = sign(a_j - y_j) / k (sign(0) = 0, as burn)
//!   - bce with sigmoid: the sigmoid derivative cancels, delta_j = (a_j - y_j) / k
//!   - cross-entropy with softmax: the softmax Jacobian cancels, delta_j = a_j - [j = y]
//!   - softmax with mse/mae: delta_j = a_j (g_j - sum_m g_m a_m), g = dL/da
//!
//! Backwards, through the transposed weights:
//!   delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})
//!
//! with f' = a (1 - a) for sigmoid, 1 - a^2 for tanh, [z > 0] for relu, 1 for identity.
//! Gradients: dC/dW_l = a_{l-1}^T delta_l / n, dC/db_l = mean over rows of delta_l.

use crate::config::{Activation, LossKind};
use crate::nn::activation::{self, host as apply};

/// One layer on the host: weights [d_in][d_out] row-major, optional bias [d_out].
#[derive(Debug, Clone)]
pub struct Layer {
    pub d_in: usize,
    pub d_out: usize,
    pub weights: Vec<f64>,
    pub bias: Option<Vec<f64>>,
}

/// What the forward pass keeps for the backward pass.
pub struct Trace {
    /// z_l for l = 1..L, each n x d_l.
    pub z: Vec<Vec<f64>>,
    /// a_l for l = 0..L (a_0 = x).
    pub a: Vec<Vec<f64>>,
}

pub fn forward(layers: &[Layer], hidden: Activation, output: Activation, x: &[f64], n: usize) -> Trace {
    let mut a = vec![x.to_vec()];
    let mut zs = Vec::new();
    for (l, layer) in layers.iter().enumerate() {
        let prev = &a[l];
        let mut z = vec![0.0; n * layer.d_out];
        for i in 0..n {
            for j in 0..layer.d_out {
                let mut s = layer.bias.as_ref().map_or(0.0, |b| b[j]);
                for p in 0..layer.d_in {
                    s += prev[i * layer.d_in + p] * layer.weights[p * layer.d_out + j];
                }
                z[i * layer.d_out + j] = s;
            }
        }
        let f = if l + 1 == layers.len() { output } else { hidden };
        a.push(apply(f, &z, layer.d_out));
        zs.push(z);
    }
    Trace { z: zs, a }
}

/// Per-row output delta dL_i/dz_L (n x k), or None for a pairing that is not a model.
fn output_delta(output: Activation, loss: LossKind, z: &[f64], a: &[f64], y: &[f64], k: usize) -> Option<Vec<f64>> {
    let kf = k as f64;
    match (output, loss) {
        (Activation::Sigmoid, LossKind::Bce) => Some(a.iter().zip(y).map(|(a, y)| (a - y) / kf).collect()),
        (Activation::Softmax, LossKind::CrossEntropy) => Some(
            a.chunks(k)
                .zip(y)
                .flat_map(|(row, &class)| row.iter().enumerate().map(move |(j, p)| p - f64::from(u8::from(j as f64 == class))))
                .collect(),
        ),
        (_, LossKind::Bce | LossKind::CrossEntropy) | (Activation::Step, _) => None,
        (f, LossKind::Mse | LossKind::Mae) => {
            let g: Vec<f64> = a.iter().zip(y).map(|(a, y)| crate::nn::loss::dl_da(loss, *a, *y).unwrap_or(f64::NAN) / kf).collect();
            Some(if f == Activation::Softmax {
                a.chunks(k)
                    .zip(g.chunks(k))
                    .flat_map(|(a, g)| {
                        let dot: f64 = a.iter().zip(g).map(|(a, g)| a * g).sum();
                        a.iter().zip(g).map(move |(a, g)| a * (g - dot)).collect::<Vec<_>>()
                    })
                    .collect()
            } else {
                // f is neither step (no model) nor softmax (above): the derivative exists.
                g.iter().zip(z).zip(a).map(|((g, z), a)| g * activation::derivative(f, *z, *a).unwrap_or(f64::NAN)).collect()
            })
        }
    }
}

/// dC/dtheta in module order (per layer: weights row-major, then bias), or None for an
/// output activation / loss pairing that is not a model.
pub fn gradient(
    layers: &[Layer],
    hidden: Activation,
    output: Activation,
    loss: LossKind,
    x: &[f64],
    y: &[f64],
    n: usize,
) -> Option<Vec<f64>> {
    // Hidden units need an elementwise derivative (not step, not softmax).
    activation::derivative(hidden, 0.0, 0.0)?;
    let t = forward(layers, hidden, output, x, n);
    let last = layers.len() - 1;
    let k = layers[last].d_out;
    let mut delta = output_delta(output, loss, &t.z[last], &t.a[last + 1], y, k)?;
    let mut grads: Vec<Vec<f64>> = vec![Vec::new(); layers.len()];
    let nf = n as f64;
    for l in (0..layers.len()).rev() {
        let layer = &layers[l];
        let prev = &t.a[l];
        let mut gw = vec![0.0; layer.d_in * layer.d_out];
        let mut gb = vec![0.0; layer.d_out];
        for i in 0..n {
            for j in 0..layer.d_out {
                let d = delta[i * layer.d_out + j];
                gb[j] += d / nf;
                for p in 0..layer.d_in {
                    gw[p * layer.d_out + j] += prev[i * layer.d_in + p] * d / nf;
                }
            }
        }
        if l > 0 {
            // delta_{l-1} = (delta_l W_l^T) * f'(z_{l-1})
            let (z, a) = (&t.z[l - 1], &t.a[l]);
            let mut next = vec![0.0; n * layer.d_in];
            for i in 0..n {
                for p in 0..layer.d_in {
                    let back: f64 = (0..layer.d_out).map(|j| delta[i * layer.d_out + j] * layer.weights[p * layer.d_out + j]).sum();
                    let q = i * layer.d_in + p;
                    next[q] = back * activation::derivative(hidden, z[q], a[q]).unwrap_or(f64::NAN);
                }
            }
            delta = next;
        }
        grads[l] = gw.into_iter().chain(layer.bias.as_ref().map(|_| gb).into_iter().flatten()).collect();
    }
    Some(grads.concat())
}
