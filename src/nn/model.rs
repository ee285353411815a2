//! The models: a stack of burn `Linear` layers (weights + optional bias). A neuron is one
//! layer, d inputs -> 1 output; an mlp is `layers = [n_in, h1, ..., n_out]` with a hidden
//! activation between layers. `forward` returns the pre-activation z of the last layer; the
//! output activation belongs to the loss (so BCE and cross-entropy can use stable logits).

use crate::config::spec::{Architecture, ModelSpec, NeuronStart};
use crate::config::{Activation, Init, LayerStart, ModelKind};
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
    #[error(
        "key `model.start.weights`: {given} values for {dims} input features ({names})\n  hint: give one weight per feature, in feature order"
    )]
    StartLength { given: usize, dims: usize, names: String },
    #[error("key `model.layers`: {message}\n  hint: {hint}")]
    Layers { message: String, hint: String },
    #[error(
        "key `model.start.layers`: layer {layer}: {message}\n  hint: weights are rows of d_out values, one row per input (burn's [d_in][d_out] layout); bias has d_out values"
    )]
    StartLayer { layer: usize, message: String },
}

#[derive(Module, Debug)]
pub struct Network {
    pub layers: Vec<Linear>,
    /// Activation between layers (not after the last).
    #[module(skip)]
    pub hidden: Activation,
}

/// A layer's parameters on the host, in the start-value layout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerParameters {
    /// [d_in][d_out]: row i holds the weights leaving input i.
    #[serde(with = "crate::nonfinite")]
    pub weights: Vec<Vec<f64>>,
    #[serde(with = "crate::nonfinite")]
    pub bias: Option<Vec<f64>>,
}

/// `summary.json`'s `parameters`: `{weights, bias}` for a neuron, `{layers: [...]}` for an mlp.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Parameters {
    Neuron {
        #[serde(with = "crate::nonfinite")]
        weights: Vec<f64>,
        #[serde(with = "crate::nonfinite")]
        bias: Option<f64>,
    },
    Mlp {
        layers: Vec<LayerParameters>,
    },
}

impl Parameters {
    /// Flat list in module order (per layer: weights row-major, then bias).
    pub fn flat(&self) -> Vec<f64> {
        match self {
            Parameters::Neuron { weights, bias } => weights.iter().copied().chain(*bias).collect(),
            Parameters::Mlp { layers } => {
                layers.iter().flat_map(|l| l.weights.iter().flatten().copied().chain(l.bias.iter().flatten().copied())).collect()
            }
        }
    }
}

/// Initial values of one layer, drawn on the host from our own seeded stream (identical on
/// every backend and dtype).
fn draw_layer(init: Init, scale: f64, d_in: usize, d_out: usize, rng: &mut ChaCha8Rng) -> (Vec<f64>, Vec<f64>) {
    let xavier = (6.0 / (d_in + d_out) as f64).sqrt();
    let mut draw = || match init {
        Init::Zeros => 0.0,
        Init::Normal => {
            let z: f64 = StandardNormal.sample(rng);
            scale * z
        }
        Init::Uniform => scale * rng.random_range(-1.0..=1.0),
        Init::Xavier => scale * xavier * rng.random_range(-1.0..=1.0),
        Init::Default => unreachable!("burn's initialiser runs on the device"),
    };
    let w: Vec<f64> = (0..d_in * d_out).map(|_| draw()).collect();
    // Biases start at zero for xavier (the usual convention), else like the weights.
    let b: Vec<f64> = (0..d_out).map(|_| if init == Init::Xavier { 0.0 } else { draw() }).collect();
    (w, b)
}

fn linear(w: &[f64], b: Option<&[f64]>, d_in: usize, d_out: usize, device: &Device) -> Linear {
    Linear {
        weight: Param::from_tensor(Tensor::from_data(TensorData::new(w.to_vec(), [d_in, d_out]), device)),
        bias: b.map(|b| Param::from_tensor(Tensor::from_data(TensorData::new(b.to_vec(), [d_out]), device))),
    }
}

/// `x w + b` of a one-output layer, the same value as `Linear::forward`. The bias is added to
/// the output as a vector of n rather than an [n, 1] matrix: the bias gradient is then a sum
/// over a contiguous vector, which flex vectorises, where the [n, 1] form reduces dimension 0
/// one row at a time (measured on 65536 rows: 1.9M instructions per step, a fifth of W1's).
fn one_output(layer: &Linear, x: Tensor<2>) -> Tensor<2> {
    let n = x.dims()[0];
    let z = x.matmul(layer.weight.val()).reshape([n]);
    match &layer.bias {
        Some(b) => (z + b.val()).reshape([n, 1]),
        None => z.reshape([n, 1]),
    }
}

impl Network {
    /// This network with the parameters in `bytes` (burnpack, as `into_record().into_bytes()`
    /// writes them; a checkpoint's copy). The error says why they do not fit.
    pub fn with_parameter_bytes(self, bytes: Vec<u8>) -> Result<Self, String> {
        let record = burn::store::ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).map_err(|e| e.to_string())?;
        self.try_load_record(record).map_err(|e| e.to_string())
    }

    /// Builds the configured model for `dims` inputs and `outputs` outputs: exact start values
    /// where given, else the initialiser.
    pub fn new(
        spec: &ModelSpec,
        dims: usize,
        outputs: usize,
        feature_names: &[String],
        seed: u64,
        device: &Device,
    ) -> Result<Self, ModelError> {
        let sizes = match &spec.shape {
            Architecture::Neuron { .. } => vec![dims, 1],
            Architecture::Mlp { layers, .. } => layers.clone(),
        };
        if sizes[0] != dims {
            return Err(ModelError::Layers {
                message: format!("the first size is {}, but the data has {dims} input features", sizes[0]),
                hint: format!("start layers with {dims}"),
            });
        }
        let last = sizes[sizes.len() - 1];
        if last != outputs {
            return Err(ModelError::Layers {
                message: format!("the last size is {last}, but the targets need {outputs} outputs"),
                hint: format!("end layers with {outputs} (cross_entropy: the number of classes)"),
            });
        }
        if dims == 0 && !spec.bias {
            return Err(ModelError::Layers {
                message: "a model with no inputs and no bias has no parameters".into(),
                hint: "set model.bias = true, or give the data feature columns".into(),
            });
        }
        let init = spec.init;
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x1417_1A11);
        if init == Init::Default {
            device.seed(seed);
        }
        let mut layers = Vec::with_capacity(sizes.len() - 1);
        for pair in sizes.windows(2) {
            let (d_in, d_out) = (pair[0], pair[1]);
            let layer = if init == Init::Default {
                LinearConfig::new(d_in, d_out).with_bias(spec.bias).init(device)
            } else {
                let (w, b) = draw_layer(init, spec.scale, d_in, d_out, &mut rng);
                linear(&w, spec.bias.then_some(&b[..]), d_in, d_out, device)
            };
            layers.push(layer);
        }
        // Exact start values replace the drawn ones.
        match &spec.shape {
            Architecture::Neuron { start: NeuronStart { weights, bias }, .. } => {
                if let Some(w) = weights {
                    if w.len() != dims {
                        return Err(ModelError::StartLength {
                            given: w.len(),
                            dims,
                            names: if feature_names.is_empty() { "none: a bias-only model".into() } else { feature_names.join(", ") },
                        });
                    }
                    layers[0].weight = Param::from_tensor(Tensor::from_data(TensorData::new(w.clone(), [dims, 1]), device));
                }
                if let Some(b) = bias {
                    layers[0].bias = Some(Param::from_tensor(Tensor::from_data(TensorData::new(vec![*b], [1]), device)));
                }
            }
            Architecture::Mlp { start: Some(ls), .. } => {
                if ls.len() != layers.len() {
                    return Err(ModelError::StartLayer {
                        layer: ls.len(),
                        message: format!("{} [[model.start.layers]] tables for {} layers", ls.len(), layers.len()),
                    });
                }
                for (i, (ls, pair)) in ls.iter().zip(sizes.windows(2)).enumerate() {
                    layers[i] = start_layer(i + 1, ls, pair[0], pair[1], spec.bias, device)?;
                }
            }
            Architecture::Mlp { start: None, .. } => {}
        }
        Ok(Self { layers, hidden: spec.hidden() })
    }

    /// Inputs of the first layer.
    pub fn dims(&self) -> usize {
        self.layers[0].weight.dims()[0]
    }

    /// Pre-activation of the last layer, shape [n, outputs].
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let n = x.dims()[0];
        let last = self.layers.len() - 1;
        let mut a = x;
        for (i, layer) in self.layers.iter().enumerate() {
            let z = if layer.weight.dims()[0] == 0 {
                // Bias-only layer: no inputs to multiply, the output is b for every row.
                // (`Network::new` refuses a layer with neither inputs nor bias.)
                let d_out = layer.weight.dims()[1];
                let zeros = Tensor::zeros([n, d_out], &a.device());
                match &layer.bias {
                    Some(b) => zeros + b.val().reshape([1, d_out]),
                    None => zeros,
                }
            } else if layer.weight.dims()[1] == 1 {
                one_output(layer, a)
            } else {
                layer.forward(a)
            };
            a = if i == last { z } else { crate::nn::activation::tensor(self.hidden, z) };
        }
        a
    }

    /// The parameters on the host: neuron layout for a one-output single layer, else layers.
    pub fn parameters(&self, kind: ModelKind) -> Parameters {
        let read = |t: Tensor<1>| t.try_into_vec_as::<f64>().expect("readable parameter");
        match kind {
            ModelKind::Neuron => Parameters::Neuron {
                weights: read(self.layers[0].weight.val().flatten(0, 1)),
                bias: self.layers[0].bias.as_ref().map(|b| read(b.val())[0]),
            },
            ModelKind::Mlp => Parameters::Mlp {
                layers: self
                    .layers
                    .iter()
                    .map(|l| {
                        let [_, d_out] = l.weight.dims();
                        let w = read(l.weight.val().flatten(0, 1));
                        LayerParameters {
                            weights: w.chunks(d_out.max(1)).map(<[f64]>::to_vec).collect(),
                            bias: l.bias.as_ref().map(|b| read(b.val())),
                        }
                    })
                    .collect(),
            },
        }
    }

    /// Names of the scalar parameters, in module order: `w_<feature>`, `b` for a neuron;
    /// `l<k>.w[i,j]`, `l<k>.b[j]` (k from 1) for an mlp.
    pub fn parameter_names(&self, kind: ModelKind, feature_names: &[String]) -> Vec<String> {
        match kind {
            ModelKind::Neuron => {
                feature_names.iter().map(|f| format!("w_{f}")).chain(self.layers[0].bias.is_some().then(|| "b".to_string())).collect()
            }
            ModelKind::Mlp => self
                .layers
                .iter()
                .enumerate()
                .flat_map(|(k, l)| {
                    let [d_in, d_out] = l.weight.dims();
                    let w = (0..d_in).flat_map(move |i| (0..d_out).map(move |j| format!("l{}.w[{i},{j}]", k + 1)));
                    let b = l.bias.is_some().then_some(0..d_out).into_iter().flatten().map(move |j| format!("l{}.b[{j}]", k + 1));
                    w.chain(b).collect::<Vec<_>>()
                })
                .collect(),
        }
    }
}

fn start_layer(layer: usize, s: &LayerStart, d_in: usize, d_out: usize, bias: bool, device: &Device) -> Result<Linear, ModelError> {
    let err = |message: String| ModelError::StartLayer { layer, message };
    if s.weights.len() != d_in {
        return Err(err(format!("weights has {} rows, the layer has {d_in} inputs", s.weights.len())));
    }
    if let Some((i, r)) = s.weights.iter().enumerate().find(|(_, r)| r.len() != d_out) {
        return Err(err(format!("weights row {} has {} values, the layer has {d_out} outputs", i + 1, r.len())));
    }
    match (&s.bias, bias) {
        (Some(b), true) if b.len() != d_out => return Err(err(format!("bias has {} values, the layer has {d_out} outputs", b.len()))),
        (Some(_), false) => return Err(err("bias given but model.bias = false".into())),
        (None, true) => return Err(err("bias missing (model.bias = true)".into())),
        _ => {}
    }
    let w: Vec<f64> = s.weights.iter().flatten().copied().collect();
    Ok(linear(&w, s.bias.as_deref(), d_in, d_out, device))
}
