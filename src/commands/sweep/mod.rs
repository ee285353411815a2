//! `gdlab sweep` and `gdlab compare`: many runs side by side.
//!
//! Each run of a sweep is an ordinary `gdlab train` process writing an ordinary run folder, so
//! a sweep's runs are byte-for-byte the runs one would get one at a time; running them as
//! separate processes also lets them use the machine's cores in parallel.

use crate::config;
use crate::error::GdlabError;
use crate::report::plot::{self, FigureLang, LineChart, Series};
use crate::run::artifacts::{self, RunState, Summary};
use crate::train::StopReason;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

mod slurm;
pub use slurm::{SlurmOptions, TaskState};

/// Splits `key=v1,v2,...` at top-level commas (not inside [...], {...} or quotes), so
/// `model.layers=[2,3,1],[2,2,1]` gives two values.
pub fn split_values(arg: &str) -> Result<(String, Vec<String>), GdlabError> {
    let bad = |m: &str| GdlabError::Input(format!("--set {arg}: {m}\n  hint: --set optimizer.lr=0.01,0.1,1"));
    let (key, raw) = arg.split_once('=').ok_or_else(|| bad("missing `=`"))?;
    let (mut values, mut cur, mut depth, mut quote) = (Vec::new(), String::new(), 0i32, None::<char>);
    for ch in raw.chars() {
        match (ch, quote) {
            ('"' | '\'', None) => quote = Some(ch),
            (c, Some(q)) if c == q => quote = None,
            ('[' | '{', None) => depth += 1,
            (']' | '}', None) => depth -= 1,
            (',', None) if depth == 0 => {
                values.push(std::mem::take(&mut cur).trim().to_string());
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    values.push(cur.trim().to_string());
    if key.trim().is_empty() || values.iter().any(String::is_empty) {
        return Err(bad("empty key or value"));
    }
    Ok((key.trim().to_string(), values))
}

/// The cartesian product of the listed values, as `key=value` override lists.
pub fn product(axes: &[(String, Vec<String>)]) -> Vec<Vec<String>> {
    axes.iter().fold(vec![Vec::new()], |acc, (key, values)| {
        acc.iter()
            .flat_map(|prefix| {
                values.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(format!("{key}={v}"));
                    p
                })
            })
            .collect()
    })
}

/// One run as the tables see it: a finished run (its summary), or one killed before it could
/// write a summary (its last checkpoint and the metrics rows up to it).
#[derive(Debug, Clone)]
pub struct RunRow {
    pub label: String,
    pub dir: PathBuf,
    pub experiment: String,
    /// The last logged loss.
    pub final_loss: f64,
    pub final_accuracy: Option<f64>,
    /// Updates applied (a killed run: up to its last checkpoint).
    pub steps: usize,
    /// None: killed, or still running (no summary.json).
    pub stop_reason: Option<StopReason>,
    /// No summary yet and a gdlab process holds the folder: the run is going on.
    pub running: bool,
    pub summary: Option<Box<Summary>>,
    /// (step, loss) from metrics.csv.
    pub curve: Vec<(f64, f64)>,
}

impl RunRow {
    pub fn read(label: String, dir: &Path) -> Result<Self, GdlabError> {
        let state = RunState::read_verified(dir)?;
        let cols = artifacts::metrics_columns(dir, &["step", "loss", "accuracy"]).map_err(GdlabError::Input)?;
        let curve: Vec<(f64, f64)> = cols[0].iter().copied().zip(cols[1].iter().copied()).collect();
        Ok(match state {
            RunState::Finished(s) => Self {
                label,
                dir: dir.to_path_buf(),
                experiment: s.experiment.clone(),
                final_loss: s.final_loss,
                final_accuracy: s.final_accuracy,
                steps: s.steps,
                stop_reason: Some(s.stop_reason),
                running: false,
                summary: Some(s),
                curve,
            },
            RunState::Interrupted { step, .. } => {
                let config = config::load(&dir.join("config.toml"), &[])?;
                // The rows up to the checkpoint are the run's record; later ones are dropped by a resume.
                let kept = curve.iter().take_while(|(k, _)| step.is_some_and(|s| *k <= s as f64)).count();
                Self {
                    label,
                    dir: dir.to_path_buf(),
                    experiment: config.config.experiment.name,
                    final_loss: curve[..kept].last().map_or(f64::NAN, |p| p.1),
                    final_accuracy: cols[2][..kept].last().copied().filter(|a| !a.is_nan()),
                    steps: step.unwrap_or(0),
                    stop_reason: None,
                    running: artifacts::in_use(dir),
                    summary: None,
                    curve: curve[..kept].to_vec(),
                }
            }
        })
    }

    pub fn val_loss(&self) -> Option<f64> {
        self.summary.as_ref().and_then(|s| s.final_val_loss)
    }

    pub fn val_accuracy(&self) -> Option<f64> {
        self.summary.as_ref().and_then(|s| s.final_val_accuracy)
    }

    /// The first logged step whose loss is at or below `x`.
    pub fn steps_to(&self, x: f64) -> Option<usize> {
        self.curve.iter().find(|(_, l)| *l <= x).map(|(s, _)| *s as usize)
    }

    /// "completed", "diverged", ... for a finished run; "running" or "killed" for a folder
    /// without a summary, as its lock tells.
    pub fn stop_word(&self) -> &'static str {
        match self.stop_reason {
            Some(r) => r.word(),
            None if self.running => "running",
            None => "killed",
        }
    }
}

/// A child run of a sweep that left no readable run folder.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Failure {
    pub label: String,
    pub exit_code: i32,
    pub stderr: String,
}

/// What `gdlab sweep` and `gdlab compare` return: the runs as the tables see them.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// "sweep" or "compare".
    pub kind: &'static str,
    pub dir: PathBuf,
    pub rows: Vec<RunRow>,
    pub until_loss: Option<f64>,
    pub failures: Vec<Failure>,
    /// A stop signal ended the sweep before every run finished.
    pub interrupted: bool,
    /// Runs the sweep did not start (it was stopped first).
    pub not_run: Vec<String>,
    /// What `gdlab sweep --resume DIR` needs after it to continue the same way ("" or
    /// " --launcher slurm").
    pub resume_with: &'static str,
}

impl std::fmt::Display for Comparison {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&table(&self.rows, self.until_loss, true))?;
        for x in &self.failures {
            writeln!(f, "run `{}` failed (exit {}): {}", x.label, x.exit_code, x.stderr.trim())?;
        }
        if self.interrupted && self.kind == "sweep" {
            writeln!(
                f,
                "stopped: {} runs not started, interrupted runs kept; continue with gdlab sweep --resume {}{}",
                self.not_run.len(),
                self.dir.display(),
                self.resume_with
            )?;
        } else if self.interrupted {
            writeln!(
                f,
                "stopped: {} configs not trained, interrupted runs kept; continue one with gdlab train --resume RUN_DIR",
                self.not_run.len()
            )?;
        }
        writeln!(f, "{} folder: {}", self.kind, self.dir.display())
    }
}

impl serde::Serialize for Comparison {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let runs: Vec<serde_json::Value> = self
            .rows
            .iter()
            .map(|r| {
                serde_json::json!({
                    "label": r.label,
                    "dir": r.dir,
                    "final_loss": crate::nonfinite::Floats::to_json(&r.final_loss),
                    "final_val_loss": r.val_loss(),
                    "final_accuracy": r.final_accuracy,
                    "final_val_accuracy": r.val_accuracy(),
                    "steps": r.steps,
                    "stop_reason": r.stop_word(),
                    "steps_to_threshold": self.until_loss.and_then(|x| r.steps_to(x)),
                })
            })
            .collect();
        serde_json::json!({ "kind": self.kind, "dir": self.dir, "until_loss": self.until_loss, "runs": runs, "failures": self.failures, "interrupted": self.interrupted, "not_run": self.not_run })
            .serialize(s)
    }
}

/// A markdown table of runs: final loss, the validation loss and the accuracies when any run
/// has them, steps, how it stopped, and with `until` the steps to reach that loss and their
/// ratio to the first run that reached it. `colour` marks stop words for a terminal (never in
/// the table written to a file).
pub fn table(rows: &[RunRow], until: Option<f64>, colour: bool) -> String {
    let val_loss = rows.iter().any(|r| r.val_loss().is_some());
    let accuracy = rows.iter().any(|r| r.final_accuracy.is_some());
    let val_accuracy = rows.iter().any(|r| r.val_accuracy().is_some());
    let mut head = vec!["run".to_string(), "final loss".into()];
    if val_loss {
        head.push("validation loss".into());
    }
    if accuracy {
        head.push("accuracy".into());
    }
    if val_accuracy {
        head.push("validation accuracy".into());
    }
    head.extend(["steps".into(), "stop".into()]);
    if let Some(x) = until {
        head.push(format!("steps to loss <= {x}"));
        head.push("steps / those of the first run to reach it".into());
    }
    let mut out = format!("| {} |\n|{}\n", head.join(" | "), "---|".repeat(head.len()));
    let base_steps = until.and_then(|x| rows.iter().find_map(|r| r.steps_to(x)));
    let percent = |a: Option<f64>| a.map_or("-".to_string(), |a| format!("{:.2}%", a * 100.0));
    for r in rows {
        let mut cells = vec![r.label.clone(), crate::report::number(r.final_loss)];
        if val_loss {
            cells.push(r.val_loss().map_or("-".into(), crate::report::number));
        }
        if accuracy {
            cells.push(percent(r.final_accuracy));
        }
        if val_accuracy {
            cells.push(percent(r.val_accuracy()));
        }
        let word = r.stop_word();
        let stop = if colour { crate::style::stop_word(word) } else { word.to_string() };
        cells.extend([r.steps.to_string(), if word == "diverged" { format!("**{stop}**") } else { stop }]);
        if let Some(x) = until {
            match (r.steps_to(x), base_steps) {
                (Some(k), Some(b)) if b > 0 => cells.extend([k.to_string(), format!("{:.2}", k as f64 / b as f64)]),
                (Some(k), _) => cells.extend([k.to_string(), "-".into()]),
                (None, _) => cells.extend(["not reached".into(), "-".into()]),
            }
        }
        out += &format!("| {} |\n", cells.join(" | "));
    }
    out
}

/// A legend's plain form of an override list: "optimizer.lr=0.7 model.bias=false" reads
/// "lr = 0.7, bias = false" (the table and JSON keep the full keys).
fn legend_label(label: &str) -> String {
    if !label.split(' ').all(|kv| kv.contains('=')) {
        return label.to_string();
    }
    label
        .split(' ')
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => format!("{} = {v}", k.rsplit('.').next().unwrap_or(k)),
            None => kv.to_string(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Overlay of the loss curves.
pub fn overlay(dir: &Path, stem: &str, title: &str, rows: &[RunRow]) -> Result<(), GdlabError> {
    let series: Vec<Series> = rows.iter().map(|r| Series::line(legend_label(&r.label), r.curve.clone())).collect();
    plot::write(
        dir,
        stem,
        (900, 560),
        &LineChart {
            title,
            x_label: "step (parameter updates)",
            y_label: "training loss",
            series: &series,
            log_y: None,
            lang: FigureLang::En,
        },
    )
    .map_err(GdlabError::io("cannot write the overlay plot"))
}

/// One `gdlab train` to run: config, overrides, exact output folder; or a `--resume` of that
/// folder.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Job {
    config: PathBuf,
    sets: Vec<String>,
    out: PathBuf,
    #[serde(skip)]
    resume: bool,
}

/// What became of a job.
#[derive(Debug, Clone)]
enum Ran {
    /// The child's exit code and stderr.
    Exited(i32, String),
    /// Not started: the sweep was stopped first.
    NotStarted,
}

/// Runs the jobs, `jobs` at a time, each as its own `gdlab train` process, in the given order.
/// When `interrupt` is set, nothing new starts and the running children get SIGINT (they stop
/// cleanly and write their folders). Each child also gets SIGTERM if this process dies first
/// (Linux `PR_SET_PDEATHSIG`), so no run outlives its sweep.
fn run_all(list: &[Job], jobs: usize, progress: bool, interrupt: &AtomicBool) -> Vec<Ran> {
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("gdlab"));
    let next = AtomicUsize::new(0);
    // stderr draws nothing when it is not a terminal.
    let target = if progress { indicatif::ProgressDrawTarget::stderr() } else { indicatif::ProgressDrawTarget::hidden() };
    let bar = indicatif::ProgressBar::with_draw_target(Some(list.len() as u64), target);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{pos}/{len} done, {msg} ({elapsed}, about {eta} left)").expect("valid template"),
    );
    let running = AtomicUsize::new(0);
    let show = |bar: &indicatif::ProgressBar| bar.set_message(format!("{} running", running.load(Ordering::SeqCst)));
    let results: Mutex<Vec<Ran>> = Mutex::new(vec![Ran::NotStarted; list.len()]);
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1).min(list.len()) {
            scope.spawn(|| {
                loop {
                    if interrupt.load(Ordering::Relaxed) {
                        break;
                    }
                    let k = next.fetch_add(1, Ordering::SeqCst);
                    let Some(job) = list.get(k) else { break };
                    running.fetch_add(1, Ordering::SeqCst);
                    show(&bar);
                    let mut cmd = Command::new(&exe);
                    if job.resume {
                        cmd.arg("train").arg("--resume").arg(&job.out).arg("--quiet");
                    } else {
                        cmd.arg("train").arg(&job.config).arg("--quiet").arg("--out").arg(&job.out);
                        for s in &job.sets {
                            cmd.arg("--set").arg(s);
                        }
                    }
                    let r = run_child(cmd, interrupt).unwrap_or_else(|e| Ran::Exited(1, e.to_string()));
                    // The message first, so no frame shows every run done and one still running.
                    running.fetch_sub(1, Ordering::SeqCst);
                    show(&bar);
                    bar.inc(1);
                    if let Ok(mut all) = results.lock() {
                        all[k] = r;
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    results.into_inner().unwrap_or_default()
}

fn run_child(mut cmd: Command, interrupt: &AtomicBool) -> std::io::Result<Ran> {
    use std::io::Read;
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe and touches only the child being started.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM);
                Ok(())
            });
        }
    }
    let mut child = cmd.spawn()?;
    // Read stderr beside the wait, so a chatty child never blocks on a full pipe.
    let pipe = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    });
    let mut forwarded = false;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if !forwarded && interrupt.load(Ordering::Relaxed) {
            forwarded = true;
            #[cfg(all(target_os = "linux", target_env = "gnu"))]
            // SAFETY: kill(2) on our own child's pid, which has not been reaped yet.
            unsafe {
                libc::kill(child.id() as libc::pid_t, libc::SIGINT);
            }
            #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
            child.kill()?;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let stderr = reader.join().unwrap_or_default();
    // A child ended by a signal (one forwarded before it could catch it) reads as 128 + the
    // signal, as a shell writes it: a stop, not a failure.
    #[cfg(unix)]
    let code = status.code().or_else(|| std::os::unix::process::ExitStatusExt::signal(&status).map(|s| 128 + s));
    #[cfg(not(unix))]
    let code = status.code();
    Ok(Ran::Exited(code.unwrap_or(1), stderr))
}

/// A folder-name-safe short label for an override list ("lr=0.1_bias=false").
fn slug(sets: &[String]) -> String {
    sets.iter()
        .map(|s| s.split_once('=').map_or(s.clone(), |(k, v)| format!("{}={v}", k.rsplit('.').next().unwrap_or(k))))
        .collect::<Vec<_>>()
        .join("_")
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || "=.-_".contains(c) { c } else { '-' })
        .collect()
}

fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub struct SweepOptions {
    pub axes: Vec<String>,
    pub until_loss: Option<f64>,
    pub jobs: Option<usize>,
    pub out: Option<PathBuf>,
    /// Show "3/6 done, 2 running" on stderr when it is a terminal.
    pub progress: bool,
    pub launcher: Launcher,
}

/// Where a sweep's runs are trained.
#[derive(Debug, Clone, Default)]
pub enum Launcher {
    /// `gdlab train` processes on this machine, `--jobs` at a time.
    #[default]
    Local,
    /// A Slurm job array; `wait`: until every task has settled, then the tables.
    Slurm { options: SlurmOptions, wait: bool },
}

/// What a sweep command returns: the tables, or (handed to Slurm, not waited for) the job.
#[derive(Debug, Clone, serde::Serialize)]
#[serde(untagged)]
pub enum SweepOutcome {
    Done(Comparison),
    Submitted(Submitted),
    /// Waited for and stopped before every run settled.
    Status(SweepStatus),
}

/// A sweep handed to Slurm.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Submitted {
    pub kind: &'static str,
    pub launcher: &'static str,
    pub dir: PathBuf,
    pub script: PathBuf,
    pub job: Option<u64>,
    /// The combinations (array indices) submitted.
    pub tasks: Vec<usize>,
    /// Combinations left alone because Slurm still holds them (a `--resume`).
    pub queued: Vec<usize>,
    pub max_running: Option<usize>,
}

impl std::fmt::Display for Submitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.job {
            Some(job) => {
                let at_once = self.max_running.map_or_else(String::new, |n| format!(", at most {n} at once"));
                writeln!(f, "submitted {} runs to Slurm as job array {job}{at_once}", self.tasks.len())?;
            }
            None => writeln!(f, "nothing to submit: every run has finished or is still in Slurm's queue")?,
        }
        if !self.queued.is_empty() {
            writeln!(f, "left alone (still in Slurm's queue): {} runs", self.queued.len())?;
        }
        writeln!(f, "  sweep folder: {}", self.dir.display())?;
        writeln!(f, "  batch script: {}", self.script.display())?;
        writeln!(f, "  follow it:    gdlab sweep --status {} [--wait]", self.dir.display())
    }
}

impl SweepOutcome {
    /// The tables of a sweep that ran to its end (a local one always does).
    pub fn done(self) -> Result<Comparison, GdlabError> {
        match self {
            SweepOutcome::Done(c) => Ok(c),
            _ => Err(GdlabError::Runtime("the sweep was handed to Slurm, not run here".into())),
        }
    }
}

impl std::fmt::Display for SweepOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SweepOutcome::Done(c) => c.fmt(f),
            SweepOutcome::Submitted(s) => s.fmt(f),
            SweepOutcome::Status(s) => s.fmt(f),
        }
    }
}

/// A sweep's plan, written first as `sweep.json`: what `gdlab sweep --resume` continues.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Plan {
    /// The config file (absolute).
    config: PathBuf,
    axes: Vec<(String, Vec<String>)>,
    until_loss: Option<f64>,
    /// Each run's overrides and folder (relative to the sweep folder).
    runs: Vec<Job>,
    /// How the sweep went to Slurm (none: run here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    slurm: Option<slurm::SlurmRecord>,
}

const PLAN: &str = "sweep.json";

/// The sweep: validates every combination first, data included (nothing is written for bad
/// input), writes the plan, runs the combinations and writes `sweep.csv`, `sweep.md` and
/// `sweep_loss.svg/png`. When `interrupt` is set it starts nothing new, stops the running
/// runs cleanly and reports what finished. With the Slurm launcher it submits the
/// combinations as a job array instead, and returns (or, told to wait, waits for them).
pub fn sweep(config_path: &Path, o: &SweepOptions, interrupt: &AtomicBool) -> Result<SweepOutcome, GdlabError> {
    if matches!(o.launcher, Launcher::Slurm { .. }) {
        slurm::require_sbatch("--launcher slurm", ", or use --launcher local")?;
    }
    let axes = o.axes.iter().map(|a| split_values(a)).collect::<Result<Vec<_>, _>>()?;
    let combos = product(&axes);
    let mut name = String::new();
    let mut root = PathBuf::new();
    for c in &combos {
        let l = config::load_named(config_path, c)?;
        let checked = l.clone();
        crate::stop::interruptible(interrupt, "reading the data", move || {
            crate::train::experiment::load_within_budget(&checked).map(drop)
        })?;
        name = l.config.experiment.name.clone();
        root = l.config.output.dir.clone();
    }
    // A file by its absolute path (the runs start elsewhere); a shipped name as given.
    let config = if config_path.exists() {
        std::fs::canonicalize(config_path).map_err(GdlabError::io(format!("cannot resolve {}", config_path.display())))?
    } else {
        config_path.to_path_buf()
    };
    let runs = combos
        .iter()
        .enumerate()
        .map(|(k, sets)| Job {
            config: config.clone(),
            sets: sets.clone(),
            out: PathBuf::from("runs").join(format!("{:02}_{}", k + 1, slug(sets))),
            resume: false,
        })
        .collect();
    let mut plan = Plan { config, axes, until_loss: o.until_loss, runs, slurm: None };
    let all: Vec<usize> = (0..plan.runs.len()).collect();
    match &o.launcher {
        Launcher::Local => {
            let folder = artifacts::create_run_dir(&root, &format!("{name}-sweep"), o.out.as_deref())?;
            write_plan(&folder.dir, &plan)?;
            execute(&folder.dir, &plan, &all, o.jobs.unwrap_or_else(default_jobs), o.progress, interrupt).map(SweepOutcome::Done)
        }
        Launcher::Slurm { options, wait } => {
            let options = SlurmOptions { max_running: o.jobs.or(options.max_running), ..options.clone() };
            options.check_values()?;
            let sets: Vec<String> = plan.runs.iter().flat_map(|r| r.sets.clone()).collect();
            let from = Origin::here()?;
            slurm::check_paths(&[&plan.config, &from.exe, &from.cwd, &absolute(&root)?, o.out.as_deref().unwrap_or(Path::new(""))], &sets)?;
            // The controller checks the options before the folder exists (its name is not in
            // what it checks).
            let probe = absolute(&o.out.clone().unwrap_or_else(|| root.join(format!("{name}-sweep"))))?;
            slurm::check(&slurm::script(&probe, &plan, &options, &from.exe, &from.cwd, &name), &all, &options)?;
            let folder = artifacts::create_run_dir(&root, &format!("{name}-sweep"), o.out.as_deref())?;
            let dir = absolute(&folder.dir)?;
            plan.slurm = Some(slurm::SlurmRecord { options, submissions: Vec::new() });
            let submitted = submit(&dir, &mut plan, &from, &name, all, Vec::new())?;
            drop(folder);
            if *wait {
                status(&dir, true, o.progress, interrupt).map(SweepStatus::into_outcome)
            } else {
                Ok(SweepOutcome::Submitted(submitted))
            }
        }
    }
}

fn absolute(p: &Path) -> Result<PathBuf, GdlabError> {
    std::path::absolute(p).map_err(GdlabError::io(format!("cannot resolve {}", p.display())))
}

/// Where a Slurm sweep's tasks start from: this binary, by the absolute path the cluster's
/// nodes run it by, and the folder the sweep was started in (their working folder).
struct Origin {
    exe: PathBuf,
    cwd: PathBuf,
}

impl Origin {
    fn here() -> Result<Self, GdlabError> {
        let exe = std::env::current_exe().map_err(GdlabError::io("cannot find this gdlab binary's path"))?;
        Ok(Self { exe, cwd: absolute(Path::new("."))? })
    }
}

fn write_plan(dir: &Path, plan: &Plan) -> Result<(), GdlabError> {
    let text = serde_json::to_string_pretty(plan).map_err(|e| GdlabError::Runtime(e.to_string()))?;
    artifacts::write_atomic(&dir.join(PLAN), text.as_bytes()).map_err(GdlabError::io("cannot write sweep.json"))
}

/// Writes the batch script and submits `tasks` of the sweep in `dir` (the folder held by the
/// caller), recording the submission in sweep.json.
fn submit(dir: &Path, plan: &mut Plan, from: &Origin, name: &str, tasks: Vec<usize>, queued: Vec<usize>) -> Result<Submitted, GdlabError> {
    let options = plan.slurm.as_ref().map(|s| s.options.clone()).unwrap_or_default();
    let script = slurm::script(dir, plan, &options, &from.exe, &from.cwd, name);
    std::fs::create_dir_all(dir.join("slurm")).map_err(GdlabError::io("cannot create the slurm folder"))?;
    artifacts::write_atomic(&dir.join(slurm::SCRIPT), script.as_bytes()).map_err(GdlabError::io("cannot write the batch script"))?;
    write_plan(dir, plan)?;
    let mut job = None;
    if !tasks.is_empty() {
        for &k in &tasks {
            slurm::forget_exit(dir, k);
        }
        let id = slurm::submit(dir, &tasks, &options)?;
        if let Some(record) = plan.slurm.as_mut() {
            record.submissions.push(slurm::Submission { job: id, tasks: tasks.clone() });
        }
        write_plan(dir, plan).map_err(|e| {
            GdlabError::Runtime(format!(
                "the sweep went to Slurm as job array {id}, but sweep.json could not record it ({e}), so --status and --resume will not see it\n  hint: scancel {id}, then gdlab sweep --resume {} --launcher slurm",
                dir.display()
            ))
        })?;
        job = Some(id);
    }
    Ok(Submitted {
        kind: "sweep",
        launcher: "slurm",
        dir: dir.to_path_buf(),
        script: dir.join(slurm::SCRIPT),
        job,
        tasks,
        queued,
        max_running: options.max_running,
    })
}

fn read_plan(dir: &Path) -> Result<Plan, GdlabError> {
    let path = dir.join(PLAN);
    let text = std::fs::read_to_string(&path)
        .map_err(|e| GdlabError::Input(format!("{}: not a gdlab sweep folder (cannot read {PLAN}: {e})", dir.display())))?;
    serde_json::from_str(&text).map_err(|e| GdlabError::Input(format!("{}: {e}", path.display())))
}

fn job_ids(plan: &Plan) -> Vec<u64> {
    plan.slurm.as_ref().map(|s| s.submissions.iter().map(|x| x.job).collect()).unwrap_or_default()
}

/// `gdlab sweep --resume DIR`: runs only what a stopped sweep did not finish (missing runs
/// from the start, interrupted or killed ones from their last checkpoint), then reports all.
/// With the Slurm launcher it submits those runs (leaving alone any Slurm still holds).
pub fn resume(
    dir: &Path,
    jobs: Option<usize>,
    progress: bool,
    launcher: &Launcher,
    interrupt: &AtomicBool,
) -> Result<SweepOutcome, GdlabError> {
    if matches!(launcher, Launcher::Slurm { .. }) {
        slurm::require_sbatch("--launcher slurm", ", or resume it here with --launcher local")?;
    }
    let folder = artifacts::RunFolder::lock(dir)?;
    let mut plan = read_plan(dir)?;
    // A Slurm sweep's tasks still in the queue are its own; a resume never runs them twice.
    let held = if plan.slurm.is_some() && !job_ids(&plan).is_empty() { slurm::queue(&job_ids(&plan))? } else { Default::default() };
    let mut pending = Vec::new();
    for (k, job) in plan.runs.iter_mut().enumerate() {
        let out = folder.dir.join(&job.out);
        match RunState::read(&out) {
            Ok(RunState::Finished(s)) if s.stop_reason != StopReason::Interrupted => {}
            _ if held.contains_key(&k) => {}
            Ok(_) => {
                job.resume = true;
                pending.push(k);
            }
            Err(_) => pending.push(k),
        }
    }
    match launcher {
        Launcher::Local => {
            if !held.is_empty() {
                return Err(GdlabError::Input(format!(
                    "{}: {} runs of this sweep are still in Slurm's queue\n  hint: wait for them (gdlab sweep --status {} --wait), or scancel them first",
                    dir.display(),
                    held.len(),
                    dir.display()
                )));
            }
            execute(&folder.dir, &plan, &pending, jobs.unwrap_or_else(default_jobs), progress, interrupt).map(SweepOutcome::Done)
        }
        Launcher::Slurm { options, wait } => {
            let recorded = plan.slurm.as_ref().map(|s| s.options.clone()).unwrap_or_default();
            let mut options = recorded.merged(options.clone());
            options.max_running = jobs.or(options.max_running);
            options.check_values()?;
            let from = Origin::here()?;
            let name = plan_name(&plan);
            let dir = absolute(&folder.dir)?;
            slurm::check_paths(&[&from.exe, &dir, &from.cwd], &[])?;
            if !pending.is_empty() {
                slurm::check(&slurm::script(&dir, &plan, &options, &from.exe, &from.cwd, &name), &pending, &options)?;
            }
            let submissions = plan.slurm.take().map(|s| s.submissions).unwrap_or_default();
            plan.slurm = Some(slurm::SlurmRecord { options, submissions });
            let submitted = submit(&dir, &mut plan, &from, &name, pending, held.keys().copied().collect())?;
            drop(folder);
            if *wait {
                status(&dir, true, progress, interrupt).map(SweepStatus::into_outcome)
            } else {
                Ok(SweepOutcome::Submitted(submitted))
            }
        }
    }
}

/// The experiment's name, for the job's name: from the config the plan was made with.
fn plan_name(plan: &Plan) -> String {
    config::load_named(&plan.config, &[]).map_or_else(|_| "sweep".into(), |l| l.config.experiment.name)
}

/// One combination in `gdlab sweep --status`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct StatusRow {
    /// The combination's index (its Slurm array index).
    pub index: usize,
    pub label: String,
    pub run: PathBuf,
    #[serde(flatten)]
    pub state: TaskState,
}

/// `gdlab sweep --status DIR`: every combination's state; once all have settled, the tables.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SweepStatus {
    pub kind: &'static str,
    pub dir: PathBuf,
    pub launcher: &'static str,
    /// The Slurm job arrays submitted for the sweep, oldest first.
    pub jobs: Vec<u64>,
    pub runs: Vec<StatusRow>,
    /// Every combination has settled (none pending or running).
    pub settled: bool,
    /// The waiting was stopped by a signal (the tasks go on).
    pub interrupted: bool,
    /// The tables, written because every combination has settled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tables: Option<Comparison>,
}

impl SweepStatus {
    /// A settled sweep is its tables; otherwise the states.
    fn into_outcome(self) -> SweepOutcome {
        match self.tables {
            Some(c) if !self.interrupted => SweepOutcome::Done(c),
            _ => SweepOutcome::Status(self),
        }
    }
}

impl std::fmt::Display for SweepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let width = self.runs.iter().map(|r| r.label.chars().count()).max().unwrap_or(3).max(3);
        writeln!(f, "{:>3}  {:<width$}  {:<9}  {:>8}  {:>12}  detail", "#", "run", "state", "step", "loss")?;
        for r in &self.runs {
            let (step, loss, detail) = match &r.state {
                TaskState::Pending { reason } => (None, None, reason.clone()),
                TaskState::Running { step, loss } => (*step, *loss, String::new()),
                TaskState::Finished { steps, loss, .. } => (Some(*steps), Some(*loss), String::new()),
                TaskState::Killed { step, loss } => (
                    *step,
                    *loss,
                    step.map_or_else(|| "killed before its first checkpoint".into(), |k| format!("its checkpoint is at step {k}")),
                ),
                TaskState::Failed { exit_code, stderr } => (
                    None,
                    None,
                    format!(
                        "exit {exit_code}: {}",
                        stderr.lines().find(|l| l.contains("error")).or(stderr.lines().last()).unwrap_or("").trim()
                    ),
                ),
                TaskState::NotRun => (None, None, "never started".into()),
            };
            let step = step.map_or_else(|| "-".to_string(), |k| k.to_string());
            let loss = loss.map_or_else(|| "-".to_string(), |l| format!("{l:.6}"));
            writeln!(f, "{:>3}  {:<width$}  {:<9}  {step:>8}  {loss:>12}  {detail}", r.index, r.label, r.state.word())?;
        }
        let settled = self.runs.iter().filter(|r| r.state.settled()).count();
        let arrays: Vec<String> = self.jobs.iter().map(u64::to_string).collect();
        let on = if arrays.is_empty() { String::new() } else { format!(" (Slurm job arrays {})", arrays.join(", ")) };
        writeln!(f, "{settled} of {} runs settled{on}", self.runs.len())?;
        if self.tables.is_some() {
            writeln!(f, "tables written: sweep.csv, sweep.md, sweep_loss.svg and sweep_loss.png")?;
        } else if self.settled {
            writeln!(f, "the tables were not written: another gdlab holds the sweep folder (a resume?); ask again once it is done")?;
        } else {
            writeln!(f, "the tables are written once every run has settled")?;
        }
        if self.runs.iter().any(|r| matches!(r.state, TaskState::Killed { .. } | TaskState::NotRun | TaskState::Failed { .. })) {
            let launcher = if self.launcher == "slurm" { " --launcher slurm" } else { "" };
            writeln!(f, "continue the runs that did not finish with gdlab sweep --resume {}{launcher}", self.dir.display())?;
        }
        writeln!(f, "sweep folder: {}", self.dir.display())
    }
}

/// `gdlab sweep --status DIR [--wait]`: reads every combination's state (from Slurm's queue,
/// the run folders and the tasks' exit files); `wait`: until all have settled. Once they have,
/// writes `sweep.csv`, `sweep.md` and `sweep_loss.svg/png` as a local sweep does.
pub fn status(dir: &Path, wait: bool, progress: bool, interrupt: &AtomicBool) -> Result<SweepStatus, GdlabError> {
    let plan = read_plan(dir)?;
    let jobs = job_ids(&plan);
    if plan.slurm.is_some() {
        slurm::require_sbatch(&format!("--status {}: a Slurm sweep", dir.display()), "")?;
    }
    let target = if progress && wait { indicatif::ProgressDrawTarget::stderr() } else { indicatif::ProgressDrawTarget::hidden() };
    let bar = indicatif::ProgressBar::with_draw_target(Some(plan.runs.len() as u64), target);
    bar.set_style(indicatif::ProgressStyle::with_template("{pos}/{len} settled, {msg} ({elapsed})").expect("valid template"));
    let mut seen_settled = false;
    let (states, interrupted) = loop {
        let held = if jobs.is_empty() { Default::default() } else { slurm::queue(&jobs)? };
        let busy = plan.slurm.is_none() && artifacts::in_use(dir);
        let states: Vec<TaskState> = (0..plan.runs.len()).map(|k| slurm::state(dir, &plan, k, held.get(&k), busy)).collect();
        let settled = states.iter().filter(|s| s.settled()).count();
        bar.set_position(settled as u64);
        bar.set_message(format!("{} running", states.iter().filter(|s| matches!(s, TaskState::Running { .. })).count()));
        // Waiting, all settled must be seen twice in a row: a task being requeued can drop out
        // of squeue's list for a moment between its stop and its place back in the queue.
        let all = settled == states.len();
        if !wait || (all && seen_settled) {
            break (states, false);
        }
        seen_settled = all;
        if interrupt.load(Ordering::Relaxed) {
            break (states, true);
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    };
    bar.finish_and_clear();
    let settled = states.iter().all(TaskState::settled);
    // The tables are written under the sweep folder's lock: not while a local sweep or a
    // resume holds it.
    let tables = match (settled, artifacts::RunFolder::lock(dir)) {
        (true, Ok(_held)) => {
            let outcome = states.iter().enumerate().map(|(k, s)| slurm::outcome(dir, k, s)).collect();
            Some(tabulate(dir, &plan, outcome, false)?)
        }
        _ => None,
    };
    let runs = states
        .into_iter()
        .enumerate()
        .map(|(k, state)| StatusRow { index: k, label: plan.runs[k].sets.join(" "), run: dir.join(&plan.runs[k].out), state })
        .collect();
    let launcher = if plan.slurm.is_some() { "slurm" } else { "local" };
    Ok(SweepStatus { kind: "sweep-status", dir: dir.to_path_buf(), launcher, jobs, runs, settled, interrupted, tables })
}

/// Runs the `pending` runs of `plan` and writes the sweep's tables and plot over every run.
fn execute(
    dir: &Path,
    plan: &Plan,
    pending: &[usize],
    jobs: usize,
    progress: bool,
    interrupt: &AtomicBool,
) -> Result<Comparison, GdlabError> {
    let list: Vec<Job> = pending.iter().map(|&k| Job { out: dir.join(&plan.runs[k].out), ..plan.runs[k].clone() }).collect();
    // A Slurm sweep resumed here: what its tasks recorded of these runs is out of date.
    for &k in pending {
        slurm::forget_exit(dir, k);
    }
    let mut outcome: Vec<Option<Ran>> = vec![None; plan.runs.len()];
    for (&k, r) in pending.iter().zip(run_all(&list, jobs, progress, interrupt)) {
        outcome[k] = Some(r);
    }
    tabulate(dir, plan, outcome, interrupt.load(Ordering::Relaxed))
}

/// Writes `sweep.csv`, `sweep.md` and `sweep_loss.svg/png` over every run of `plan`, from
/// what became of each (`outcome`: None for a run this call did not start, read from its
/// folder alone).
fn tabulate(dir: &Path, plan: &Plan, outcome: Vec<Option<Ran>>, stopped: bool) -> Result<Comparison, GdlabError> {
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    let mut not_run = Vec::new();
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = plan.axes.iter().map(|(k, _)| k.clone()).collect();
    // The classifier columns come last, so the earlier columns keep their places.
    header.extend(
        [
            "final_loss",
            "steps",
            "steps_to_threshold",
            "stop_reason",
            "exit_code",
            "run",
            "final_val_loss",
            "final_accuracy",
            "final_val_accuracy",
        ]
        .map(String::from),
    );
    w.write_record(&header).expect("in-memory");
    for (job, ran) in plan.runs.iter().zip(outcome) {
        let (label, run) = (job.sets.join(" "), dir.join(&job.out));
        let mut rec: Vec<String> = job.sets.iter().map(|s| s.split_once('=').map_or("", |(_, v)| v).to_string()).collect();
        let row = if matches!(ran, Some(Ran::NotStarted)) { None } else { Some(RunRow::read(label.clone(), &run)) };
        let code = match (&ran, &row) {
            (Some(Ran::Exited(code, _)), _) => code.to_string(),
            // Finished before this `--resume`: the exit code its `gdlab train` had.
            (None, Some(Ok(r))) => match r.stop_reason {
                Some(StopReason::Diverged) => crate::error::EXIT_DIVERGED.to_string(),
                Some(StopReason::Completed | StopReason::Converged) => "0".into(),
                _ => String::new(),
            },
            _ => String::new(),
        };
        match (&row, &ran) {
            (Some(Ok(r)), _) => rec.extend([
                r.final_loss.to_string(),
                r.steps.to_string(),
                plan.until_loss.and_then(|x| r.steps_to(x)).map(|k| k.to_string()).unwrap_or_default(),
                r.stop_word().to_string(),
                code,
                run.display().to_string(),
                r.val_loss().map(|v| v.to_string()).unwrap_or_default(),
                r.final_accuracy.map(|v| v.to_string()).unwrap_or_default(),
                r.val_accuracy().map(|v| v.to_string()).unwrap_or_default(),
            ]),
            (None, _) => {
                not_run.push(label.clone());
                rec.extend([String::new(), String::new(), String::new(), "not run".into(), code, run.display().to_string()]);
                rec.extend([String::new(), String::new(), String::new()]);
            }
            (Some(Err(_)), ran) => {
                let (exit_code, stderr) = match ran {
                    Some(Ran::Exited(c, e)) => (*c, e.clone()),
                    _ => (0, "its folder is not readable".into()),
                };
                failures.push(Failure { label: label.clone(), exit_code, stderr });
                rec.extend([String::new(), String::new(), String::new(), "failed".into(), code, run.display().to_string()]);
                rec.extend([String::new(), String::new(), String::new()]);
            }
        }
        w.write_record(&rec).expect("in-memory");
        if let Some(Ok(r)) = row {
            rows.push(r);
        }
    }
    artifacts::write_atomic(&dir.join("sweep.csv"), &w.into_inner().expect("in-memory"))
        .map_err(GdlabError::io("cannot write sweep.csv"))?;
    let md = table(&rows, plan.until_loss, false);
    artifacts::write_atomic(&dir.join("sweep.md"), md.as_bytes()).map_err(GdlabError::io("cannot write sweep.md"))?;
    let name = rows.first().map_or_else(String::new, |r| r.experiment.clone());
    overlay(
        dir,
        "sweep_loss",
        &format!("{name}: sweep over {}", plan.axes.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(", ")),
        &rows,
    )?;
    let interrupted = stopped || rows.iter().any(|r| r.stop_reason.is_none_or(|s| s == StopReason::Interrupted)) || !not_run.is_empty();
    let resume_with = if plan.slurm.is_some() { " --launcher slurm" } else { "" };
    Ok(Comparison { kind: "sweep", dir: dir.to_path_buf(), rows, until_loss: plan.until_loss, failures, interrupted, not_run, resume_with })
}

/// `gdlab compare`: run folders as they are; configs are trained first (into the compare
/// folder, in parallel).
pub fn compare(
    items: &[PathBuf],
    sets: &[String],
    until: Option<f64>,
    out: Option<&Path>,
    title: Option<&str>,
    interrupt: &AtomicBool,
) -> Result<Comparison, GdlabError> {
    for p in items {
        if p.is_dir() {
            RunRow::read(String::new(), p)?;
        } else {
            config::load_named(p, sets)?;
        }
    }
    let folder = artifacts::create_run_dir(Path::new("artifacts"), "compare", out)?;
    let dir = folder.dir.clone();
    // A config's stem (xor_mlp.toml -> xor_mlp), a folder's whole name (01_lr=0.01 keeps its dot).
    let stem = |p: &Path| {
        let name = if p.is_dir() { p.file_name() } else { p.file_stem() };
        name.map_or_else(|| p.display().to_string(), |s| s.to_string_lossy().into_owned())
    };
    let list: Vec<Job> = items
        .iter()
        .enumerate()
        .filter(|(_, p)| !p.is_dir())
        .map(|(k, p)| Job {
            config: p.clone(),
            sets: sets.to_vec(),
            out: dir.join("runs").join(format!("{:02}_{}", k + 1, stem(p))),
            resume: false,
        })
        .collect();
    // A stop (SIGINT, SIGTERM, SIGHUP) is passed on to the runs being trained, which write
    // their folders as interrupted; the table then shows them, and the rest as not run.
    let mut trained = Vec::new();
    for (ran, job) in run_all(&list, default_jobs(), false, interrupt).into_iter().zip(&list) {
        let stopped = interrupt.load(Ordering::Relaxed);
        match ran {
            Ran::Exited(code, _) if code == 0 || code == crate::error::EXIT_DIVERGED => trained.push(true),
            Ran::Exited(code, _) if stopped && matches!(code, 129 | 130 | 143) && job.out.join("summary.json").exists() => {
                trained.push(true)
            }
            // Stopped before it had written anything: not run, like one never started.
            Ran::Exited(code, _) if stopped && matches!(code, 129 | 130 | 143) => trained.push(false),
            Ran::NotStarted if stopped => trained.push(false),
            Ran::Exited(code, err) => {
                return Err(GdlabError::Runtime(format!("training {} failed (exit {code}): {}", job.config.display(), err.trim())));
            }
            Ran::NotStarted => return Err(GdlabError::Runtime("compare stopped before every config was trained".into())),
        }
    }
    let mut jobs = list.iter().zip(trained);
    let (mut rows, mut not_run) = (Vec::new(), Vec::new());
    for p in items {
        let (label, run) = if p.is_dir() {
            let r = RunRow::read(String::new(), p)?;
            (format!("{} ({})", r.experiment, stem(p)), p.clone())
        } else {
            let (job, trained) = jobs.next().expect("one job per config");
            if !trained {
                not_run.push(stem(p));
                continue;
            }
            (stem(p), job.out.clone())
        };
        rows.push(RunRow::read(label, &run)?);
    }
    let md = table(&rows, until, false);
    artifacts::write_atomic(&dir.join("compare.md"), md.as_bytes()).map_err(GdlabError::io("cannot write compare.md"))?;
    overlay(&dir, "compare_loss", title.unwrap_or("loss curves compared"), &rows)?;
    let interrupted = interrupt.load(Ordering::Relaxed);
    Ok(Comparison { kind: "compare", dir, rows, until_loss: until, failures: Vec::new(), interrupted, not_run, resume_with: "" })
}

#[cfg(test)]
mod tests {
    #[test]
    fn legend_labels_drop_the_section() {
        assert_eq!(super::legend_label("optimizer.lr=0.7 model.bias=false"), "lr = 0.7, bias = false");
        assert_eq!(super::legend_label("run_a"), "run_a");
        assert_eq!(super::legend_label("bias_sigmoid (with_bias)"), "bias_sigmoid (with_bias)");
    }

    use super::*;

    #[test]
    fn values_split_at_top_level_commas_only() {
        let (k, v) = split_values("model.layers=[2,3,1],[2, 2, 1]").unwrap();
        assert_eq!(k, "model.layers");
        assert_eq!(v, ["[2,3,1]", "[2, 2, 1]"]);
        let (_, v) = split_values("data.source=\"a,b\",linear").unwrap();
        assert_eq!(v, ["\"a,b\"", "linear"]);
        assert!(split_values("optimizer.lr=0.1,").is_err());
    }

    #[test]
    fn product_is_cartesian_in_order() {
        let axes = vec![("a".to_string(), vec!["1".into(), "2".into()]), ("b".to_string(), vec!["x".into(), "y".into(), "z".into()])];
        let p = product(&axes);
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], ["a=1", "b=x"]);
        assert_eq!(p[5], ["a=2", "b=z"]);
    }
}
