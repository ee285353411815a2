//! The perceptron rule: Rosenblatt's rule on a step neuron, written out as taught, so it can be
//! set beside gradient descent on the same data (`gdlab perceptron` writes its run folder, the
//! live lab's perceptron page draws it):
//!
//!   output  o = step(w . x + b)          (1 if w . x + b >= 0, else 0)
//!   update  w <- w + lr (t - o) x,  b <- b + lr (t - o)     for one row at a time
//!
//! A row already classified right (t = o) changes nothing. One epoch visits the training rows
//! in order; the run stops ("converged") after an epoch without a mistake. The "loss" column of
//! metrics.csv is the error rate (the fraction of rows misclassified): the rule's own
//! criterion, since the step has no gradient.

use crate::config::spec::Budget;
use crate::config::{Loaded, ModelKind};
use crate::data;
use crate::error::GdlabError;
use crate::gradient::params;
use crate::nn::model::Network;
use crate::train::{Outcome, Record, Rule, StopReason};
use std::sync::atomic::{AtomicBool, Ordering};

/// Error rate of the step neuron on a data set (host f64).
pub(crate) fn error_rate(w: &[f64], b: f64, d: &data::Dataset) -> f64 {
    let wrong = (0..d.len())
        .filter(|&i| {
            let z: f64 = d.row(i).iter().zip(w).map(|(x, w)| x * w).sum::<f64>() + b;
            f64::from(u8::from(z >= 0.0)) != d.y[i]
        })
        .count();
    wrong as f64 / d.len().max(1) as f64
}

/// The rule run on a config's data, in memory: what `gdlab perceptron` writes and the live
/// lab's perceptron page draws.
pub struct RuleRun {
    pub loaded: Loaded,
    pub splits: data::Splits,
    pub param_names: Vec<String>,
    pub outcome: Outcome,
}

fn check(loaded: &Loaded) -> Result<(), GdlabError> {
    if loaded.spec.model.kind() != ModelKind::Neuron {
        return Err(GdlabError::Input(format!(
            "{}: key `model.kind`: the perceptron rule trains a single neuron, not an mlp\n  hint: set kind = \"neuron\"",
            loaded.origin
        )));
    }
    Ok(())
}

/// Epochs `gdlab perceptron` runs at most: it keeps one record per epoch in memory.
pub const MAX_EPOCHS: usize = 1_000_000;

/// Trains a config's neuron with the perceptron rule (no files written). One record per epoch,
/// at most `max_epochs` of them (refused before the rule starts).
pub fn rule(loaded: Loaded, max_epochs: usize, interrupt: &AtomicBool) -> Result<RuleRun, GdlabError> {
    check(&loaded)?;
    let spec = &loaded.spec;
    let seed = spec.seed;
    let reading = loaded.clone();
    let raw = crate::stop::interruptible(interrupt, "reading the data", move || crate::train::experiment::load_within_budget(&reading))?;
    if raw.outputs() != 1 {
        return Err(GdlabError::Input(format!(
            "{}: key `data.target`: the perceptron has one output; give one target column",
            loaded.origin
        )));
    }
    raw.check_binary_targets()?;
    let splits = data::split(raw, spec.data.validation, spec.data.standardise, seed)?;
    let device = crate::backend::device(&spec.backend.target, spec.backend.dtype)?;
    let names = splits.train.feature_names.clone();
    let model = Network::new(&spec.model, names.len(), 1, &names, seed, &device)?;
    let param_names = model.parameter_names(ModelKind::Neuron, &names);
    let n = splits.train.len();
    // The rule updates after each row: an epoch is n updates, and a budget in steps is
    // rounded up to whole epochs.
    let epochs = match spec.descent.budget {
        Budget::Epochs(e) => e,
        Budget::Steps(s) => s.div_ceil(n.max(1)),
    };
    if epochs > max_epochs {
        let (key, given) = match spec.descent.budget {
            Budget::Epochs(e) => ("optimizer.epochs", format!("{e} epochs")),
            Budget::Steps(s) => ("optimizer.steps", format!("{s} row updates are {epochs} epochs of {n} rows")),
        };
        return Err(GdlabError::Input(format!(
            "{}: key `{key}`: {given}; the perceptron rule runs at most {max_epochs} epochs here (it keeps one record per epoch)\n  hint: the rule stops by itself once an epoch makes no mistake; give at most {max_epochs} epochs",
            loaded.origin
        )));
    }

    // The rule itself, on the host in f64: the textbook loop.
    let theta = params::values(&model);
    let d = names.len();
    let (mut w, mut b) = (theta[..d].to_vec(), if spec.model.bias { theta[d] } else { 0.0 });
    let lr = spec.descent.lr;
    let record = |step: usize, epoch: usize, w: &[f64], b: f64| Record {
        step,
        epoch,
        loss: error_rate(w, b, &splits.train),
        val_loss: splits.validation.as_ref().map(|v| error_rate(w, b, v)),
        accuracy: Some(1.0 - error_rate(w, b, &splits.train)),
        val_accuracy: splits.validation.as_ref().map(|v| 1.0 - error_rate(w, b, v)),
        grad_norm: None,
        lr,
        params: w.iter().copied().chain(spec.model.bias.then_some(b)).collect(),
        predicted_dc: None,
        actual_dc: None,
    };
    let mut records = vec![record(0, 0, &w, b)];
    let mut stop = StopReason::Completed;
    let mut step = 0;
    for epoch in 1..=epochs {
        if interrupt.load(Ordering::Relaxed) {
            stop = StopReason::Interrupted;
            break;
        }
        let mut mistakes = 0;
        for i in 0..n {
            let x = splits.train.row(i);
            let z: f64 = x.iter().zip(&w).map(|(x, w)| x * w).sum::<f64>() + b;
            let o = f64::from(u8::from(z >= 0.0));
            let err = splits.train.y[i] - o;
            if err != 0.0 {
                mistakes += 1;
                for (w, x) in w.iter_mut().zip(x) {
                    *w += lr * err * x;
                }
                if spec.model.bias {
                    b += lr * err;
                }
            }
            step += 1;
        }
        records.push(record(step, epoch, &w, b));
        if mistakes == 0 {
            stop = StopReason::Converged;
            break;
        }
    }
    let values: Vec<f64> = w.iter().copied().chain(spec.model.bias.then_some(b)).collect();
    let outcome =
        Outcome { rule: Rule::Perceptron, model: params::with_values(&model, &values), records, stop, steps: step, diverged_at: None };
    Ok(RuleRun { loaded, splits, param_names, outcome })
}
