//! Losses from burn's loss layers, applied to a neuron's pre-activation z.
//!
//! BCE with a sigmoid goes through burn's logits path on z (stable: dL/dz = sigmoid(z) - y
//! even when the sigmoid saturates); the probability path gives NaN gradients once
//! sigmoid(z) rounds to 0 or 1.

use crate::config::{Activation, LossKind};
use crate::model::activate;
use burn::nn::loss::{BinaryCrossEntropyLoss, BinaryCrossEntropyLossConfig, LpLossConfig, MseLoss, Reduction};
use burn::prelude::*;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LossError {
    #[error("key `loss.kind`: \"bce\" needs a probability output, but model.activation = \"{0}\"\n  hint: set model.activation = \"sigmoid\" (bce is computed from the logits, which is stable)")]
    BceNeedsSigmoid(String),
    #[error("key `model.activation`: \"step\" has no gradient (its derivative is 0 everywhere but the jump), so gradient descent cannot train it\n  hint: use `gdlab perceptron CONFIG` for the perceptron rule, or activation = \"sigmoid\" for gradient descent")]
    StepHasNoGradient,
}

/// Targets on the device, in the two forms burn's losses take.
#[derive(Clone, Debug)]
pub struct Targets {
    pub float: Tensor<2>,
    /// 0/1 integer targets (BCE only).
    pub int: Option<Tensor<2, Int>>,
}

impl Targets {
    pub fn new(y: &[f64], kind: LossKind, device: &Device) -> Self {
        let n = y.len();
        let float = Tensor::from_data(TensorData::new(y.to_vec(), [n, 1]), device);
        let int = (kind == LossKind::Bce).then(|| {
            let v: Vec<i64> = y.iter().map(|&v| v as i64).collect();
            Tensor::from_data(TensorData::new(v, [n, 1]), device)
        });
        Self { float, int }
    }

    /// The rows at `idx` (an Int index tensor on the device).
    pub fn select(&self, idx: &Tensor<1, Int>) -> Self {
        Self {
            float: self.float.clone().select(0, idx.clone()),
            int: self.int.as_ref().map(|t| t.clone().select(0, idx.clone())),
        }
    }
}

/// A loss bound to the neuron's activation.
#[derive(Debug, Clone)]
pub struct Objective {
    pub kind: LossKind,
    pub activation: Activation,
    bce: Option<BinaryCrossEntropyLoss>,
}

impl Objective {
    pub fn new(kind: LossKind, activation: Activation, device: &Device) -> Result<Self, LossError> {
        if activation == Activation::Step {
            return Err(LossError::StepHasNoGradient);
        }
        if kind == LossKind::Bce && activation != Activation::Sigmoid {
            return Err(LossError::BceNeedsSigmoid(format!("{activation:?}").to_lowercase()));
        }
        let bce = (kind == LossKind::Bce)
            .then(|| BinaryCrossEntropyLossConfig::new().with_logits(true).init(device));
        Ok(Self { kind, activation, bce })
    }

    /// Mean loss over the rows, from the pre-activation z.
    pub fn loss(&self, z: Tensor<2>, targets: &Targets) -> Tensor<1> {
        match self.kind {
            LossKind::Mse => MseLoss::new().forward(activate(self.activation, z), targets.float.clone(), Reduction::Mean),
            LossKind::Mae => LpLossConfig::l1().forward(activate(self.activation, z), targets.float.clone(), Reduction::Mean),
            LossKind::Bce => self
                .bce
                .as_ref()
                .expect("built for bce")
                .forward(z, targets.int.clone().expect("int targets for bce")),
        }
    }

    /// Whether this is a classifier (accuracy is reported).
    pub fn classifies(&self) -> bool {
        self.kind == LossKind::Bce
    }
}

/// Fraction of rows where z's class (z >= 0, i.e. sigmoid(z) >= 0.5) equals the 0/1 target.
pub fn accuracy(z: &[f64], y: &[f64]) -> f64 {
    let hits = z.iter().zip(y).filter(|(z, y)| f64::from(u8::from(**z >= 0.0)) == **y).count();
    hits as f64 / y.len().max(1) as f64
}
