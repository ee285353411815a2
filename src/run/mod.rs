//! `gdlab train`: prepare (all input checks), then create the run folder, train, and write
//! every artifact. Nothing is created on disk until the inputs have been accepted.

pub mod artifacts;
pub mod checkpoint;

use crate::config::spec::{Budget, Schedule};
use crate::config::{self, Loaded};
use crate::data::Splits;
use crate::error::GdlabError;
use crate::nn::model::Network;
use crate::report::plot::{self, FigureLang, LineChart, Series};
use crate::train::experiment::{self, Experiment};
use crate::train::{self, Checkpoint, Outcome, Record, StopReason, Trainer};
use artifacts::Summary;
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
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunResult {
    pub dir: PathBuf,
    pub summary: Summary,
    /// The learning rate the run ended with (the divergence hint suggests a tenth of it).
    pub lr: f64,
}

/// Trains the loaded config and writes its run folder.
pub fn train(loaded: Loaded, opts: &TrainOptions, interrupt: &AtomicBool) -> Result<RunResult, GdlabError> {
    let exp = crate::stop::interruptible(interrupt, "reading the data", move || experiment::prepare(loaded))?;
    let folder = open_run_folder(&exp.loaded, opts.out.as_deref())?;
    let metrics = artifacts::MetricsWriter::create(&folder.dir.join("metrics.csv"), &exp.param_names)
        .map_err(GdlabError::io("cannot write metrics.csv"))?;
    descend(&exp, exp.trainer(), folder, metrics, 0.0, opts.quiet, interrupt)
}

/// `gdlab train --resume RUN_DIR`: continues a run from its last checkpoint. `overrides` may
/// change the budget (`optimizer.steps`/`epochs`, never below the step reached),
/// `optimizer.lr` and `output.log_every` / `output.checkpoint_every`; any other change is
/// refused, naming the key, and so is a folder whose config.toml, metrics.csv or checkpoint no
/// longer agree. Everything that can refuse happens before the folder is touched. A run killed
/// before its first checkpoint starts again from step 0 in the same folder.
pub fn resume(dir: &Path, overrides: &[String], quiet: bool, interrupt: &AtomicBool) -> Result<RunResult, GdlabError> {
    let not_a_run = |what: String| GdlabError::Input(format!("{}: cannot resume: {what}", dir.display()));
    let config_path = dir.join("config.toml");
    if !config_path.is_file() {
        return Err(not_a_run(if folder_holds_only_temps(dir) {
            format!(
                "killed before it wrote its config.toml, so there is nothing to continue\n  hint: start it again in this folder with gdlab train CONFIG --out {}",
                dir.display()
            )
        } else {
            "no config.toml: not a gdlab run folder".into()
        }));
    }
    // Held until the run stops: a second --resume (or anything else) cannot write here too.
    let folder = artifacts::RunFolder::lock(dir)?;
    let checkpoint = checkpoint::read(dir)?;
    let stored = config::load(&config_path, &[])?;
    let base = match &checkpoint {
        Some((h, _)) => checkpoint_config(dir, &h.config)?,
        None => stored.config.clone(),
    };
    config_edits(&config_path, &base, &stored.config)?;
    let loaded = config::load(&config_path, overrides)?;
    let set = config::diff(&stored.config, &loaded.config);
    if let Some((key, was, now)) = set.iter().find(|(k, _, _)| !RESUMABLE_KEYS.contains(&k.as_str())) {
        return Err(GdlabError::Input(format!(
            "{}: key `{key}`: a resumed run keeps its model, data, loss and the rest of its settings (it was {was}, --set gives {now})\n  hint: only {} may change on --resume; start a new run for anything else",
            dir.display(),
            RESUMABLE_KEYS.join(", ")
        )));
    }
    let changes = config::diff(&base, &loaded.config);
    let exp = crate::stop::interruptible(interrupt, "reading the data", move || experiment::prepare(loaded))?;
    if let Some((h, _)) = &checkpoint
        && !h.data_sha256.is_empty()
        && h.data_sha256 != exp.splits.fingerprint()
    {
        return Err(GdlabError::Input(format!(
            "{}: key `data`: the data differ from what the checkpoint was trained on (fingerprint {} vs {})\n  hint: was the data file changed? restore it, or start a new run",
            dir.display(),
            h.data_sha256.get(..12).unwrap_or(&h.data_sha256),
            &exp.splits.fingerprint()[..12]
        )));
    }
    let mut trainer = exp.trainer();
    let at = checkpoint.as_ref().map_or(0, |(h, _)| h.step);
    if trainer.max_steps() < at {
        let (key, value) = match exp.loaded.spec.descent.budget {
            Budget::Steps(k) => ("optimizer.steps", format!("{k}")),
            Budget::Epochs(e) => ("optimizer.epochs", format!("{e} ({} updates)", trainer.max_steps())),
        };
        return Err(GdlabError::Input(format!(
            "{}: key `{key}`: {value} is below the {at} updates the run has already made\n  hint: a resume can only extend a run: give at least {at} updates, or start a new run with the smaller budget",
            dir.display()
        )));
    }
    // metrics.csv must still hold exactly the rows the checkpoint counted.
    let keep = match &checkpoint {
        Some((h, _)) => artifacts::check_prefix(dir, h.metrics_len, &h.metrics_sha256, false, "checkpoint.bin")?,
        None => artifacts::Prefix::empty(),
    };
    if let Some((_, c)) = &checkpoint {
        trainer.restore(c).map_err(|e| not_a_run(format!("{e} (was the data file changed?)")))?;
    }
    let history = read_history(dir)?;
    // The folder is now a run in progress again: no summary until it stops.
    match std::fs::remove_file(dir.join("summary.json")) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(GdlabError::io("cannot remove the old summary.json")(e)),
    }
    if !changes.is_empty() {
        let by = |key: &str| if set.iter().any(|(k, _, _)| k == key) { "--set" } else { "config.toml" };
        record_history(dir, history, at, &changes, by)?;
    }
    // The folder's config says what this process trains with, whatever changed it.
    if stored.config != exp.loaded.config {
        write_config(&exp.loaded, dir, &exp.loaded.config)?;
    }
    let metrics = artifacts::MetricsWriter::open(&dir.join("metrics.csv"), &exp.param_names, keep)
        .map_err(GdlabError::io("cannot reopen metrics.csv"))?;
    let prior_s = checkpoint.as_ref().map_or(0.0, |(h, _)| h.wall_time_s);
    descend(&exp, trainer, folder, metrics, prior_s, quiet, interrupt)
}

/// The config a checkpoint of the run in `dir` was made with.
pub(crate) fn checkpoint_config(dir: &Path, text: &str) -> Result<config::Config, GdlabError> {
    Ok(config::from_text(text, &format!("{}'s config", dir.join(checkpoint::FILE).display()), dir.to_path_buf(), &[])?.config)
}

/// What changed from `base` (the checkpoint's config) to `stored` (the folder's config.toml,
/// at `path`): refused (exit 2, naming the key) when a key changed that a resume keeps, since
/// the folder would no longer reproduce its metrics.
pub(crate) fn config_edits(
    path: &Path,
    base: &config::Config,
    stored: &config::Config,
) -> Result<Vec<(String, String, String)>, GdlabError> {
    let edits = config::diff(base, stored);
    let editable = |k: &str| RESUMABLE_KEYS.contains(&k) || EDITABLE_KEYS.contains(&k);
    if let Some((key, was, now)) = edits.iter().find(|(k, _, _)| !editable(k)) {
        return Err(GdlabError::Input(format!(
            "{}: key `{key}` was changed after the run's last checkpoint (it was {was}, the file now says {now})\n  hint: put it back to {was}: a run keeps its model, data, loss and the rest of its settings; only {} may change on --resume; start a new run for anything else",
            path.display(),
            RESUMABLE_KEYS.join(", ")
        )));
    }
    Ok(edits)
}

/// Whether `dir` exists and holds nothing but gdlab's own temporary files.
fn folder_holds_only_temps(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else { return false };
    let names: Vec<bool> = entries.map(|e| e.is_ok_and(|e| e.file_name().to_str().is_some_and(crate::atomic::is_temp))).collect();
    !names.is_empty() && names.iter().all(|&t| t)
}

/// Keys of a folder's config.toml that may be edited by hand between checkpoints besides
/// `RESUMABLE_KEYS`: they cannot change the numbers (the data's own fingerprint is checked), and
/// fixing them is how a moved folder or a moved device-server is resumed.
const EDITABLE_KEYS: [&str; 5] = ["experiment.description", "output.dir", "data.path", "backend.url", "backend.token_env"];

/// Config keys a resumed run may change.
pub const RESUMABLE_KEYS: [&str; 5] =
    ["optimizer.steps", "optimizer.epochs", "optimizer.lr", "output.log_every", "output.checkpoint_every"];

/// Appends the change to history.json; `by` says whether a key was given with `--set` or
/// edited in config.toml.
fn record_history(
    dir: &Path,
    mut history: Vec<serde_json::Value>,
    at_step: usize,
    changes: &[(String, String, String)],
    by: impl Fn(&str) -> &'static str,
) -> Result<(), GdlabError> {
    let path = dir.join("history.json");
    let changed: Vec<serde_json::Value> =
        changes.iter().map(|(k, was, now)| serde_json::json!({ "key": k, "was": was, "now": now, "by": by(k) })).collect();
    history.push(serde_json::json!({ "resumed_at_step": at_step, "time": chrono::Utc::now().to_rfc3339(), "changes": changed }));
    let text = serde_json::to_string_pretty(&history).map_err(|e| GdlabError::Runtime(e.to_string()))?;
    artifacts::write_atomic(&path, text.as_bytes()).map_err(GdlabError::io("cannot write history.json"))
}

/// The folder's history.json (empty when it has none); read before anything is changed, so a
/// damaged one refuses the resume instead of being overwritten.
fn read_history(dir: &Path) -> Result<Vec<serde_json::Value>, GdlabError> {
    let path = dir.join("history.json");
    match std::fs::read_to_string(&path) {
        Ok(t) => serde_json::from_str(&t).map_err(|e| {
            GdlabError::Runtime(format!(
                "{}: not a gdlab history ({e})\n  hint: restore the file, or move it away to resume without it",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(GdlabError::io(format!("cannot read {}", path.display()))(e)),
    }
}

/// The run folder as a trainer's observer: metrics rows streamed to disk, checkpoints every
/// `output.checkpoint_every` updates, and the progress bar.
struct FolderWriter<'a> {
    dir: &'a Path,
    metrics: artifacts::MetricsWriter,
    every: usize,
    bar: &'a ProgressBar,
    last: Option<Record>,
    /// Training seconds before this process (a resumed run), and when this process started.
    prior_s: f64,
    started: Instant,
    /// The data's fingerprint and the config.toml text, stored with each checkpoint.
    data_sha256: String,
    config: String,
}

impl FolderWriter<'_> {
    fn wall_time_s(&self) -> f64 {
        self.prior_s + self.started.elapsed().as_secs_f64()
    }
}

impl train::Observer for FolderWriter<'_> {
    fn record(&mut self, r: &Record) -> Result<(), GdlabError> {
        self.metrics.write(r).map_err(GdlabError::io("cannot write metrics.csv"))?;
        self.bar.set_position(r.step as u64);
        self.bar.set_message(format!("loss {}", crate::report::number(r.loss)));
        self.last = Some(r.clone());
        Ok(())
    }

    fn checkpoint_every(&self) -> Option<usize> {
        Some(self.every)
    }

    /// metrics.csv is made durable first, so a checkpoint never points past what is on disk.
    fn checkpoint(&mut self, c: &Checkpoint) -> Result<(), GdlabError> {
        self.metrics.sync().map_err(GdlabError::io("cannot write metrics.csv"))?;
        let (metrics_len, metrics_sha256) = self.metrics.prefix_before(c.state.step);
        let state = checkpoint::FolderState {
            metrics_len,
            metrics_sha256,
            wall_time_s: self.wall_time_s(),
            data_sha256: &self.data_sha256,
            config: &self.config,
        };
        checkpoint::write(self.dir, c, &state)
    }
}

/// Runs the trainer (from `from` when resuming) into the run folder `dir`.
/// Runs `trainer` (fresh, or restored from a checkpoint after `prior_s` seconds of training)
/// into the run folder `dir`.
fn descend(
    exp: &Experiment,
    mut trainer: Trainer,
    folder: artifacts::RunFolder,
    metrics: artifacts::MetricsWriter,
    prior_s: f64,
    quiet: bool,
    interrupt: &AtomicBool,
) -> Result<RunResult, GdlabError> {
    let started = Instant::now();
    let bar = progress_bar(trainer.max_steps(), quiet);
    bar.set_position(trainer.step_count() as u64);
    let every = exp.loaded.config.output.checkpoint_every;
    let data_sha256 = exp.splits.fingerprint();
    let dir = folder.dir.clone();
    let config = stored_config_text(&exp.loaded, &dir);
    let mut writer = FolderWriter { dir: &dir, metrics, every, bar: &bar, last: None, prior_s, started, data_sha256, config };
    let stop = crate::backend::guard(&exp.loaded.spec.backend.target, || trainer.run(interrupt, &mut writer)).map_err(|e| match e {
        GdlabError::DeviceLost { device, message } => GdlabError::Runtime(format!(
            "{}: the device {device} stopped answering at step {}: {message}\n  hint: the run folder keeps its metrics and last checkpoint; once the device is back, continue with `gdlab train --resume {}`",
            dir.display(),
            trainer.step_count(),
            dir.display()
        )),
        other => other,
    })?;
    bar.finish_and_clear();
    let last = writer.last.take().ok_or_else(|| GdlabError::Runtime("the run stopped without evaluating its parameters".into()))?;
    let outcome = Outcome {
        rule: train::Rule::GradientDescent,
        model: trainer.model().clone(),
        records: vec![last],
        stop,
        steps: trainer.step_count(),
        diverged_at: trainer.diverged_at(),
    };
    let wall = writer.wall_time_s();
    writer.metrics.sync().map_err(GdlabError::io("cannot write metrics.csv"))?;
    let written = writer.metrics.prefix_before(usize::MAX);
    drop(writer);
    let ctx =
        RunContext { loaded: &exp.loaded, splits: &exp.splits, param_names: &exp.param_names, schedule: exp.settings.descent.schedule };
    let summary = write_outputs(&ctx, &outcome, &dir, wall, Some(written))?;
    Ok(RunResult { dir, summary, lr: exp.settings.descent.lr })
}

/// Creates the run folder and writes the resolved config into it (first, so a run that
/// stops early still says what it was). The data path is rewritten relative to the run
/// folder so that `gdlab train <run>/config.toml` finds the same file.
pub fn open_run_folder(loaded: &Loaded, out: Option<&Path>) -> Result<artifacts::RunFolder, GdlabError> {
    let c = &loaded.config;
    let folder = artifacts::create_run_dir(&c.output.dir, &c.experiment.name, out)?;
    write_config(loaded, &folder.dir, c)?;
    Ok(folder)
}

/// Writes `c` as the run folder's config.toml. The data path is rewritten relative to the run
/// folder so that `gdlab train <run>/config.toml` finds the same file.
fn write_config(loaded: &Loaded, dir: &Path, c: &config::Config) -> Result<(), GdlabError> {
    let header = format!(
        "# gdlab {} resolved config: defaults filled in, overrides applied.\n# Reproduce with: gdlab train {}\n\n",
        env!("CARGO_PKG_VERSION"),
        dir.join("config.toml").display()
    );
    let toml_text = format!("{header}{}", config_text(loaded, dir, c));
    artifacts::write_atomic(&dir.join("config.toml"), toml_text.as_bytes()).map_err(GdlabError::io("cannot write config.toml"))
}

/// config.toml's text without its comment lines: `c` with the data path relative to `dir`.
fn config_text(loaded: &Loaded, dir: &Path, c: &config::Config) -> String {
    let mut stored = c.clone();
    if let Some(p) = &c.data.path {
        stored.data.path = Some(relocate(&loaded.base_dir.join(p), dir));
    }
    config::to_toml(&stored)
}

/// What `write_config` stores for `loaded` in `dir`, as a checkpoint records it.
fn stored_config_text(loaded: &Loaded, dir: &Path) -> String {
    config_text(loaded, dir, &loaded.config)
}

/// `model` with the parameters of the run in `dir`: a finished run's model.bpk, or a killed
/// run's last checkpoint.
pub fn load_parameters(dir: &Path, state: &artifacts::RunState, model: Network) -> Result<Network, GdlabError> {
    let bad = |what: String| GdlabError::Runtime(format!("{}: {what}", dir.display()));
    match state {
        artifacts::RunState::Finished(summary) => {
            let path = dir.join("model.bpk");
            let bytes = std::fs::read(&path).map_err(|e| bad(format!("cannot read model.bpk: {e}")))?;
            if let Some(want) = &summary.model_sha256
                && *want != sha256(&[&bytes])
            {
                return Err(GdlabError::Runtime(format!(
                    "{}: the file is damaged: its SHA-256 differs from the one summary.json recorded\n  hint: the parameters were changed after the run wrote them; train the run again",
                    path.display()
                )));
            }
            model.with_parameter_bytes(bytes).map_err(|e| bad(format!("cannot load model.bpk: {e}")))
        }
        artifacts::RunState::Interrupted { .. } => {
            let (_, c) = checkpoint::read(dir)?.ok_or_else(|| {
                bad("killed before its first checkpoint: no parameters to load (gdlab train --resume starts it again)".into())
            })?;
            model.with_parameter_bytes(c.model).map_err(|e| bad(format!("the checkpoint's parameters do not fit this model: {e}")))
        }
    }
}

/// SHA-256 of the concatenated `parts`, in hex: the integrity check of model.bpk and
/// checkpoint.bin.
pub(crate) fn sha256(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    format!("{:x}", h.finalize())
}

/// What the run folder writer needs to know besides the outcome.
pub struct RunContext<'a> {
    pub loaded: &'a Loaded,
    pub splits: &'a Splits,
    pub param_names: &'a [String],
    pub schedule: Schedule,
}

fn progress_bar(total: usize, quiet: bool) -> ProgressBar {
    // stderr draw targets hide themselves when stderr is not a terminal.
    let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let bar = ProgressBar::with_draw_target(Some(total as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] step {pos}/{len} {msg}  {per_sec}, {elapsed} elapsed, about {eta} left")
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

/// Writes metrics.csv (unless `written` gives the length and SHA-256 of the one streamed
/// already), model.bpk, the loss plot and, last, summary.json.
pub fn write_outputs(
    ctx: &RunContext,
    out: &Outcome,
    dir: &Path,
    wall: f64,
    written: Option<(u64, String)>,
) -> Result<Summary, GdlabError> {
    let c = &ctx.loaded.config;
    let splits = ctx.splits;
    let (metrics_len, metrics_sha256) = match written {
        Some(w) => w,
        None => {
            let path = dir.join("metrics.csv");
            let sha = artifacts::write_metrics(&path, &out.records, ctx.param_names).map_err(GdlabError::io("cannot write metrics.csv"))?;
            (std::fs::metadata(&path).map_err(GdlabError::io("cannot read metrics.csv"))?.len(), sha)
        }
    };

    let bytes =
        out.model.clone().into_record().into_bytes().map_err(|e| GdlabError::Runtime(format!("cannot serialise the model: {e}")))?;
    artifacts::write_atomic(&dir.join("model.bpk"), &bytes).map_err(GdlabError::io("cannot write model.bpk"))?;
    let model_sha256 = Some(sha256(&[&bytes]));

    let last = out.records.last().expect("every run records step 0");
    let few = ctx.param_names.len() <= artifacts::SUMMARY_PARAMETERS;
    let n = splits.train.len();
    let per_epoch = ctx.schedule.per_epoch(n);
    let mut summary = Summary {
        experiment: c.experiment.name.clone(),
        final_loss: last.loss,
        final_val_loss: last.val_loss,
        final_accuracy: last.accuracy,
        final_val_accuracy: last.val_accuracy,
        steps: out.steps,
        epochs: out.steps / per_epoch,
        stop_reason: out.stop,
        diverged_at_step: out.diverged_at,
        parameters: few.then(|| out.model.parameters(c.model.kind)),
        parameter_names: if few { ctx.param_names.to_vec() } else { Vec::new() },
        parameter_count: ctx.param_names.len(),
        features: splits.train.feature_names.clone(),
        targets: splits.train.target_names.clone(),
        train_rows: splits.train.len(),
        validation_rows: splits.validation.as_ref().map_or(0, |v| v.len()),
        standardiser: splits.standardiser.clone(),
        constant_features: splits
            .standardiser
            .iter()
            .flat_map(|s| s.constant.iter().map(|&j| splits.train.feature_names[j].clone()))
            .collect(),
        backend: config::name(&c.backend.name),
        dtype: config::name(&c.backend.dtype),
        seed: c.experiment.seed,
        wall_time_s: wall,
        peak_rss_mib: None,
        gdlab_version: env!("CARGO_PKG_VERSION").into(),
        burn_version: crate::backend::BURN_VERSION.into(),
        model_sha256,
        metrics_len: Some(metrics_len),
        metrics_sha256: Some(metrics_sha256),
    };

    // The plot reads metrics.csv: a resumed run's rows are not all in memory.
    let mut curves = artifacts::metrics_curves(dir, "step", &["loss", "val_loss"], artifacts::PLOT_POINTS).map_err(GdlabError::Runtime)?;
    let validation = curves.pop().unwrap_or_default();
    let mut series = vec![Series::line("training loss", curves.pop().unwrap_or_default())];
    if !validation.is_empty() {
        series.push(Series::line("validation loss", validation));
    }
    let loss_name = match out.rule {
        crate::train::Rule::GradientDescent => format!("{} loss", config::name(&c.loss.kind).to_uppercase()),
        crate::train::Rule::Perceptron => "error rate (perceptron rule)".to_string(),
    };
    let title = format!("{}: {} ({})", c.experiment.name, loss_name, out.stop.word());
    plot::write(
        dir,
        "loss",
        (900, 560),
        &LineChart {
            title: &title,
            x_label: "step (parameter updates)",
            y_label: &loss_name,
            series: &series,
            log_y: None,
            lang: FigureLang::En,
        },
    )
    .map_err(GdlabError::io("cannot write the loss plot"))?;
    // Last: summary.json marks the run finished, and its peak memory covers everything the run
    // did, the plot's reading of metrics.csv included.
    summary.peak_rss_mib = crate::train::memory::peak_rss_mib();
    let json = serde_json::to_string_pretty(&summary).expect("summary serialises");
    artifacts::write_atomic(&dir.join("summary.json"), json.as_bytes()).map_err(GdlabError::io("cannot write summary.json"))?;
    Ok(summary)
}

/// The one-screen summary printed after a run.
impl std::fmt::Display for RunResult {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&report(self))
    }
}

fn report(r: &RunResult) -> String {
    let lr = r.lr;
    let s = &r.summary;
    let mut out = format!(
        "{}: {} after {} steps ({} epochs) in {:.2} s on {} {}\n",
        s.experiment,
        crate::style::stop_word(s.stop_reason.word()),
        s.steps,
        s.epochs,
        s.wall_time_s,
        s.backend,
        s.dtype
    );
    out += &format!("  final loss   {}", crate::report::number(s.final_loss));
    if let Some(v) = s.final_val_loss {
        out += &format!("  (validation {})", crate::report::number(v));
    }
    out += "\n";
    if let Some(a) = s.final_accuracy {
        out += &format!("  accuracy     {:.2}% train", a * 100.0);
        if let Some(v) = s.final_val_accuracy {
            out += &format!(", {:.2}% validation", v * 100.0);
        }
        out += "\n";
    }
    if !s.constant_features.is_empty() {
        out += &format!("  constant     {} (no spread in the training rows: centred, not scaled)\n", s.constant_features.join(", "));
    }
    match s.parameters.as_ref().map(|p| p.flat()) {
        Some(flat) if flat.len() <= train::MAX_PARAM_COLUMNS => {
            let parts: Vec<String> =
                s.parameter_names.iter().zip(&flat).map(|(n, v)| format!("{n} = {}", crate::report::number(*v))).collect();
            out += &format!("  parameters   {}\n", parts.join(", "));
        }
        Some(_) => out += &format!("  parameters   {} (see summary.json)\n", s.parameter_count),
        None => out += &format!("  parameters   {} (see model.bpk)\n", s.parameter_count),
    }
    if s.stop_reason == StopReason::Diverged {
        out += &format!(
            "  {} at step {}: the loss became {} (not finite, above optimizer.diverge_above, or optimizer.diverge_factor times the start's).\n  likely cause: the learning rate {lr} is too large for this problem; try --set optimizer.lr={}\n",
            crate::style::bad("DIVERGED"),
            s.diverged_at_step.unwrap_or(s.steps),
            crate::report::number(s.final_loss),
            crate::report::plot::format_tick(lr / 10.0)
        );
    }
    out += &format!("  run folder   {}\n", r.dir.display());
    out
}
