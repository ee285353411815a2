//! Resolves a loaded config into everything a run needs: data splits, the neuron, the loss,
//! the loop settings and the device. Every input error surfaces here, before any file is made.

use crate::backend;
use crate::config::spec::{Architecture, CsvFile, CsvSource, DataSource, Spec};
use crate::config::{DType, Loaded, LossKind};
use crate::data::{self, Splits};
use crate::error::GdlabError;
use crate::nn::loss::Objective;
use crate::nn::model::Network;
use crate::train::{Settings, memory};
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

impl Experiment {
    /// A fresh trainer at the experiment's start (what `gdlab train`, `--resume` and a live
    /// session begin from).
    pub fn trainer(&self) -> crate::train::Trainer<'_> {
        crate::train::Trainer::for_datasets(
            self.model.clone(),
            &self.objective,
            &self.splits.train,
            self.splits.validation.as_ref(),
            &self.settings,
            &self.device,
        )
    }
}

/// Loads the data and builds the model for gradient descent.
pub fn prepare(loaded: Loaded) -> Result<Experiment, GdlabError> {
    let spec = &loaded.spec;
    let seed = spec.seed;
    let raw = load_within_budget(&loaded)?;
    if spec.backend.dtype == DType::F32 {
        raw.check_f32_range()?;
    }
    let outputs = model_outputs(spec, raw.outputs())?;
    match spec.loss {
        LossKind::Bce => raw.check_binary_targets()?,
        LossKind::CrossEntropy => raw.check_classes(outputs)?,
        _ => {}
    }
    let splits = data::split(raw, spec.data.validation, spec.data.standardise, seed)?;
    let device = backend::device(&spec.backend.target, spec.backend.dtype)?;
    let objective = objective(spec, outputs, &splits.train.y)?;
    let names = &splits.train.feature_names;
    let model = Network::new(&spec.model, names.len(), outputs, names, seed, &device)?;
    let param_names = model.parameter_names(spec.model.kind(), names);
    let settings = Settings::new(spec, loaded.config.output.log_every);
    Ok(Experiment { loaded, splits, device, model, objective, settings, param_names })
}

/// The configured data, refused before it is allocated when the run would not fit the memory
/// budget (a generator's size is known from the config; a CSV is checked by its file size
/// before reading and by its rows after).
pub fn load_within_budget(loaded: &Loaded) -> Result<data::Dataset, GdlabError> {
    let spec = &loaded.spec;
    match &spec.data.source {
        DataSource::Generated(g) => {
            memory::check(spec, g.rows(), g.dims(), 1, "data.n")?;
        }
        DataSource::Csv(CsvSource { file: CsvFile::Shipped(_), .. }) => {}
        DataSource::Csv(CsvSource { file: CsvFile::Path(path), .. }) => {
            let bytes = std::fs::metadata(loaded.base_dir.join(path)).map_or(0, |m| m.len());
            if bytes > memory::limit_mib(spec) * 1024 * 1024 {
                return Err(GdlabError::Input(format!(
                    "key `data.path`: {} is {} MiB, above the memory budget of {} MiB\n  hint: raise backend.memory_limit_mib (default: half of this machine's memory)",
                    path.display(),
                    bytes / (1024 * 1024),
                    memory::limit_mib(spec)
                )));
            }
        }
    }
    let raw = data::load(&spec.data.source, spec.seed, &loaded.base_dir)?;
    if let DataSource::Csv(_) = spec.data.source {
        memory::check(spec, raw.len(), raw.dims(), raw.outputs(), "data.path")?;
    }
    Ok(raw)
}

/// The loss bound to the model's output; it reports accuracy where the training targets `y`
/// make it a classifier.
pub fn objective(spec: &Spec, outputs: usize, y: &[f64]) -> Result<Objective, GdlabError> {
    let mut objective = Objective::new(spec.loss, spec.model.output(), outputs)?;
    objective.reports_accuracy = objective.classifies(y);
    Ok(objective)
}

/// How many outputs the model needs: one per target column, or one per class for
/// cross-entropy (which takes a single column of class indices; the class count is the last
/// layer size).
pub fn model_outputs(spec: &Spec, target_columns: usize) -> Result<usize, GdlabError> {
    let bad = |message: String, hint: &str| GdlabError::Input(format!("key `data.target`: {message}\n  hint: {hint}"));
    match (&spec.model.shape, spec.loss) {
        (Architecture::Neuron { .. }, _) if target_columns != 1 => Err(bad(
            format!("a neuron has one output but {target_columns} target columns are given"),
            "use kind = \"mlp\" for several outputs",
        )),
        (_, LossKind::CrossEntropy) if target_columns != 1 => {
            Err(bad(format!("cross_entropy takes one column of class indices, got {target_columns}"), "give the class column as target"))
        }
        (Architecture::Mlp { layers, .. }, LossKind::CrossEntropy) => Ok(layers[layers.len() - 1]),
        _ => Ok(target_columns),
    }
}
