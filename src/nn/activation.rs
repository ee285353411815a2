//! Each activation's faces in one place: on burn tensors (what training differentiates), on
//! host f64 values (what the hand-derived gradients use), and its derivative f'(z).

use crate::config::Activation;
use burn::prelude::*;

/// The activation applied to z ([n, k]; softmax normalises each row).
pub fn tensor(f: Activation, z: Tensor<2>) -> Tensor<2> {
    use burn::tensor::activation as act;
    match f {
        Activation::Identity => z,
        Activation::Sigmoid => act::sigmoid(z),
        Activation::Tanh => act::tanh(z),
        Activation::Relu => act::relu(z),
        Activation::Softmax => act::softmax(z, 1),
        // Heaviside step: 1 where z >= 0. No gradient; only the perceptron rule uses it.
        Activation::Step => z.greater_equal_elem(0.0).float(),
    }
}

pub fn sigmoid(z: f64) -> f64 {
    // Split by sign so exp never overflows.
    if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) }
}

/// The activation on host values: z is row-major with `width` outputs per row (softmax
/// normalises each row; the others act elementwise).
pub fn host(f: Activation, z: &[f64], width: usize) -> Vec<f64> {
    match f {
        Activation::Identity => z.to_vec(),
        Activation::Sigmoid => z.iter().map(|&v| sigmoid(v)).collect(),
        Activation::Tanh => z.iter().map(|v| v.tanh()).collect(),
        Activation::Relu => z.iter().map(|v| v.max(0.0)).collect(),
        Activation::Step => z.iter().map(|&v| f64::from(u8::from(v >= 0.0))).collect(),
        Activation::Softmax => z
            .chunks(width)
            .flat_map(|row| {
                let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let e: Vec<f64> = row.iter().map(|v| (v - m).exp()).collect();
                let s: f64 = e.iter().sum();
                e.into_iter().map(move |v| v / s)
            })
            .collect(),
    }
}

/// f'(z) from z and a = f(z). None where there is no elementwise derivative: the step has
/// none, softmax has a Jacobian (its callers apply it row by row).
pub fn derivative(f: Activation, z: f64, a: f64) -> Option<f64> {
    match f {
        Activation::Identity => Some(1.0),
        Activation::Sigmoid => Some(a * (1.0 - a)),
        Activation::Tanh => Some(1.0 - a * a),
        // Subgradient 0 at the kink, as burn's relu backward.
        Activation::Relu => Some(f64::from(u8::from(z > 0.0))),
        Activation::Step | Activation::Softmax => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The derivative against a central difference of the host forward (f64, h = 1e-6:
    /// truncation ~1e-12, rounding ~1e-10).
    #[test]
    fn derivatives_match_central_differences_of_the_forward() {
        let h = 1e-6;
        for f in [Activation::Identity, Activation::Sigmoid, Activation::Tanh, Activation::Relu] {
            for z in [-3.0, -0.5, 0.3, 2.0] {
                let a = host(f, &[z], 1)[0];
                let numeric = (host(f, &[z + h], 1)[0] - host(f, &[z - h], 1)[0]) / (2.0 * h);
                let d = derivative(f, z, a).unwrap();
                assert!((d - numeric).abs() < 1e-8, "{f:?} at {z}: {d} vs {numeric}");
            }
        }
        assert!(derivative(Activation::Step, 0.0, 1.0).is_none() && derivative(Activation::Softmax, 0.0, 0.5).is_none());
    }

    #[test]
    fn host_and_tensor_forwards_agree() {
        let device = burn::prelude::Device::flex();
        let z = [-2.0, -0.1, 0.0, 0.4, 3.0, 1.0];
        for f in [Activation::Identity, Activation::Sigmoid, Activation::Tanh, Activation::Relu, Activation::Softmax, Activation::Step] {
            let t = tensor(f, Tensor::<2>::from_data(TensorData::new(z.to_vec(), [3, 2]), &device));
            let got: Vec<f64> = t.try_into_vec_as::<f64>().unwrap();
            for (g, w) in got.iter().zip(host(f, &z, 2)) {
                assert!((g - w).abs() < 1e-6, "{f:?}: tensor {got:?} vs host");
            }
        }
    }
}
