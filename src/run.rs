//! `gdlab train`: prepare (all input checks), then create the run folder, train, and write
//! every artifact. Nothing is created on disk until the inputs have been accepted.

use crate::artifacts::{self, Summary};
use crate::config::{self, Loaded};
use crate::error::GdlabError;
use crate::data::Splits;
use crate::experiment::{self, Experiment};
use crate::plot::{self, LineChart, Series};
use crate::train::{self, Outcome, Record, StopReason};
use burn::module::Module;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

pub struct TrainOptions {
    /// Exact run folder (`--out`); default `<output.dir>/<name>/<run-id>`.
    pub out: Option<PathBuf>,
    pub quiet: bool,
}

/// What a finished (or stopped) run produced.
pub struct RunResult {
    pub dir: PathBuf,
    pub summary: Summary,
}

/// Trains the loaded config and writes its run folder.
pub fn train(loaded: Loaded, opts: &TrainOptions, interrupt: &AtomicBool) -> Result<RunResult, GdlabError> {
    let exp = experiment::prepare(loaded)?;
    let dir = open_run_folder(&exp.loaded, opts.out.as_deref())?;
    let started = Instant::now();
    let bar = progress_bar(&exp, opts.quiet);
    let outcome = train::train(
        exp.model.clone(),
        &exp.objective,
        &exp.splits.train,
        exp.splits.validation.as_ref(),
        &exp.settings,
        &exp.device,
        interrupt,
        &mut |r: &Record| {
            bar.set_position(r.step as u64);
            bar.set_message(format!("loss {:.6}", r.loss));
        },
    );
    bar.finish_and_clear();
    let wall = started.elapsed().as_secs_f64();
    let ctx = RunContext { loaded: &exp.loaded, splits: &exp.splits, param_names: &exp.param_names, batch_size: exp.settings.batch_size };
    let summary = write_outputs(&ctx, &outcome, &dir, wall)?;
    Ok(RunResult { dir, summary })
}

/// Creates the run folder and writes the resolved config into it (first, so a run that
/// stops early still says what it was). The data path is rewritten relative to the run
/// folder so that `gdlab train <run>/config.toml` finds the same file.
pub fn open_run_folder(loaded: &Loaded, out: Option<&Path>) -> Result<PathBuf, GdlabError> {
    let c = &loaded.config;
    let dir = artifacts::create_run_dir(&c.output.dir, &c.experiment.name, out).map_err(GdlabError::io("cannot create the run folder"))?;
    let mut stored = c.clone();
    if let Some(p) = &c.data.path {
        stored.data.path = Some(relocate(&loaded.base_dir.join(p), &dir));
    }
    let header = format!(
        "# gdlab {} resolved config: defaults filled in, overrides applied.\n# Reproduce with: gdlab train {}\n\n",
        env!("CARGO_PKG_VERSION"),
        dir.join("config.toml").display()
    );
    let toml_text = format!("{header}{}", config::to_toml(&stored));
    artifacts::write_atomic(&dir.join("config.toml"), toml_text.as_bytes()).map_err(GdlabError::io("cannot write config.toml"))?;
    Ok(dir)
}

/// What the run folder writer needs to know besides the outcome.
pub struct RunContext<'a> {
    pub loaded: &'a Loaded,
    pub splits: &'a Splits,
    pub param_names: &'a [String],
    pub batch_size: Option<usize>,
}

fn progress_bar(exp: &Experiment, quiet: bool) -> ProgressBar {
    let n = exp.splits.train.len();
    let s = &exp.settings;
    let per_epoch = n.div_ceil(s.batch_size.unwrap_or(n).min(n).max(1));
    let total = s.steps.unwrap_or_else(|| s.epochs.unwrap_or(config::DEFAULT_STEPS) * per_epoch);
    // stderr draw targets hide themselves when stderr is not a terminal.
    let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let bar = ProgressBar::with_draw_target(Some(total as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:40}] step {pos}/{len} {msg} ({elapsed})")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar
}

/// `target` as a path relative to `from` (absolute when no relative path exists).
fn relocate(target: &Path, from: &Path) -> PathBuf {
    let abs = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let (t, f) = (abs(target), abs(from));
    pathdiff::diff_paths(&t, &f).unwrap_or(t)
}

/// Writes metrics.csv, model.bpk, summary.json and the loss plot.
pub fn write_outputs(ctx: &RunContext, out: &Outcome, dir: &Path, wall: f64) -> Result<Summary, GdlabError> {
    let c = &ctx.loaded.config;
    let splits = ctx.splits;
    let csv = artifacts::metrics_csv(&out.records, ctx.param_names);
    artifacts::write_atomic(&dir.join("metrics.csv"), &csv).map_err(GdlabError::io("cannot write metrics.csv"))?;

    let bytes = out
        .model
        .clone()
        .into_record()
        .into_bytes()
        .map_err(|e| GdlabError::Runtime(format!("cannot serialise the model: {e}")))?;
    artifacts::write_atomic(&dir.join("model.bpk"), &bytes).map_err(GdlabError::io("cannot write model.bpk"))?;

    let last = out.records.last().expect("every run records step 0");
    let n = splits.train.len();
    let per_epoch = n.div_ceil(ctx.batch_size.unwrap_or(n).min(n).max(1));
    let summary = Summary {
        experiment: c.experiment.name.clone(),
        final_loss: last.loss,
        final_val_loss: last.val_loss,
        final_accuracy: last.accuracy,
        final_val_accuracy: last.val_accuracy,
        steps: out.steps,
        epochs: out.steps / per_epoch,
        stop_reason: out.stop,
        diverged_at_step: out.diverged_at,
        parameters: out.model.parameters(c.model.kind),
        parameter_names: ctx.param_names.to_vec(),
        features: splits.train.feature_names.clone(),
        targets: splits.train.target_names.clone(),
        train_rows: splits.train.len(),
        validation_rows: splits.validation.as_ref().map_or(0, |v| v.len()),
        standardiser: splits.standardiser.clone(),
        backend: format!("{:?}", c.backend.name).to_lowercase(),
        dtype: format!("{:?}", c.backend.dtype).to_lowercase(),
        seed: c.experiment.seed,
        wall_time_s: wall,
        gdlab_version: env!("CARGO_PKG_VERSION").into(),
        burn_version: crate::backend::BURN_VERSION.into(),
    };
    let json = serde_json::to_string_pretty(&summary).expect("summary serialises");
    artifacts::write_atomic(&dir.join("summary.json"), json.as_bytes())
        .map_err(GdlabError::io("cannot write summary.json"))?;

    let mut series = vec![Series::line("training loss", out.records.iter().map(|r| (r.step as f64, r.loss)).collect())];
    if out.records.iter().any(|r| r.val_loss.is_some()) {
        series.push(Series::line("validation loss", out.records.iter().filter_map(|r| r.val_loss.map(|v| (r.step as f64, v))).collect()));
    }
    let loss_name = match out.rule {
        crate::train::Rule::GradientDescent => format!("{} loss", format!("{:?}", c.loss.kind).to_uppercase()),
        crate::train::Rule::Perceptron => "error rate (perceptron rule)".to_string(),
    };
    let title = format!("{}: {} ({})", c.experiment.name, loss_name, stop_word(out.stop));
    plot::write(
        dir,
        "loss",
        (900, 560),
        &LineChart { title: &title, x_label: "step (parameter updates)", y_label: &loss_name, series: &series, log_y: None },
    )
    .map_err(GdlabError::io("cannot write the loss plot"))?;
    Ok(summary)
}

fn stop_word(s: StopReason) -> &'static str {
    match s {
        StopReason::Completed => "completed",
        StopReason::Converged => "converged",
        StopReason::Diverged => "diverged",
        StopReason::Interrupted => "interrupted",
    }
}

/// The one-screen summary printed after a run.
pub fn report(r: &RunResult, lr: f64) -> String {
    let s = &r.summary;
    let mut out = format!(
        "{}: {} after {} steps ({} epochs) in {:.2} s on {} {}\n",
        s.experiment,
        stop_word(s.stop_reason),
        s.steps,
        s.epochs,
        s.wall_time_s,
        s.backend,
        s.dtype
    );
    out += &format!("  final loss   {:.6e}", s.final_loss);
    if let Some(v) = s.final_val_loss {
        out += &format!("  (validation {v:.6e})");
    }
    out += "\n";
    if let Some(a) = s.final_accuracy {
        out += &format!("  accuracy     {:.2}% train", a * 100.0);
        if let Some(v) = s.final_val_accuracy {
            out += &format!(", {:.2}% validation", v * 100.0);
        }
        out += "\n";
    }
    let flat = s.parameters.flat();
    if flat.len() <= train::MAX_PARAM_COLUMNS {
        let parts: Vec<String> = s.parameter_names.iter().zip(&flat).map(|(n, v)| format!("{n} = {v:.6}")).collect();
        out += &format!("  parameters   {}\n", parts.join(", "));
    } else {
        out += &format!("  parameters   {} (see summary.json)\n", flat.len());
    }
    if s.stop_reason == StopReason::Diverged {
        out += &format!(
            "  DIVERGED at step {}: the loss became {} (not finite, or above optimizer.diverge_above).\n  likely cause: the learning rate {lr} is too large for this problem; try --set optimizer.lr={}\n",
            s.diverged_at_step.unwrap_or(s.steps),
            if s.final_loss.is_finite() { format!("{:.3e}", s.final_loss) } else { s.final_loss.to_string() },
            lr / 10.0
        );
    }
    out += &format!("  run folder   {}\n", r.dir.display());
    out
}
