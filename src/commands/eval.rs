//! `gdlab eval RUN_DIR [--data CSV]`: load a run's checkpoint and measure it on its own data
//! (train and validation parts) or on another CSV with the same columns.

use crate::config::spec::DataSource;
use crate::config::{self, Activation, LossKind};
use crate::data::{self, Dataset};
use crate::error::GdlabError;
use crate::nn::loss::Objective;
use crate::nn::model::Network;
use crate::run::artifacts::RunState;
use crate::train::experiment::model_outputs;
use std::path::Path;

/// Loss (and accuracy for classifiers) of one data set.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Score {
    pub part: String,
    pub rows: usize,
    pub loss: f64,
    pub accuracy: Option<f64>,
}

/// What `gdlab eval` found: the run folder's state in words and a score per data set.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Evaluation {
    pub state: String,
    pub scores: Vec<Score>,
}

impl std::fmt::Display for Evaluation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "run: {}", self.state)?;
        for s in &self.scores {
            let acc = s.accuracy.map(|a| format!("  accuracy {:.2}%", a * 100.0)).unwrap_or_default();
            writeln!(f, "{:<12} rows {:>5}  loss {}{acc}", s.part, s.rows, crate::report::number(s.loss))?;
        }
        Ok(())
    }
}

pub fn eval(run_dir: &Path, other: Option<&Path>) -> Result<Evaluation, GdlabError> {
    let state = RunState::read_verified(run_dir)?;
    let loaded = config::load(&run_dir.join("config.toml"), &[])?;
    let spec = &loaded.spec;
    // A finished run's summary names its columns; a killed run's come from its config's data.
    let (features, targets, standardiser) = match &state {
        RunState::Finished(s) => (s.features.clone(), s.targets.clone(), s.standardiser.clone()),
        RunState::Interrupted { .. } => {
            let exp = crate::train::experiment::prepare(loaded.clone())?;
            (exp.splits.train.feature_names.clone(), exp.splits.train.target_names.clone(), exp.splits.standardiser.clone())
        }
    };
    let device = crate::backend::device(&spec.backend.target, spec.backend.dtype)?;
    let outputs = model_outputs(spec, targets.len())?;
    // A perceptron's run (a step neuron) has no loss to differentiate: it is scored as the rule
    // scores itself in its metrics.csv, by the error rate of step(z).
    let objective = match spec.model.output() {
        Activation::Step => None,
        output => Some(Objective::new(spec.loss, output, outputs)?),
    };
    let model = Network::new(&spec.model, features.len(), outputs, &features, spec.seed, &device)?;
    let model = crate::run::load_parameters(run_dir, &state, model)?;

    let mut parts: Vec<(String, Dataset)> = Vec::new();
    match other {
        Some(path) => {
            let positive = match &spec.data.source {
                DataSource::Csv(csv) => csv.positive.as_deref(),
                DataSource::Generated(_) => None,
            };
            let mut d = data::csv::read(path, &targets, Some(&features), positive)?;
            if d.is_empty() {
                return Err(data::DataError::Empty { origin: d.name, hint: "the CSV needs data rows".into() }.into());
            }
            if let Some(s) = &standardiser {
                s.apply(&mut d);
            }
            parts.push((path.display().to_string(), d));
        }
        None => {
            let raw = data::load(&spec.data.source, spec.seed, &loaded.base_dir)?;
            let splits = data::split(raw, spec.data.validation, spec.data.standardise, spec.seed)?;
            parts.push(("train".into(), splits.train));
            if let Some(v) = splits.validation {
                parts.push(("validation".into(), v));
            }
        }
    }
    let mut scores = Vec::new();
    for (part, d) in parts {
        match spec.loss {
            LossKind::Bce => d.check_binary_targets()?,
            LossKind::CrossEntropy => d.check_classes(outputs)?,
            _ => {}
        }
        let x = crate::backend::upload(&d.x, [d.len(), d.dims()], &device);
        let z = model.forward(x);
        let (loss, accuracy) = match &objective {
            Some(objective) => {
                let loss = objective.loss(z.clone(), &objective.targets(&d.y, d.outputs(), &device)).into_scalar::<f64>();
                let acc = objective
                    .classifies(&d.y)
                    .then(|| objective.accuracy(&z.clone().try_into_vec_as::<f64>().expect("readable z"), &d.y, z.dims()[1]));
                (loss, acc)
            }
            None => {
                // On the host in f64, as the rule scored itself: a row with z near 0 must not
                // flip against metrics.csv through the device's rounding.
                let p = model.parameters(spec.model.kind()).flat();
                let (w, b) = p.split_at(d.dims());
                let rate = crate::train::perceptron::error_rate(w, b.first().copied().unwrap_or(0.0), &d);
                (rate, Some(1.0 - rate))
            }
        };
        scores.push(Score { part, rows: d.len(), loss, accuracy });
    }
    Ok(Evaluation { state: state.describe_at(run_dir), scores })
}
