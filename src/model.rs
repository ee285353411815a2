//! The neuron: one burn `Linear` layer (d inputs -> 1 output, weights + optional bias) and an
//! activation applied to its output z = x W + b.

use crate::config::{self, Activation, Init};
use burn::module::Param;
use burn::nn::{Linear, LinearConfig};
use burn::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ModelError {
    #[error("key `model.start.weights`: {given} values for {dims} input features ({names})\n  hint: give one weight per feature, in feature order")]
    StartLength { given: usize, dims: usize, names: String },
    #[error("key `model.start.bias`: the model has no bias (model.bias = false)\n  hint: remove start.bias or set model.bias = true")]
    StartBiasWithoutBias,
}

#[derive(Module, Debug)]
pub struct Neuron {
    pub linear: Linear,
}

/// A neuron's parameters on the host, in feature order (`summary.json`'s `parameters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    pub weights: Vec<f64>,
    pub bias: Option<f64>,
}

impl Parameters {
    /// Flat list (weights then bias), the order of metrics columns.
    pub fn flat(&self) -> Vec<f64> {
        self.weights.iter().copied().chain(self.bias).collect()
    }
}

impl Neuron {
    /// Builds the neuron for `dims` inputs: exact start values where given, else the initialiser.
    pub fn new(cfg: &config::Model, dims: usize, feature_names: &[String], seed: u64, device: &Device) -> Result<Self, ModelError> {
        let start = cfg.start.clone().unwrap_or_default();
        if let Some(w) = &start.weights
            && w.len() != dims
        {
            return Err(ModelError::StartLength {
                given: w.len(),
                dims,
                names: if feature_names.is_empty() { "none: a bias-only model".into() } else { feature_names.join(", ") },
            });
        }
        if start.bias.is_some() && !cfg.bias {
            return Err(ModelError::StartBiasWithoutBias);
        }
        let mut linear = if cfg.init == Init::Default {
            device.seed(seed);
            LinearConfig::new(dims, 1).with_bias(cfg.bias).init(device)
        } else {
            // Host draws from our own seeded stream: identical on every backend and dtype.
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1417_1A11);
            let mut draw = || match cfg.init {
                Init::Zeros => 0.0,
                Init::Normal => {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    cfg.scale * z
                }
                Init::Uniform => cfg.scale * rng.random_range(-1.0..=1.0),
                Init::Default => unreachable!(),
            };
            let w: Vec<f64> = (0..dims).map(|_| draw()).collect();
            let b = draw();
            Linear {
                weight: Param::from_tensor(weights_tensor(&w, device)),
                bias: cfg.bias.then(|| Param::from_tensor(bias_tensor(b, device))),
            }
        };
        if let Some(w) = &start.weights {
            linear.weight = Param::from_tensor(weights_tensor(w, device));
        }
        if let (Some(b), true) = (start.bias, cfg.bias) {
            linear.bias = Some(Param::from_tensor(bias_tensor(b, device)));
        }
        Ok(Self { linear })
    }

    pub fn dims(&self) -> usize {
        self.linear.weight.dims()[0]
    }

    /// Pre-activation z = x W + b, shape [n, 1].
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        if self.dims() == 0 {
            // Bias-only model: no inputs to multiply, the output is b for every row.
            let device = x.device();
            let b = self.linear.bias.as_ref().expect("validated: a model without inputs has a bias");
            return Tensor::zeros([n, 1], &device) + b.val().reshape([1, 1]);
        }
        self.linear.forward(x)
    }

    pub fn parameters(&self) -> Parameters {
        Parameters {
            weights: self.linear.weight.val().try_into_vec_as::<f64>().expect("readable weights"),
            bias: self
                .linear
                .bias
                .as_ref()
                .map(|b| b.val().try_into_vec_as::<f64>().expect("readable bias")[0]),
        }
    }

    /// Names of the scalar parameters, in `Parameters::flat` order.
    pub fn parameter_names(feature_names: &[String], bias: bool) -> Vec<String> {
        feature_names
            .iter()
            .map(|f| format!("w_{f}"))
            .chain(bias.then(|| "b".to_string()))
            .collect()
    }
}

fn weights_tensor(w: &[f64], device: &Device) -> Tensor<2> {
    Tensor::from_data(TensorData::new(w.to_vec(), [w.len(), 1]), device)
}

fn bias_tensor(b: f64, device: &Device) -> Tensor<1> {
    Tensor::from_data(TensorData::new(vec![b], [1]), device)
}

/// The activation applied to z.
pub fn activate(activation: Activation, z: Tensor<2>) -> Tensor<2> {
    match activation {
        Activation::Identity => z,
        Activation::Sigmoid => burn::tensor::activation::sigmoid(z),
        // Heaviside step: 1 where z >= 0. No gradient; only the perceptron rule uses it.
        Activation::Step => z.greater_equal_elem(0.0).float(),
    }
}
