//! Losses from burn's loss layers, applied to the model's pre-activation z ([n, k]).
//!
//! BCE with a sigmoid goes through burn's logits path on z (stable: dL/dz = sigmoid(z) - y
//! even when the sigmoid saturates); the probability path gives NaN gradients once
//! sigmoid(z) rounds to 0 or 1. Cross-entropy takes z as logits (log-softmax inside burn).

use crate::config::{Activation, LossKind};
use crate::nn::activation::tensor as activate;
use burn::nn::loss::{
    BinaryCrossEntropyLoss, BinaryCrossEntropyLossConfig, CrossEntropyLoss, CrossEntropyLossConfig, LpLossConfig, MseLoss, Reduction,
};
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

/// Targets on the device, in the forms burn's losses take.
#[derive(Clone, Debug)]
pub struct Targets {
    /// [n, k] values (mse, mae).
    pub float: Tensor<2>,
    /// [n, k] 0/1 integers (bce).
    pub int: Option<Tensor<2, Int>>,
    /// [n] class indices (cross-entropy; the single target column).
    pub class: Option<Tensor<1, Int>>,
}

impl Targets {
    /// `y` is row-major n x k.
    pub fn new(y: &[f64], k: usize, kind: LossKind, device: &Device) -> Self {
        let n = y.len() / k.max(1);
        let ints = || y.iter().map(|&v| v as i64).collect::<Vec<i64>>();
        Self {
            float: crate::backend::upload(y, [n, k], device),
            int: (kind == LossKind::Bce).then(|| Tensor::from_data(TensorData::new(ints(), [n, k]), device)),
            class: (kind == LossKind::CrossEntropy).then(|| Tensor::from_data(TensorData::new(ints(), [n]), device)),
        }
    }

    /// Rows `r` (views, no copy).
    pub fn rows(&self, r: std::ops::Range<usize>) -> Self {
        let k = self.float.dims()[1];
        Self {
            float: self.float.clone().slice([r.clone(), 0..k]),
            int: self.int.as_ref().map(|t| t.clone().slice([r.clone(), 0..k])),
            class: self.class.as_ref().map(|t| t.clone().slice([r.clone()])),
        }
    }

    /// The rows at `idx` (an Int index tensor on the device).
    pub fn select(&self, idx: &Tensor<1, Int>) -> Self {
        Self {
            float: self.float.clone().select(0, idx.clone()),
            int: self.int.as_ref().map(|t| t.clone().select(0, idx.clone())),
            class: self.class.as_ref().map(|t| t.clone().select(0, idx.clone())),
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
    bce: Option<BinaryCrossEntropyLoss>,
    ce: Option<CrossEntropyLoss>,
}

impl Objective {
    pub fn new(kind: LossKind, output: Activation, outputs: usize, device: &Device) -> Result<Self, LossError> {
        if output == Activation::Step {
            return Err(LossError::StepHasNoGradient);
        }
        if kind == LossKind::Bce && output != Activation::Sigmoid {
            return Err(LossError::BceNeedsSigmoid(output.name()));
        }
        if kind == LossKind::CrossEntropy && (output != Activation::Softmax || outputs < 2) {
            return Err(LossError::CrossEntropyNeedsSoftmax(output.name(), outputs));
        }
        Ok(Self {
            kind,
            output,
            reports_accuracy: matches!(kind, LossKind::Bce | LossKind::CrossEntropy),
            bce: (kind == LossKind::Bce).then(|| BinaryCrossEntropyLossConfig::new().with_logits(true).init(device)),
            ce: (kind == LossKind::CrossEntropy).then(|| CrossEntropyLossConfig::new().init(device)),
        })
    }

    /// Mean loss over the rows (and outputs), from the pre-activation z.
    pub fn loss(&self, z: Tensor<2>, targets: &Targets) -> Tensor<1> {
        match self.kind {
            LossKind::Mse => MseLoss::new().forward(activate(self.output, z), targets.float.clone(), Reduction::Mean),
            LossKind::Mae => LpLossConfig::l1().forward(activate(self.output, z), targets.float.clone(), Reduction::Mean),
            LossKind::Bce => self.bce.as_ref().expect("built for bce").forward(z, targets.int.clone().expect("int targets")),
            LossKind::CrossEntropy => self.ce.as_ref().expect("built for ce").forward(z, targets.class.clone().expect("class targets")),
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
