//! Command line: parse, dispatch, print, map errors to exit codes. No experiment logic here.

use crate::commands::{eval, inspect, sweep};
use crate::config::target::Target;
use crate::config::{self, shipped};
use crate::config::{BackendName, DType};
use crate::error::{EXIT_CHECK_FAILED, EXIT_DIVERGED, EXIT_INTERRUPTED, GdlabError};
use crate::run;
use crate::train::StopReason;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

/// What `gdlab lecture` prints: each claim's title and verdict in one language (a claim that
/// does not hold in red), then the report; with `--json`, the claims in both languages.
#[derive(serde::Serialize)]
struct LectureOutcome {
    report: PathBuf,
    seconds: f64,
    #[serde(skip)]
    shown: crate::lecture::Lang,
    claims: Vec<crate::lecture::Claim>,
}

impl std::fmt::Display for LectureOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (k, c) in self.claims.iter().enumerate() {
            let verdict = c.verdict.get(self.shown);
            let verdict = if c.holds { verdict.to_string() } else { crate::style::bad(verdict) };
            writeln!(f, "{}. {}\n   {verdict}", k + 1, c.title.get(self.shown))?;
        }
        writeln!(f, "report: {} ({:.1} s)", self.report.display(), self.seconds)
    }
}

/// A classroom's start banner: the join links, a QR code of the first, the teacher's link. The
/// only place the tokens are ever written.
fn banner(ready: &crate::serve::Ready) {
    let Some(teacher) = &ready.teacher else { return };
    println!("classroom: students join with one of these links (or the QR code):");
    for link in &ready.join {
        println!("  {link}");
    }
    if let Some(qr) = ready.join.first().and_then(|l| crate::serve::classroom::qr(l, crate::style::enabled())) {
        println!("{qr}");
    }
    println!("teacher's view (keep this link to yourself):\n  {teacher}");
    println!("Ctrl-C stops the server and ends every session.");
}

/// `gdlab --version`: this release, the burn it was built with, and the backends compiled in.
const VERSION: &str =
    concat!(env!("CARGO_PKG_VERSION"), " (burn ", env!("GDLAB_BURN_VERSION"), "; backends: ", env!("GDLAB_BACKENDS"), ")");

/// Set by SIGINT (Ctrl-C), SIGTERM (`timeout`, `docker stop`) or SIGHUP (a closed terminal)
/// while a run trains: the loop stops between steps and every file is still written.
static INTERRUPTED: LazyLock<Arc<AtomicBool>> = LazyLock::new(|| Arc::new(AtomicBool::new(false)));
/// The number of the signal that stopped the run, for the exit code 128 + n.
static SIGNAL: LazyLock<Arc<AtomicUsize>> = LazyLock::new(|| Arc::new(AtomicUsize::new(0)));

/// Catches the stop signals for a command that polls `INTERRUPTED` (train, perceptron). The
/// other commands keep the default: a signal ends them (their files are written atomically).
fn catch_stop_signals() {
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        // Registration fails only for forbidden signals (SIGKILL, SIGSTOP), not these.
        let _ = signal_hook::flag::register_usize(sig, Arc::clone(&SIGNAL), sig as usize);
        let _ = signal_hook::flag::register(sig, Arc::clone(&INTERRUPTED));
    }
}

#[derive(Parser, Debug)]
#[command(name = "gdlab", version = VERSION, about = "A gradient-descent laboratory on burn: run, look at and compare how neurons learn.")]
#[command(
    after_help = "Start here:\n  gdlab list                      the shipped experiments, by the name to type\n  gdlab train xor_mlp             train one; its folder is artifacts/xor_mlp/latest\n  gdlab serve --open              the live lab in the browser\n  gdlab lecture                   the lecture's experiments, as a report\n\nExit codes: 0 ok, 1 runtime failure, 2 bad input, 3 diverged (files kept), 4 check failed, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (files kept)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Colour on the terminal: auto (when stdout is a terminal and NO_COLOR is unset), never, always.
    #[arg(long, global = true, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: crate::style::When,
}

/// `-s/--set`: one config key changed on the command line.
#[derive(Args, Debug)]
pub struct Overrides {
    /// Change a config key, the value read as TOML (a bare word is a string): -s optimizer.lr=0.05
    /// (repeatable; the keys are in docs/config.md).
    #[arg(short = 's', long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

/// `--json`, the same on every command that prints a result.
#[derive(Args, Debug)]
pub struct Json {
    /// Print the result as JSON (for scripts) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `-q/--quiet`, the same on every command that reports progress or a summary.
#[derive(Args, Debug)]
pub struct Quiet {
    /// No progress and no summary (errors still print; --json still prints).
    #[arg(short, long)]
    pub quiet: bool,
}

/// `gdlab sweep --launcher`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LauncherName {
    Local,
    Slurm,
}

/// The Slurm options of `gdlab sweep --launcher slurm` (flags win over the launcher file).
#[derive(Args, Debug)]
#[command(next_help_heading = "Slurm (with --launcher slurm)")]
pub struct SlurmArgs {
    /// A TOML file with a [slurm] table: partition, time, cpus_per_task, mem, account,
    /// max_running, signal_before (seconds) and sbatch_args (a list).
    #[arg(long, value_name = "FILE")]
    launcher_config: Option<PathBuf>,
    /// The partition to submit to.
    #[arg(long, value_name = "NAME")]
    partition: Option<String>,
    /// Each run's time limit, as sbatch reads it (minutes, or [D-]HH:MM:SS); a run told to
    /// stop before it checkpoints and is requeued.
    #[arg(long, value_name = "LIMIT")]
    time: Option<String>,
    /// CPUs per run (default 1).
    #[arg(long, value_name = "N")]
    cpus_per_task: Option<u32>,
    /// Memory per run, as sbatch reads it (e.g. 2G).
    #[arg(long, value_name = "SIZE")]
    mem: Option<String>,
    /// The account to charge.
    #[arg(long, value_name = "NAME")]
    account: Option<String>,
    /// Any other sbatch option, passed on as given (repeatable), e.g. --sbatch-arg=--qos=short.
    #[arg(long, value_name = "OPTION", allow_hyphen_values = true)]
    sbatch_arg: Vec<String>,
}

impl SlurmArgs {
    fn any(&self) -> bool {
        self.launcher_config.is_some()
            || self.partition.is_some()
            || self.time.is_some()
            || self.cpus_per_task.is_some()
            || self.mem.is_some()
            || self.account.is_some()
            || !self.sbatch_arg.is_empty()
    }

    /// The launcher file's options with the flags over them.
    fn options(self) -> Result<sweep::SlurmOptions, GdlabError> {
        let file = match &self.launcher_config {
            Some(path) => sweep::SlurmOptions::read(path)?,
            None => sweep::SlurmOptions::default(),
        };
        Ok(file.merged(sweep::SlurmOptions {
            partition: self.partition,
            time: self.time,
            cpus_per_task: self.cpus_per_task,
            mem: self.mem,
            account: self.account,
            max_running: None,
            signal_before: None,
            sbatch_args: self.sbatch_arg,
        }))
    }
}

/// The help line every CONFIG argument shares.
const CONFIG_HELP: &str = "Experiment: a TOML file, or a shipped experiment's name as `gdlab list` shows it (xor_mlp, lecture/parabola)";

/// What `train` and `perceptron` share: overrides and where the run folder goes.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    overrides: Overrides,
    /// Write the run folder exactly here (new or empty) instead of <output.dir>/<experiment>/<run-id>.
    #[arg(short, long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    quiet: Quiet,
    #[command(flatten)]
    json: Json,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train one experiment and write its run folder.
    #[command(
        after_help = "Examples:\n  gdlab train xor_mlp\n  gdlab train linear_regression -s optimizer.lr=1      (too large: it diverges, exit 3)\n  gdlab train my.toml -o runs/first\n  gdlab train --resume artifacts/xor_mlp/latest -s optimizer.steps=6000"
    )]
    Train {
        /// Experiment: a TOML file, or a shipped experiment's name as `gdlab list` shows it
        /// (xor_mlp, lecture/parabola). Default: the embedded linear_regression.
        #[arg(conflicts_with = "resume")]
        config: Option<PathBuf>,
        /// Continue the run in this folder (an experiment folder: its newest run) from its last
        /// checkpoint; -s may change optimizer.steps/epochs/lr and output.log_every/checkpoint_every.
        #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
        resume: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Load a run's parameters and print its loss (and accuracy) on its data or another CSV.
    #[command(
        after_help = "Examples:\n  gdlab eval artifacts/xor_mlp/latest\n  gdlab eval artifacts/breast_cancer          (an experiment folder: its newest run)\n  gdlab eval RUN_DIR --data more.csv --json"
    )]
    Eval {
        /// A run folder, or an experiment folder (its newest run is read).
        #[arg(value_name = "RUN_DIR")]
        run_dir: PathBuf,
        /// A CSV with the same feature and target columns as the run's data.
        #[arg(long, value_name = "CSV")]
        data: Option<PathBuf>,
        #[command(flatten)]
        json: Json,
    },
    /// Compare the gradient three ways: burn autodiff, the hand-derived formula, finite differences.
    #[command(
        after_help = "Examples:\n  gdlab gradcheck xor_mlp\n  gdlab gradcheck linear_regression --at artifacts/linear_regression/latest\n  gdlab gradcheck breast_cancer --dtype f64 --json\n  gdlab gradcheck quadratic --perturb-analytic b      (the check must fail: exit 4)"
    )]
    Gradcheck {
        #[arg(help = CONFIG_HELP)]
        config: PathBuf,
        /// `start` (the configured starting parameters), or a run folder (its final parameters;
        /// an experiment folder: its newest run).
        #[arg(long, default_value = "start", value_name = "start|RUN")]
        at: String,
        /// Evaluate in this dtype instead of the config's.
        #[arg(long, value_enum)]
        dtype: Option<DType>,
        #[command(flatten)]
        overrides: Overrides,
        /// Self-test: perturb the formula's gradient of this parameter (e.g. `b`) to show the check fails.
        #[arg(long, value_name = "PARAM")]
        perturb_analytic: Option<String>,
        /// Print a JSON list (one object per scalar parameter) instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// First-order (Taylor) check: predicted vs actual loss change per learning rate, and -grad C against random directions.
    #[command(after_help = "Examples:\n  gdlab taylor linear_regression\n  gdlab taylor lecture/parabola --lr 0.01,0.1,0.9 --steps 20")]
    Taylor {
        #[arg(help = CONFIG_HELP)]
        config: PathBuf,
        /// Comma-separated learning rates.
        #[arg(long, value_delimiter = ',', default_value = "0.001,0.01,0.1,1")]
        lr: Vec<f64>,
        /// Gradient steps per learning rate (1..=10000).
        #[arg(long, default_value_t = 10, value_parser = size_in(1, 10_000))]
        steps: usize,
        /// Random unit directions to compare with -grad C (1..=100000).
        #[arg(long, default_value_t = 100, value_parser = size_in(1, 100_000))]
        directions: usize,
        #[command(flatten)]
        overrides: Overrides,
        /// Output folder (default: <output.dir>/<experiment>-taylor/<run-id>).
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        json: Json,
    },
    /// Train a step neuron with the perceptron rule (w <- w + lr (t - o) x), same run folder as train.
    #[command(
        after_help = "Examples:\n  gdlab perceptron lecture/gates\n  gdlab perceptron lecture/gates -s data.gate=xor      (not separable: it never converges)"
    )]
    Perceptron {
        #[arg(help = CONFIG_HELP)]
        config: PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// The loss over a grid of two parameters: heat map with contours (and a run's path), and a 3-D view.
    #[command(
        after_help = "Examples:\n  gdlab surface lecture/sigmoid_surface --params w_x1,w_x2\n  gdlab surface linear_regression --params w_x1,w_x2 --at artifacts/linear_regression/latest\n  gdlab surface quadratic --params b,b      (refused: two different parameters)"
    )]
    Surface {
        #[arg(help = CONFIG_HELP)]
        config: PathBuf,
        /// Two parameter names, e.g. w_x1,b (gradcheck's table lists a config's names).
        #[arg(long, value_delimiter = ',', required = true, value_name = "P1,P2")]
        params: Vec<String>,
        /// lo:hi,lo:hi for the two parameters (default: around the start and the run's path).
        #[arg(long, value_parser = crate::commands::surface::parse_ranges, allow_hyphen_values = true, value_name = "LO:HI,LO:HI")]
        range: Option<crate::commands::surface::Ranges>,
        /// Points per side (3..=1001).
        #[arg(long, default_value_t = 41, value_parser = size_in(3, 1001))]
        grid: usize,
        /// A run of the same config whose descent path is drawn on top (an experiment folder: its newest run).
        #[arg(long, alias = "run", value_name = "RUN")]
        at: Option<PathBuf>,
        #[command(flatten)]
        overrides: Overrides,
        /// Output folder (default: <output.dir>/<experiment>-surface/<run-id>).
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        json: Json,
    },
    /// Train the cartesian product of listed values, in parallel, and tabulate and plot them.
    #[command(
        override_usage = "gdlab sweep <CONFIG> -s KEY=V1,V2,... [-s ...] [OPTIONS]\n       gdlab sweep --resume <SWEEP_DIR> [--launcher slurm]\n       gdlab sweep --status <SWEEP_DIR> [--wait]",
        after_help = "Examples:\n  gdlab sweep linear_regression -s optimizer.lr=0.01,0.1,0.5,1 --until-loss 0.02\n  gdlab sweep xor_mlp -s experiment.seed=1,2,3 -s model.activation=sigmoid,tanh\n  gdlab sweep --resume artifacts/linear_regression-sweep/latest\n  gdlab sweep xor_mlp -s experiment.seed=1,2,3,4 --launcher slurm --partition short --time 10 --jobs 2\n  gdlab sweep --status artifacts/xor_mlp-sweep/latest --wait"
    )]
    Sweep {
        #[arg(help = CONFIG_HELP, required_unless_present_any = ["resume", "status"])]
        config: Option<PathBuf>,
        /// One axis of the sweep: a key and the values to try, comma-separated (repeatable: every
        /// combination runs).
        #[arg(short = 's', long = "set", value_name = "KEY=V1,V2,...", required_unless_present_any = ["resume", "status"])]
        set: Vec<String>,
        /// Continue a stopped sweep: run only its missing and interrupted runs.
        #[arg(long, value_name = "SWEEP_DIR", conflicts_with_all = ["config", "set", "out", "until_loss", "status"])]
        resume: Option<PathBuf>,
        /// Each run's state (pending, running, finished, killed, failed); once every run has
        /// settled, the sweep's tables and figure.
        #[arg(long, value_name = "SWEEP_DIR", conflicts_with_all = ["config", "set", "out", "until_loss", "launcher", "jobs"])]
        status: Option<PathBuf>,
        /// Report the steps each run needs to reach this training loss, and their ratio.
        #[arg(long, value_name = "LOSS")]
        until_loss: Option<f64>,
        /// Runs at once (default: the number of cores; with --launcher slurm: as many as Slurm
        /// allows).
        #[arg(short, long, value_name = "N")]
        jobs: Option<usize>,
        /// Sweep folder (default: <output.dir>/<experiment>-sweep/<run-id>).
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Where the runs train: this machine, or a Slurm cluster (a job array, one task per
        /// combination; the sweep folder and this binary must be on a file system the nodes share).
        #[arg(long, value_enum, default_value_t = LauncherName::Local)]
        launcher: LauncherName,
        /// With Slurm: wait until every run has settled, then write the tables (with --status:
        /// wait, then report).
        #[arg(long)]
        wait: bool,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        json: Json,
        // Last: its help heading holds for the arguments after it.
        #[command(flatten)]
        slurm: SlurmArgs,
    },
    /// Overlay and tabulate several runs (run folders, or configs to train first).
    #[command(
        after_help = "Examples:\n  gdlab compare artifacts/xor_mlp/latest artifacts/iris_mlp/latest\n  gdlab compare lecture/saturated_start my.toml --until-loss 0.1\n  gdlab compare xor_mlp iris_mlp -s optimizer.lr=2      (-s applies to the configs it trains)"
    )]
    Compare {
        /// Run folders (an experiment folder: its newest run), or configs to train first.
        #[arg(required = true, num_args = 1.., value_name = "RUN_OR_CONFIG")]
        runs: Vec<PathBuf>,
        /// Steps to reach this training loss per run, and their ratio to the first run's.
        #[arg(long, value_name = "LOSS")]
        until_loss: Option<f64>,
        #[command(flatten)]
        overrides: Overrides,
        /// Output folder (default: artifacts/compare/<run-id>).
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        json: Json,
    },
    /// The lecture live in a browser: sessions trained by burn, driven from the page.
    #[command(
        after_help = "Examples:\n  gdlab serve --open\n  gdlab serve --port 0 --output-dir runs --data ~/csv\n  gdlab serve --classroom --host 0.0.0.0      (a class on the network: join links and a QR code)"
    )]
    Serve {
        /// Address to listen on: loopback by default; any other (0.0.0.0 is every interface)
        /// only with --classroom.
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        host: std::net::IpAddr,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// The runs folder the page lists and writes ("save as run"), as a config's output.dir.
        #[arg(long, alias = "runs", default_value = "artifacts", value_name = "DIR")]
        output_dir: PathBuf,
        /// A folder of your own CSV files that configs posted to the lab may read (data.path
        /// relative to it); the shipped data sets are always there.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Live sessions at most [default: 8; with --classroom 64, two for each of 30 students
        /// and a few to spare].
        #[arg(long, value_name = "N", value_parser = size_in(1, 10_000))]
        max_sessions: Option<usize>,
        /// Seconds a session may go unwatched (no page streaming its events) before it is dropped.
        #[arg(long, default_value_t = crate::serve::IDLE_SECONDS, value_parser = clap::value_parser!(u64).range(1..), value_name = "SECONDS")]
        idle_seconds: u64,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
        /// Open the lab to a class: every request needs the class's join token (students) or
        /// the teacher's token (/teacher); prints the join links, a QR code and the teacher's link.
        #[arg(long)]
        classroom: bool,
        /// Classroom: the environment variable holding the join token (otherwise a random one).
        #[arg(long, value_name = "VAR", requires = "classroom")]
        token_env: Option<String>,
        /// Classroom: a name students may reach this machine by besides its own addresses and
        /// host name (NAME or NAME:PORT; repeat for more).
        #[arg(long, value_name = "NAME", requires = "classroom")]
        allow_host: Vec<String>,
        /// Classroom: live sessions one student may have at once.
        #[arg(long, default_value_t = crate::serve::classroom::PER_STUDENT, value_name = "N", value_parser = size_in(1, 100), requires = "classroom")]
        per_student: usize,
    },
    /// Serve this machine's device to runs elsewhere (`backend.name = "remote"`): burn's remote
    /// backend over WebSocket. Needs the `remote` cargo feature.
    #[command(
        after_help = "Examples:\n  GDLAB_REMOTE_TOKEN=secret gdlab device-server --backend wgpu --port 3000\n  gdlab device-server --port 0 --no-auth      (loopback only)"
    )]
    DeviceServer {
        /// The backend whose device is served (flex, wgpu or cuda).
        #[arg(long, value_enum, default_value = "flex")]
        backend: BackendName,
        /// The device, as `backend.device` (wgpu: default, discrete:N, integrated:N, cpu; cuda: N).
        #[arg(long)]
        device: Option<String>,
        /// The float dtype served; a client's backend.dtype must match it.
        #[arg(long, value_enum, default_value = "f32")]
        dtype: DType,
        /// Address to listen on (loopback by default; anything else is reachable, unencrypted).
        #[arg(long, default_value = "127.0.0.1", value_name = "ADDR")]
        host: std::net::IpAddr,
        /// Port (0 picks a free one; the first line printed says which).
        #[arg(long)]
        port: u16,
        /// The environment variable holding the token clients must present.
        #[arg(long, default_value = crate::config::target::DEFAULT_TOKEN_ENV, value_name = "VAR")]
        token_env: String,
        /// Accept clients without a token (loopback only).
        #[arg(long)]
        no_auth: bool,
    },
    /// List the backends this binary was built with and the devices they find on this machine.
    #[command(after_help = "Examples:\n  gdlab devices\n  gdlab devices --json")]
    Devices {
        #[command(flatten)]
        json: Json,
    },
    /// Run every lecture experiment and write REPORT.md, REPORT.ko.md, index.html and lecture.json.
    #[command(
        after_help = "Examples:\n  gdlab lecture\n  gdlab lecture --lang en -o lecture-en\n  gdlab lecture --configs my-lecture/      (your xor_mlp.toml, ... in place of the shipped ones)"
    )]
    Lecture {
        /// Report folder (default artifacts/lecture; replaced once the new report is complete).
        #[arg(short, long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// The report's languages: REPORT.ko.md, REPORT.md, and index.html with them.
        #[arg(long, value_enum, default_value = "both")]
        lang: crate::lecture::Lang,
        /// A folder of configs named as the report's configs/ (e.g. xor_mlp.toml) to run in place
        /// of the shipped ones; the others stay as shipped.
        #[arg(long, value_name = "DIR")]
        configs: Option<PathBuf>,
        #[command(flatten)]
        quiet: Quiet,
        #[command(flatten)]
        json: Json,
    },
    /// Time the fixed workloads (W1, W2, W3, scaling) through the training loop (release build).
    #[command(
        after_help = "Examples:\n  gdlab bench\n  gdlab bench --workload W2 --repeat 5 --json\n  gdlab bench --workload serve --sessions 8 --seconds 5\n  gdlab bench --workload serve --students 30 --seconds 10"
    )]
    Bench {
        /// W1 | W2 | W3 | scaling | all, or serve (the live lab under load on loopback).
        #[arg(long, value_enum, default_value = "all")]
        workload: crate::commands::bench::WorkloadName,
        /// serve: live sessions playing at once.
        #[arg(long, default_value_t = crate::serve::DEFAULT_MAX_SESSIONS, value_name = "N")]
        sessions: usize,
        /// serve: seconds measured.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// serve: a classroom of N students instead (up to 32), each joining with the join
        /// token and playing two sessions at the page's default speed, with the teacher's view
        /// open.
        #[arg(long, value_name = "N", value_parser = size_in(1, 32))]
        students: Option<usize>,
        /// The backend timed (wgpu, cuda and remote need their cargo feature).
        #[arg(long, value_enum, default_value = "flex")]
        backend: BackendName,
        /// The backend's device, as `backend.device` in a config (wgpu: default, discrete:N,
        /// integrated:N, cpu; cuda and remote: an index).
        #[arg(long)]
        device: Option<String>,
        /// remote: the server's address, ws://HOST:PORT.
        #[arg(long)]
        url: Option<String>,
        /// remote: the environment variable holding the token (default GDLAB_REMOTE_TOKEN).
        #[arg(long, value_name = "VAR")]
        token_env: Option<String>,
        /// Timed repeats per workload (after one warm-up); the median is reported (1..=100).
        #[arg(long, default_value_t = 3, value_parser = size_in(1, 100))]
        repeat: usize,
        /// Rows of X for W1 and W2 (the fixed workloads use 65536; scaling runs 2^14..2^20;
        /// at most 2^22).
        #[arg(long, default_value_t = 65536, value_parser = size_in(1, 1 << 22))]
        rows: usize,
        /// Row shards per update (default: as `gdlab train` picks them, see `backend.shards`).
        #[arg(long)]
        shards: Option<usize>,
        /// Print one JSON object keyed by workload.
        #[arg(long)]
        json: bool,
    },
    /// List the shipped experiments (the names to type) and the embedded data sets.
    #[command(after_help = "Examples:\n  gdlab list\n  gdlab list --json")]
    List {
        #[command(flatten)]
        json: Json,
    },
    /// Print a shipped experiment's config.
    #[command(after_help = "Examples:\n  gdlab show xor_mlp\n  gdlab show lecture/parabola > parabola.toml")]
    Show {
        /// A shipped experiment, as `gdlab list` shows it: xor_mlp, lecture/parabola, ...
        name: String,
    },
    /// Write a shipped experiment's config to FILE, to edit and run with `gdlab train FILE`.
    #[command(after_help = "Examples:\n  gdlab new my.toml\n  gdlab new xor.toml --from xor_mlp && gdlab train xor.toml")]
    New {
        /// The file to write (must not exist).
        file: PathBuf,
        /// The shipped experiment to start from.
        #[arg(long, default_value = "linear_regression", value_name = "NAME")]
        from: String,
    },
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  gdlab completions bash > ~/.local/share/bash-completion/completions/gdlab\n  gdlab completions zsh > ~/.zfunc/_gdlab\n  gdlab completions fish > ~/.config/fish/completions/gdlab.fish"
    )]
    Completions {
        /// The shell to complete in.
        shell: clap_complete::Shell,
    },
    /// Print gdlab's manual page (roff).
    #[command(after_help = "Examples:\n  gdlab man > ~/.local/share/man/man1/gdlab.1\n  gdlab man | man -l -")]
    Man,
}

/// The `--backend`/`--device`/`--url`/`--token-env` flags as one target, checked as a config's
/// `backend` keys are.
fn target_of(backend: BackendName, device: Option<&str>, url: Option<&str>, token_env: Option<&str>) -> Result<Target, GdlabError> {
    let device = device.map(|d| crate::config::DeviceField::Name(d.to_string()));
    Target::parse(backend, device.as_ref(), url, token_env).map_err(|r| {
        let flag = r.key.trim_start_matches("backend.").replace('_', "-");
        GdlabError::Input(format!("--{flag}: {}\n  hint: {}", r.message, r.hint.replace(" = ", " ")))
    })
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are "errors" to clap that print to stdout and exit 0.
            let code = e.exit_code();
            let _ = e.print();
            if code != 0
                && let Some(bare) = bare_override(&args)
            {
                eprintln!("  hint: to change a config key, write it after -s (or --set): -s {bare}");
            }
            return code;
        }
    };
    crate::style::choose(cli.color);
    match dispatch(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                GdlabError::Interrupted(_) => run_exit(StopReason::Interrupted),
                e => e.exit_code(),
            }
        }
    }
}

/// A run folder named on the command line; an experiment folder (`artifacts/xor_mlp`) means
/// its newest run, and stderr says which one is read.
fn run_folder(dir: PathBuf) -> PathBuf {
    match crate::run::artifacts::newest_run(&dir) {
        Some(run) => {
            eprintln!("note: {} holds runs of an experiment; reading its newest, {}", dir.display(), run.display());
            run
        }
        None => dir,
    }
}

/// The first `key.path=value` among `args` that is not the value of a -s/--set: Hydra's bare
/// override, which gdlab spells `-s key.path=value`.
fn bare_override(args: &[std::ffi::OsString]) -> Option<String> {
    let mut after_set = false;
    for a in args.iter().skip(1) {
        let a = a.to_string_lossy();
        let is_set = a == "-s" || a == "--set";
        if !after_set
            && !a.starts_with('-')
            && let Some((key, _)) = a.split_once('=')
        {
            let keyish =
                key.contains('.') && key.split('.').all(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
            if keyish {
                return Some(a.into_owned());
            }
        }
        after_set = is_set;
    }
    None
}

/// Prints a command's result: JSON for scripts (`--json`), else the human table.
fn emit<T: std::fmt::Display + serde::Serialize>(value: &T, json: bool) -> Result<(), GdlabError> {
    if json {
        let text =
            serde_json::to_string_pretty(value).map_err(|e| GdlabError::Runtime(format!("cannot encode the result as JSON: {e}")))?;
        println!("{text}");
    } else {
        print!("{value}");
    }
    Ok(())
}

/// The exit code of a run that stopped for `reason`.
fn run_exit(reason: StopReason) -> i32 {
    match reason {
        StopReason::Diverged => EXIT_DIVERGED,
        // 128 + the signal, as a shell reports a process killed by it: 130 SIGINT, 143 SIGTERM, 129 SIGHUP.
        StopReason::Interrupted => match SIGNAL.load(Ordering::Relaxed) {
            0 => EXIT_INTERRUPTED,
            sig => 128 + sig as i32,
        },
        StopReason::Completed | StopReason::Converged => 0,
    }
}

fn dispatch(cli: Cli) -> Result<i32, GdlabError> {
    match cli.command {
        Command::Train {
            config: path,
            resume,
            run: RunArgs { overrides: Overrides { set }, out, quiet: Quiet { quiet }, json: Json { json } },
        } => {
            catch_stop_signals();
            let result = match resume {
                Some(dir) => run::resume(&run_folder(dir), &set, quiet, &INTERRUPTED)?,
                None => {
                    let loaded = match &path {
                        Some(p) => config::load_named(p, &set)?,
                        None => {
                            let s = shipped::default_config();
                            config::from_text(s.text, &format!("<embedded {}>", s.path), PathBuf::from("."), &set)?
                        }
                    };
                    run::train(loaded, &run::TrainOptions { out, quiet }, &INTERRUPTED)?
                }
            };
            if json || !quiet || result.summary.stop_reason == StopReason::Diverged {
                emit(&result, json)?;
            }
            Ok(run_exit(result.summary.stop_reason))
        }
        Command::Perceptron {
            config: path,
            run: RunArgs { overrides: Overrides { set }, out, quiet: Quiet { quiet }, json: Json { json } },
        } => {
            catch_stop_signals();
            let loaded = config::load_named(&path, &set)?;
            let result = crate::commands::perceptron::perceptron(loaded, out.as_deref(), &INTERRUPTED)?;
            if json || !quiet {
                emit(&result, json)?;
            }
            Ok(run_exit(result.summary.stop_reason))
        }
        Command::Eval { run_dir, data, json: Json { json } } => {
            emit(&eval::eval(&run_folder(run_dir), data.as_deref())?, json)?;
            Ok(0)
        }
        Command::Gradcheck { config: path, at, dtype, overrides: Overrides { set }, perturb_analytic, json } => {
            let at = (at != "start").then(|| run_folder(PathBuf::from(at)));
            let opts = inspect::GradcheckOptions { at, dtype, perturb: perturb_analytic };
            let check = inspect::gradcheck(&path, &set, &opts)?;
            emit(&check, json)?;
            let failures = check.report.failures();
            if !check.report.loss.is_finite() && !check.diverged {
                // Not a diverged run's end point: a loss that overflows where the check starts
                // is a fault of the loss, not a point without a gradient.
                eprintln!("gradcheck {}: the loss is {} at {}", crate::style::bad("FAILED"), check.report.loss, check.at);
                Ok(EXIT_CHECK_FAILED)
            } else if failures.is_empty() {
                Ok(0)
            } else {
                let names: Vec<String> = failures.iter().map(|r| format!("{} ({}[{}])", r.label, r.name, r.index)).collect();
                eprintln!(
                    "gradcheck {} for {}: autodiff, formula and finite differences disagree beyond tolerance",
                    crate::style::bad("FAILED"),
                    names.join(", ")
                );
                Ok(EXIT_CHECK_FAILED)
            }
        }
        Command::Taylor {
            config: path,
            lr,
            steps,
            directions,
            overrides: Overrides { set },
            out,
            quiet: Quiet { quiet },
            json: Json { json },
        } => {
            let result = inspect::taylor(&path, &set, &inspect::TaylorOptions { lrs: lr, steps, directions, out })?;
            if json || !quiet {
                emit(&result, json)?;
            }
            Ok(0)
        }
        Command::Surface {
            config: path,
            params,
            range,
            grid,
            at,
            overrides: Overrides { set },
            out,
            quiet: Quiet { quiet },
            json: Json { json },
        } => {
            if params.len() != 2 {
                return Err(GdlabError::Input(format!(
                    "--params {}: give exactly two parameter names, e.g. --params w_x1,b",
                    params.join(",")
                )));
            }
            let run = at.map(run_folder);
            let opts = crate::commands::surface::SurfaceOptions { params: (params[0].clone(), params[1].clone()), range, grid, run, out };
            let (dir, _) = crate::commands::surface::surface(&path, &set, &opts)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "dir": dir, "figures": ["surface.png", "surface.svg", "surface3d.png", "surface3d.svg"] })
                );
            } else if !quiet {
                println!("surface written to {}", dir.display());
            }
            Ok(0)
        }
        Command::Sweep {
            config,
            set,
            resume,
            status,
            until_loss,
            jobs,
            out,
            launcher,
            wait,
            slurm,
            quiet: Quiet { quiet },
            json: Json { json },
        } => {
            catch_stop_signals();
            if launcher == LauncherName::Local && (wait || slurm.any()) && status.is_none() {
                return Err(GdlabError::Input(
                    "--wait and the Slurm options go with --launcher slurm (a local sweep always waits for its runs)\n  hint: add --launcher slurm, or drop them".into(),
                ));
            }
            if status.is_some() && slurm.any() {
                return Err(GdlabError::Input(
                    "--status reads a sweep; it takes no Slurm options\n  hint: gdlab sweep --status DIR [--wait] [--json]".into(),
                ));
            }
            let launcher = match launcher {
                LauncherName::Local => sweep::Launcher::Local,
                LauncherName::Slurm => sweep::Launcher::Slurm { options: slurm.options()?, wait },
            };
            let outcome = match (status, resume, config) {
                (Some(dir), _, _) => sweep::status(&dir, wait, !quiet, &INTERRUPTED).map(sweep::SweepOutcome::Status)?,
                (None, Some(dir), _) => sweep::resume(&dir, jobs, !quiet, &launcher, &INTERRUPTED)?,
                (None, None, Some(path)) => sweep::sweep(
                    &path,
                    &sweep::SweepOptions { axes: set, until_loss, jobs, out, progress: !quiet, launcher },
                    &INTERRUPTED,
                )?,
                (None, None, None) => return Err(GdlabError::Input("give a CONFIG (or --resume SWEEP_DIR, or --status SWEEP_DIR)".into())),
            };
            if json || !quiet {
                emit(&outcome, json)?;
            }
            let result = match outcome {
                sweep::SweepOutcome::Done(c) => c,
                sweep::SweepOutcome::Submitted(_) => return Ok(0),
                sweep::SweepOutcome::Status(s) => return Ok(if s.interrupted { run_exit(StopReason::Interrupted) } else { 0 }),
            };
            Ok(if result.interrupted {
                run_exit(StopReason::Interrupted)
            } else if result.failures.is_empty() {
                0
            } else {
                1
            })
        }
        Command::Compare { runs, until_loss, overrides: Overrides { set }, out, quiet: Quiet { quiet }, json: Json { json } } => {
            catch_stop_signals();
            let runs: Vec<PathBuf> = runs.into_iter().map(|p| if p.is_dir() { run_folder(p) } else { p }).collect();
            let result = sweep::compare(&runs, &set, until_loss, out.as_deref(), None, &INTERRUPTED)?;
            if json || !quiet {
                emit(&result, json)?;
            }
            Ok(if result.interrupted { run_exit(StopReason::Interrupted) } else { 0 })
        }
        Command::Serve {
            host,
            port,
            output_dir: runs,
            data,
            max_sessions,
            idle_seconds,
            open,
            classroom,
            token_env,
            allow_host,
            per_student,
        } => {
            if !host.is_loopback() && !classroom {
                return Err(GdlabError::Input(format!(
                    "--host {host}: the lab would be reachable from the network, where anyone could train on this machine\n  hint: add --classroom (every request then needs the class's join token, printed with a QR code), or leave --host out for loopback"
                )));
            }
            if let Some(d) = data.as_ref().filter(|d| !d.is_dir()) {
                return Err(GdlabError::Input(format!(
                    "--data {}: not a folder\n  hint: give the folder that holds your CSV files",
                    d.display()
                )));
            }
            let classroom = if classroom {
                let join_token = match &token_env {
                    Some(var) => {
                        let token = std::env::var(var).map_err(|_| {
                            GdlabError::Input(format!(
                                "--token-env {var}: the variable is not set\n  hint: {var}=your-class-token gdlab serve --classroom ..."
                            ))
                        })?;
                        crate::serve::classroom::check_token(var, &token)?;
                        Some(token)
                    }
                    None => None,
                };
                Some(crate::serve::classroom::ClassOptions { join_token, allow_hosts: allow_host, per_student })
            } else {
                None
            };
            let max_sessions = max_sessions.unwrap_or(if classroom.is_some() {
                crate::serve::classroom::CLASS_MAX_SESSIONS
            } else {
                crate::serve::DEFAULT_MAX_SESSIONS
            });
            let opts = crate::serve::ServeOptions { host, port, runs, data, max_sessions, idle_seconds, classroom };
            crate::serve::serve(opts, |ready| {
                let url = format!("http://{}/", ready.addr);
                println!("gdlab serve: {url}");
                banner(ready);
                let _ = std::io::Write::flush(&mut std::io::stdout());
                if open {
                    // Best effort: no browser is not an error.
                    let _ = std::process::Command::new("xdg-open").arg(ready.teacher.as_deref().unwrap_or(&url)).spawn();
                }
            })?;
            Ok(0)
        }
        Command::DeviceServer { backend, device, dtype, host, port, token_env, no_auth } => {
            use crate::backend::remote;
            let target = target_of(backend, device.as_deref(), None, None)?;
            let opts = remote::ServeOptions { target, dtype, host: host.to_string(), port, token_env, no_auth };
            let (device, token) = remote::prepare(&opts)?;
            remote::serve(&opts, device, token, |l| {
                if let Some(w) = &l.warning {
                    eprintln!("gdlab device-server: warning: {w}");
                }
                // The address line alone on stdout; a reader that has gone is not an error here.
                let mut out = std::io::stdout().lock();
                let _ = std::io::Write::write_all(&mut out, format!("gdlab device-server: {}\n", l.url).as_bytes());
                let _ = std::io::Write::flush(&mut out);
                eprintln!("gdlab device-server: {}", l.serving);
            })?;
            eprintln!("gdlab device-server: stopped");
            Ok(0)
        }
        Command::Devices { json: Json { json } } => {
            emit(&crate::backend::inventory(), json)?;
            Ok(0)
        }
        Command::Lecture { out, lang, configs, quiet: Quiet { quiet }, json: Json { json } } => {
            use crate::lecture::Lang;
            let started = std::time::Instant::now();
            let (dir, claims) = crate::lecture::lecture(out.as_deref(), lang, configs.as_deref())?;
            // The terminal gets one language: Korean unless only English was asked for.
            let shown = if lang == Lang::En { Lang::En } else { Lang::Ko };
            let report = dir.join(if shown == Lang::Ko { "REPORT.ko.md" } else { "REPORT.md" });
            let outcome = LectureOutcome { report, seconds: started.elapsed().as_secs_f64(), shown, claims };
            if json || !quiet {
                emit(&outcome, json)?;
            }
            Ok(if outcome.claims.iter().all(|c| c.holds) { 0 } else { EXIT_CHECK_FAILED })
        }
        Command::Bench { workload, sessions, seconds, students, backend, device, url, token_env, repeat, json, rows, shards } => {
            use crate::commands::bench::WorkloadName;
            match workload {
                WorkloadName::Serve => emit(&crate::commands::bench::serve::measure(sessions, seconds, students)?, json)?,
                fixed => {
                    let target = target_of(backend, device.as_deref(), url.as_deref(), token_env.as_deref())?;
                    emit(&crate::commands::bench::run(fixed, &target, repeat, rows, shards)?, json)?;
                }
            }
            Ok(0)
        }
        Command::List { json: Json { json } } => {
            emit(&shipped::listing(), json)?;
            Ok(0)
        }
        Command::Show { name } => {
            print!("{}", shipped::annotated(shipped::find_or_suggest(&name)?, None));
            Ok(0)
        }
        Command::New { file, from } => {
            let s = shipped::write_new(&file, &from)?;
            println!(
                "wrote {} (from {}); run it with: gdlab {} {}",
                file.display(),
                shipped::short_name(s),
                shipped::command(s),
                file.display()
            );
            Ok(0)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut <Cli as clap::CommandFactory>::command(), "gdlab", &mut std::io::stdout());
            Ok(0)
        }
        Command::Man => {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command())
                .render(&mut std::io::stdout())
                .map_err(GdlabError::io("cannot write the manual page"))?;
            Ok(0)
        }
    }
}

/// A size flag's parser: a whole number in `lo..=hi`, refused (exit 2, with the range) before
/// any work or allocation, since each of these sizes is memory and time the command spends.
fn size_in(lo: usize, hi: usize) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync + 'static {
    move |s: &str| {
        let v: usize = s.trim().parse().map_err(|_| format!("`{s}` is not a whole number (give one from {lo} to {hi})"))?;
        if (lo..=hi).contains(&v) { Ok(v) } else { Err(format!("{v} is outside {lo}..={hi}, the sizes this command allows")) }
    }
}
