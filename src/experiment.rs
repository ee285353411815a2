//! Resolves a loaded config into everything a run needs: data splits, the neuron, the loss,
//! the loop settings and the device. Every input error surfaces here, before any file is made.

use crate::backend;
use crate::config::{Loaded, LossKind};
use crate::data::{self, Splits};
use crate::error::GdlabError;
use crate::loss::Objective;
use crate::model::Neuron;
use crate::train::Settings;
use burn::prelude::*;

pub struct Experiment {
    pub loaded: Loaded,
    pub splits: Splits,
    pub device: Device,
    pub model: Neuron,
    pub objective: Objective,
    pub settings: Settings,
    /// Names of the scalar parameters (w_<feature>..., b).
    pub param_names: Vec<String>,
}

/// Loads the data and builds the model for gradient descent.
pub fn prepare(loaded: Loaded) -> Result<Experiment, GdlabError> {
    let c = &loaded.config;
    let seed = c.experiment.seed;
    let raw = data::load(&c.data, seed, &loaded.base_dir)?;
    if c.loss.kind == LossKind::Bce {
        raw.check_binary_targets()?;
    }
    let splits = data::split(raw, c.data.validation, c.data.standardise, seed)?;
    // Loss checks come before the device so a bad pairing is reported without touching burn.
    let device = backend::device(c.backend.name, c.backend.dtype)?;
    let objective = Objective::new(c.loss.kind, c.model.activation, &device)?;
    let names = &splits.train.feature_names;
    let model = Neuron::new(&c.model, names.len(), names, seed, &device)?;
    let param_names = Neuron::parameter_names(names, c.model.bias);
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
        seed,
    };
    Ok(Experiment { loaded, splits, device, model, objective, settings, param_names })
}
