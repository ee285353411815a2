//! `gdlab perceptron`: the perceptron rule (`train::perceptron`) run on a config, written as
//! the same run folder as `train` writes.

use crate::config::Loaded;
use crate::config::spec::Schedule;
use crate::error::GdlabError;
use crate::run::{self, RunContext, RunResult};
use crate::train::perceptron::{MAX_EPOCHS, rule};
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

pub fn perceptron(loaded: Loaded, out: Option<&Path>, interrupt: &AtomicBool) -> Result<RunResult, GdlabError> {
    let started = Instant::now();
    let lr = loaded.spec.descent.lr;
    // Every input error surfaces before the folder is made.
    let r = rule(loaded, MAX_EPOCHS, interrupt)?;
    let folder = run::open_run_folder(&r.loaded, out)?;
    let dir = folder.dir.clone();
    let ctx = RunContext { loaded: &r.loaded, splits: &r.splits, param_names: &r.param_names, schedule: Schedule::MiniBatch { size: 1 } };
    let summary = run::write_outputs(&ctx, &r.outcome, &dir, started.elapsed().as_secs_f64(), None)?;
    Ok(RunResult { dir, summary, lr })
}
