//! Losses from burn's loss layers, applied to the model's pre-activation z ([n, k]).
//!
//! BCE with a sigmoid goes through burn's logits path on z (stable: dL/dz = sigmoid(z) - y
//! even when the sigmoid saturates); the probability path gives NaN gradients once
//! sigmoid(z) rounds to 0 or 1. Cross-entropy takes z as logits (log-softmax inside burn).

use crate::config::{Activation, LossKind};
use crate::nn::activation::tensor as activate;
use burn::nn::loss::{BinaryCrossEntropyLossConfig, CrossEntropyLossConfig, LpLossConfig, MseLoss, Reduction};
use burn::prelude::*;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LossError {
    #[error(
        "key `loss.kind`: \"bce\" needs a probability output, but the output activation is \"{0}\"\n  hint: set the output activation to \"sigmoid\" (model.activation for a neuron, model.output_activation for an mlp); bce is computed from the logits, which is stable"
    )]
    BceNeedsSigmoid(&'static str),
    #[error(
        "key `loss.kind`: \"cross_entropy\" needs a softmax output over at least 2 classes (got output activation \"{0}\" with {1} outputs)\n  hint: kind = \"mlp\", output_activation = \"softmax\", and the last layer size = the number of classes"
    )]
    CrossEntropyNeedsSoftmax(&'static str, usize),
    #[error(
        "key `model.activation`: \"step\" has no gradient (its derivative is 0 everywhere but the jump), so gradient descent cannot train it\n  hint: use `gdlab perceptron CONFIG` for the perceptron rule, or activation = \"sigmoid\" for gradient descent"
    )]
    StepHasNoGradient,
}

/// Targets on the device, in the form their loss takes: the variant *is* the loss, so a loss
/// can never meet targets of another form.
#[derive(Clone, Debug)]
pub enum Targets {
    /// [n, k] values.
    Mse(Tensor<2>),
    Mae(Tensor<2>),
    /// [n, k] 0/1 integers.
    Bce(Tensor<2, Int>),
    /// [n] class indices (the single target column).
    CrossEntropy(Tensor<1, Int>),
}

impl Targets {
    /// `y` is row-major n x k.
    pub fn new(y: &[f64], k: usize, kind: LossKind, device: &Device) -> Self {
        let n = y.len() / k.max(1);
        let ints = || y.iter().map(|&v| v as i64).collect::<Vec<i64>>();
        match kind {
            LossKind::Mse => Targets::Mse(crate::backend::upload(y, [n, k], device)),
            LossKind::Mae => Targets::Mae(crate::backend::upload(y, [n, k], device)),
            LossKind::Bce => Targets::Bce(Tensor::from_data(TensorData::new(ints(), [n, k]), device)),
            LossKind::CrossEntropy => Targets::CrossEntropy(Tensor::from_data(TensorData::new(ints(), [n]), device)),
        }
    }

    /// Rows `r` (views, no copy).
    pub fn rows(&self, r: std::ops::Range<usize>) -> Self {
        match self {
            Targets::Mse(t) => Targets::Mse(t.clone().slice_dim(0, r.clone())),
            Targets::Mae(t) => Targets::Mae(t.clone().slice_dim(0, r.clone())),
            Targets::Bce(t) => Targets::Bce(t.clone().slice_dim(0, r.clone())),
            Targets::CrossEntropy(t) => Targets::CrossEntropy(t.clone().slice_dim(0, r.clone())),
        }
    }

    /// The rows at `idx` (an Int index tensor on the device).
    pub fn select(&self, idx: &Tensor<1, Int>) -> Self {
        let idx = idx.clone();
        match self {
            Targets::Mse(t) => Targets::Mse(t.clone().select(0, idx)),
            Targets::Mae(t) => Targets::Mae(t.clone().select(0, idx)),
            Targets::Bce(t) => Targets::Bce(t.clone().select(0, idx)),
            Targets::CrossEntropy(t) => Targets::CrossEntropy(t.clone().select(0, idx)),
        }
    }
}

/// A loss bound to the model's output activation.
#[derive(Debug, Clone)]
pub struct Objective {
    pub kind: LossKind,
    pub output: Activation,
    /// Report accuracy: classifiers, and sigmoid outputs fitted to 0/1 targets with mse/mae.
    pub reports_accuracy: bool,
}

impl Objective {
    pub fn new(kind: LossKind, output: Activation, outputs: usize) -> Result<Self, LossError> {
        if output == Activation::Step {
            return Err(LossError::StepHasNoGradient);
        }
        if kind == LossKind::Bce && output != Activation::Sigmoid {
            return Err(LossError::BceNeedsSigmoid(output.name()));
        }
        if kind == LossKind::CrossEntropy && (output != Activation::Softmax || outputs < 2) {
            return Err(LossError::CrossEntropyNeedsSoftmax(output.name(), outputs));
        }
        Ok(Self { kind, output, reports_accuracy: matches!(kind, LossKind::Bce | LossKind::CrossEntropy) })
    }

    /// Whether accuracy means something for targets `y`: a classifier's loss, or a sigmoid
    /// output fitted to 0/1 targets (with mse/mae).
    pub fn classifies(&self, y: &[f64]) -> bool {
        self.reports_accuracy || (self.output == Activation::Sigmoid && y.iter().all(|v| *v == 0.0 || *v == 1.0))
    }

    /// `y` (row-major n x k) on `device` in the form this loss takes.
    pub fn targets(&self, y: &[f64], k: usize, device: &Device) -> Targets {
        Targets::new(y, k, self.kind, device)
    }

    /// Mean loss over the rows (and outputs), from the pre-activation z. burn's loss layers
    /// hold no tensors here (no weights), so making them per call costs nothing.
    pub fn loss(&self, z: Tensor<2>, targets: &Targets) -> Tensor<1> {
        let device = z.device();
        match targets {
            Targets::Mse(y) => MseLoss::new().forward(activate(self.output, z), y.clone(), Reduction::Mean),
            Targets::Mae(y) => LpLossConfig::l1().forward(activate(self.output, z), y.clone(), Reduction::Mean),
            Targets::Bce(y) => BinaryCrossEntropyLossConfig::new().with_logits(true).init(&device).forward(z, y.clone()),
            Targets::CrossEntropy(y) => CrossEntropyLossConfig::new().init(&device).forward(z, y.clone()),
        }
    }

    /// Fraction classified right, from host z ([n, k] row-major, k = model outputs) and
    /// targets: for BCE each
    /// output is a yes/no (z >= 0, i.e. sigmoid(z) >= 0.5); for cross-entropy the row's
    /// largest z is its class.
    pub fn accuracy(&self, z: &[f64], y: &[f64], k: usize) -> f64 {
        let k = k.max(1);
        match self.kind {
            LossKind::CrossEntropy => {
                let n = y.len();
                let hits = z
                    .chunks(k)
                    .zip(y)
                    .filter(|(row, y)| {
                        let best = row.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i);
                        best as f64 == **y
                    })
                    .count();
                hits as f64 / n.max(1) as f64
            }
            _ => {
                let hits = z.iter().zip(y).filter(|(z, y)| f64::from(u8::from(**z >= 0.0)) == **y).count();
                hits as f64 / y.len().max(1) as f64
            }
        }
    }
}
/// dL/da of one output for the elementwise losses, before the mean over rows and outputs:
/// MSE 2 (a - y); MAE sign(a - y), 0 at a zero residual as in burn's backward. None for BCE and
/// cross-entropy, whose derivative is taken together with their activation (a - y).
pub fn dl_da(loss: LossKind, a: f64, y: f64) -> Option<f64> {
    let r = a - y;
    match loss {
        LossKind::Mse => Some(2.0 * r),
        LossKind::Mae => Some(if r > 0.0 {
            1.0
        } else if r < 0.0 {
            -1.0
        } else {
            0.0
        }),
        LossKind::Bce | LossKind::CrossEntropy => None,
    }
}
