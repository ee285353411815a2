//! Resolves a loaded config into everything a run needs: data splits, the neuron, the loss,
//! the loop settings and the device. Every input error surfaces here, before any file is made.

use crate::backend;
use crate::config::{Config, Loaded, LossKind, ModelKind};
use crate::data::{self, Splits};
use crate::error::GdlabError;
use crate::nn::loss::Objective;
use crate::nn::model::Network;
use crate::train::Settings;
use burn::prelude::*;

pub struct Experiment {
    pub loaded: Loaded,
    pub splits: Splits,
    pub device: Device,
    pub model: Network,
    pub objective: Objective,
    pub settings: Settings,
    /// Names of the scalar parameters (w_<feature>..., b; l1.w[i,j]... for an mlp).
    pub param_names: Vec<String>,
}

/// Loads the data and builds the model for gradient descent.
pub fn prepare(loaded: Loaded) -> Result<Experiment, GdlabError> {
    let c = &loaded.config;
    let seed = c.experiment.seed;
    let raw = data::load(&c.data, seed, &loaded.base_dir)?;
    let outputs = model_outputs(c, raw.outputs())?;
    match c.loss.kind {
        LossKind::Bce => raw.check_binary_targets()?,
        LossKind::CrossEntropy => raw.check_classes(outputs)?,
        _ => {}
    }
    let splits = data::split(raw, c.data.validation, c.data.standardise, seed)?;
    let device = backend::device(c.backend.name, c.backend.dtype)?;
    let mut objective = Objective::new(c.loss.kind, c.model.output(), outputs, &device)?;
    // A sigmoid fitted to 0/1 targets is a classifier whatever the loss: report its accuracy.
    let binary = splits.train.y.iter().all(|v| *v == 0.0 || *v == 1.0);
    objective.reports_accuracy |= c.model.output() == crate::config::Activation::Sigmoid && binary;
    let names = &splits.train.feature_names;
    let model = Network::new(&c.model, names.len(), outputs, names, seed, &device)?;
    let param_names = model.parameter_names(c.model.kind, names);
    let o = &c.optimizer;
    let settings = Settings {
        lr: o.lr,
        batch_size: o.batch_size,
        steps: o.steps,
        epochs: o.epochs,
        tol: o.tol,
        patience: o.patience,
        momentum: o.momentum,
        weight_decay: o.weight_decay,
        diverge_above: o.diverge_above,
        log_every: c.output.log_every,
        shards: c.backend.shards,
        backend: c.backend.name,
        seed,
    };
    Ok(Experiment { loaded, splits, device, model, objective, settings, param_names })
}

/// How many outputs the model needs: one per target column, or one per class for
/// cross-entropy (which takes a single column of class indices; the class count is the last
/// layer size).
pub fn model_outputs(c: &Config, target_columns: usize) -> Result<usize, GdlabError> {
    let bad = |message: String, hint: &str| GdlabError::Input(format!("key `data.target`: {message}\n  hint: {hint}"));
    match (c.model.kind, c.loss.kind) {
        (ModelKind::Neuron, _) if target_columns != 1 => Err(bad(
            format!("a neuron has one output but {target_columns} target columns are given"),
            "use kind = \"mlp\" for several outputs",
        )),
        (_, LossKind::CrossEntropy) if target_columns != 1 => {
            Err(bad(format!("cross_entropy takes one column of class indices, got {target_columns}"), "give the class column as target"))
        }
        (ModelKind::Mlp, LossKind::CrossEntropy) => Ok(*c.model.layers.as_ref().expect("validated").last().unwrap()),
        _ => Ok(target_columns),
    }
}
