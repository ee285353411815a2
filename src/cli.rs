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
    after_help = "Exit codes: 0 ok, 1 runtime failure, 2 bad input, 3 diverged (files kept), 4 check failed, 130/143/129 stopped by SIGINT/SIGTERM/SIGHUP (files kept)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What `train` and `perceptron` share: overrides and where the run folder goes.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Override a key, value parsed as TOML: --set optimizer.lr=0.05 (repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// Write the run folder exactly here (must be new or empty).
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    quiet: bool,
    /// Print the result (run folder and summary) as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Train one experiment and write its run folder.
    Train {
        /// Experiment file (TOML). Default: the embedded configs/linear_regression.toml.
        #[arg(conflicts_with = "resume")]
        config: Option<PathBuf>,
        /// Continue the run in this folder from its last checkpoint (--set may change
        /// optimizer.steps/epochs/lr and output.log_every/checkpoint_every).
        #[arg(long, value_name = "RUN_DIR", conflicts_with = "out")]
        resume: Option<PathBuf>,
        #[command(flatten)]
        run: RunArgs,
    },
    /// Load a run's checkpoint and print its loss (and accuracy) on its data or another CSV.
    Eval {
        run_dir: PathBuf,
        /// A CSV with the same feature and target columns as the run's data.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Compare the gradient three ways: burn autodiff, the hand-derived formula, finite differences.
    Gradcheck {
        config: PathBuf,
        /// `start` (the configured starting parameters) or a run folder (its final parameters).
        #[arg(long, default_value = "start")]
        at: String,
        /// Evaluate in this dtype instead of the config's.
        #[arg(long, value_parser = parse_dtype)]
        dtype: Option<DType>,
        /// Print a JSON list (one object per scalar parameter) instead of the table.
        #[arg(long)]
        json: bool,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Self-test: perturb the formula's gradient of this parameter (e.g. `b`) to show the check fails.
        #[arg(long, value_name = "PARAM")]
        perturb_analytic: Option<String>,
    },
    /// First-order (Taylor) check: predicted vs actual loss change per learning rate, and -grad C against random directions.
    Taylor {
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
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Output folder (default: <output.dir>/<name>-taylor/<run-id>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Train a step neuron with the perceptron rule (w <- w + lr (t - o) x), same run folder as train.
    Perceptron {
        config: PathBuf,
        #[command(flatten)]
        run: RunArgs,
    },
    /// The loss over a grid of two parameters: heat map with contours (and a run's path), and a 3-D view.
    Surface {
        config: PathBuf,
        /// Two parameter names, e.g. w_x1,b (see gradcheck's table for the names).
        #[arg(long, value_delimiter = ',', required = true)]
        params: Vec<String>,
        /// lo:hi,lo:hi for the two parameters (default: around the start and the run's path).
        #[arg(long, value_parser = crate::commands::surface::parse_range, allow_hyphen_values = true)]
        range: Option<crate::commands::surface::Ranges>,
        /// Points per side (3..=1001).
        #[arg(long, default_value_t = 41, value_parser = size_in(3, 1001))]
        grid: usize,
        /// A run of the same config whose descent path is drawn on top.
        #[arg(long)]
        run: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY=VALUE")]
        set: Vec<String>,
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Train the cartesian product of listed values: --set optimizer.lr=0.01,0.1,1 --set model.bias=true,false.
    Sweep {
        #[arg(required_unless_present = "resume")]
        config: Option<PathBuf>,
        #[arg(long = "set", value_name = "KEY=V1,V2,...", required_unless_present = "resume")]
        set: Vec<String>,
        /// Continue a stopped sweep: run only its missing and interrupted runs.
        #[arg(long, value_name = "SWEEP_DIR", conflicts_with_all = ["config", "set", "out", "until_loss"])]
        resume: Option<PathBuf>,
        /// Report the steps each run needs to reach this training loss.
        #[arg(long)]
        until_loss: Option<f64>,
        /// Runs at once (default: the number of cores).
        #[arg(long)]
        jobs: Option<usize>,
        /// Sweep folder (default: <output.dir>/<name>-sweep/<run-id>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Overlay and tabulate several runs (run folders, or configs to train first).
    Compare {
        #[arg(required = true, num_args = 1..)]
        runs: Vec<PathBuf>,
        /// Steps to reach this training loss per run, and their ratios.
        #[arg(long)]
        until_loss: Option<f64>,
        /// Output folder (default: artifacts/compare/<run-id>).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// The lecture live in a browser: sessions trained by burn, driven from the page.
    Serve {
        /// Address to listen on (loopback by default; anything else is reachable from the network).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port (0 picks a free one).
        #[arg(long, default_value_t = 8765)]
        port: u16,
        /// Run folders the page lists and writes ("save as run").
        #[arg(long, default_value = "artifacts")]
        runs: PathBuf,
        /// A folder of your own CSV files that configs posted to the lab may read (data.path
        /// relative to it); the shipped data sets are always there.
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Live sessions at most.
        #[arg(long, default_value_t = crate::serve::DEFAULT_MAX_SESSIONS)]
        max_sessions: usize,
        /// Seconds a session may go unwatched (no page streaming its events) before it is dropped.
        #[arg(long, default_value_t = crate::serve::IDLE_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
        idle_seconds: u64,
        /// Open the page in the default browser.
        #[arg(long)]
        open: bool,
    },
    /// Serve this machine's device to runs elsewhere (`backend.name = "remote"`): burn's remote
    /// backend over WebSocket. Needs the `remote` cargo feature.
    DeviceServer {
        /// flex | wgpu | cuda: the backend whose device is served.
        #[arg(long, value_parser = parse_backend, default_value = "flex")]
        backend: BackendName,
        /// The device, as `backend.device` (wgpu: default, discrete:N, integrated:N, cpu; cuda: N).
        #[arg(long)]
        device: Option<String>,
        /// The float dtype served; a client's backend.dtype must match it.
        #[arg(long, value_parser = parse_dtype, default_value = "f32")]
        dtype: DType,
        /// Address to listen on (loopback by default; anything else is reachable, unencrypted).
        #[arg(long, default_value = "127.0.0.1")]
        host: std::net::IpAddr,
        /// Port (0 picks a free one; the first line printed says which).
        #[arg(long)]
        port: u16,
        /// The environment variable holding the token clients must present.
        #[arg(long, default_value = crate::config::target::DEFAULT_TOKEN_ENV)]
        token_env: String,
        /// Accept clients without a token (loopback only).
        #[arg(long)]
        no_auth: bool,
    },
    /// List the backends this binary was built with and the devices they find on this machine.
    Devices {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run every lecture experiment and write REPORT.md, index.html and lecture.json.
    Lecture {
        /// Report folder (default artifacts/lecture; replaced once the new report is complete).
        #[arg(long)]
        out: Option<PathBuf>,
        /// ko | en | both: REPORT.ko.md, REPORT.md, and index.html with the chosen languages.
        #[arg(long, default_value = "both", value_parser = parse_lang)]
        lang: crate::commands::lecture::Lang,
        /// A folder of configs named as the report's configs/ (e.g. xor_mlp.toml) to run in place
        /// of the shipped ones; the others stay as shipped.
        #[arg(long)]
        configs: Option<PathBuf>,
    },
    /// Time the fixed workloads (W1, W2, W3, scaling) through the training loop (release build).
    Bench {
        /// W1 | W2 | W3 | scaling | all, or serve (the live lab under load on loopback)
        #[arg(long, default_value = "all")]
        workload: String,
        /// serve: live sessions playing at once.
        #[arg(long, default_value_t = crate::serve::DEFAULT_MAX_SESSIONS)]
        sessions: usize,
        /// serve: seconds measured.
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// flex | ndarray | wgpu | cuda | remote (the last three need their cargo feature).
        #[arg(long, value_parser = parse_backend, default_value = "flex")]
        backend: BackendName,
        /// The backend's device, as `backend.device` in a config (wgpu: default, discrete:N,
        /// integrated:N, cpu; cuda and remote: an index).
        #[arg(long)]
        device: Option<String>,
        /// remote: the server's address, ws://HOST:PORT.
        #[arg(long)]
        url: Option<String>,
        /// remote: the environment variable holding the token (default GDLAB_REMOTE_TOKEN).
        #[arg(long)]
        token_env: Option<String>,
        /// Timed repeats per workload (after one warm-up); the median is reported (1..=100).
        #[arg(long, default_value_t = 3, value_parser = size_in(1, 100))]
        repeat: usize,
        /// Print one JSON object keyed by workload.
        #[arg(long)]
        json: bool,
        /// Rows of X for W1 and W2 (the fixed workloads use 65536; scaling runs 2^14..2^20;
        /// at most 2^22).
        #[arg(long, default_value_t = 65536, value_parser = size_in(1, 1 << 22))]
        rows: usize,
        /// Row shards per update (default: as `gdlab train` picks them, see `backend.shards`).
        #[arg(long)]
        shards: Option<usize>,
    },
    /// List the shipped experiment configs with their descriptions.
    List {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a shipped experiment's config (NAME as `gdlab list` shows it, e.g. xor_mlp).
    Show {
        /// A shipped experiment: xor_mlp, lecture/parabola, ...
        name: String,
    },
    /// Write a shipped experiment's config to FILE, to edit and run with `gdlab train FILE`.
    New {
        /// The file to write (must not exist).
        file: PathBuf,
        /// The shipped experiment to start from (default: linear_regression).
        #[arg(long, default_value = "linear_regression")]
        from: String,
    },
    /// Print a shell completion script: gdlab completions bash > ~/.local/share/bash-completion/completions/gdlab
    Completions {
        /// bash | zsh | fish | powershell | elvish
        shell: clap_complete::Shell,
    },
    /// Print gdlab's manual page (roff): gdlab man > ~/.local/share/man/man1/gdlab.1
    Man,
}

fn parse_lang(s: &str) -> Result<crate::commands::lecture::Lang, String> {
    use crate::commands::lecture::Lang;
    match s {
        "ko" => Ok(Lang::Ko),
        "en" => Ok(Lang::En),
        "both" => Ok(Lang::Both),
        other => Err(format!("`{other}`: use ko, en or both")),
    }
}

fn parse_backend(s: &str) -> Result<BackendName, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| format!("`{s}` is not a backend: use flex, ndarray, wgpu, cuda or remote"))
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

fn parse_dtype(s: &str) -> Result<DType, String> {
    match s {
        "f32" => Ok(DType::F32),
        "f64" => Ok(DType::F64),
        other => Err(format!("`{other}` is not a dtype: use f32 or f64")),
    }
}

/// Runs the CLI and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
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
        Command::Train { config: path, resume, run: RunArgs { set, out, quiet, json } } => {
            catch_stop_signals();
            let result = match resume {
                Some(dir) => run::resume(&dir, &set, quiet, &INTERRUPTED)?,
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
        Command::Perceptron { config: path, run: RunArgs { set, out, quiet, json } } => {
            catch_stop_signals();
            let loaded = config::load_named(&path, &set)?;
            let result = crate::commands::perceptron::perceptron(loaded, out.as_deref(), &INTERRUPTED)?;
            if json || !quiet {
                emit(&result, json)?;
            }
            Ok(run_exit(result.summary.stop_reason))
        }
        Command::Eval { run_dir, data, json } => {
            emit(&eval::eval(&run_dir, data.as_deref())?, json)?;
            Ok(0)
        }
        Command::Gradcheck { config: path, at, dtype, json, set, perturb_analytic } => {
            let at = (at != "start").then(|| PathBuf::from(at));
            let opts = inspect::GradcheckOptions { at, dtype, perturb: perturb_analytic };
            let check = inspect::gradcheck(&path, &set, &opts)?;
            emit(&check, json)?;
            let failures = check.report.failures();
            if !check.report.loss.is_finite() && !check.diverged {
                // Not a diverged run's end point: a loss that overflows where the check starts
                // is a fault of the loss, not a point without a gradient.
                eprintln!("gradcheck FAILED: the loss is {} at {}", check.report.loss, check.at);
                Ok(EXIT_CHECK_FAILED)
            } else if failures.is_empty() {
                Ok(0)
            } else {
                let names: Vec<String> = failures.iter().map(|r| format!("{} ({}[{}])", r.label, r.name, r.index)).collect();
                eprintln!("gradcheck FAILED for {}: autodiff, formula and finite differences disagree beyond tolerance", names.join(", "));
                Ok(EXIT_CHECK_FAILED)
            }
        }
        Command::Taylor { config: path, lr, steps, directions, set, out, json } => {
            emit(&inspect::taylor(&path, &set, &inspect::TaylorOptions { lrs: lr, steps, directions, out })?, json)?;
            Ok(0)
        }
        Command::Surface { config: path, params, range, grid, run, set, out } => {
            if params.len() != 2 {
                return Err(GdlabError::Input(format!(
                    "--params {}: give exactly two parameter names, e.g. --params w_x1,b",
                    params.join(",")
                )));
            }
            let opts = crate::commands::surface::SurfaceOptions { params: (params[0].clone(), params[1].clone()), range, grid, run, out };
            let (dir, _) = crate::commands::surface::surface(&path, &set, &opts)?;
            println!("surface written to {}", dir.display());
            Ok(0)
        }
        Command::Sweep { config, set, resume, until_loss, jobs, out, json } => {
            catch_stop_signals();
            let result = match (resume, config) {
                (Some(dir), _) => sweep::resume(&dir, jobs, &INTERRUPTED)?,
                (None, Some(path)) => sweep::sweep(&path, &sweep::SweepOptions { axes: set, until_loss, jobs, out }, &INTERRUPTED)?,
                (None, None) => return Err(GdlabError::Input("give a CONFIG (or --resume SWEEP_DIR)".into())),
            };
            emit(&result, json)?;
            Ok(if result.interrupted {
                run_exit(StopReason::Interrupted)
            } else if result.failures.is_empty() {
                0
            } else {
                1
            })
        }
        Command::Compare { runs, until_loss, out, json } => {
            catch_stop_signals();
            let result = sweep::compare(&runs, until_loss, out.as_deref(), None, &INTERRUPTED)?;
            emit(&result, json)?;
            Ok(if result.interrupted { run_exit(StopReason::Interrupted) } else { 0 })
        }
        Command::Serve { host, port, runs, data, max_sessions, idle_seconds, open } => {
            if !host.is_loopback() {
                eprintln!(
                    "warning: --host {host} makes the lab reachable from the network (plain HTTP, no login); anyone who can reach it can train on this machine"
                );
            }
            if let Some(d) = data.as_ref().filter(|d| !d.is_dir()) {
                return Err(GdlabError::Input(format!(
                    "--data {}: not a folder\n  hint: give the folder that holds your CSV files",
                    d.display()
                )));
            }
            let opts = crate::serve::ServeOptions { host, port, runs, data, max_sessions, idle_seconds };
            crate::serve::serve(opts, |addr| {
                let url = format!("http://{addr}/");
                println!("gdlab serve: {url}");
                let _ = std::io::Write::flush(&mut std::io::stdout());
                if open {
                    // Best effort: no browser is not an error.
                    let _ = std::process::Command::new("xdg-open").arg(&url).spawn();
                }
            })?;
            Ok(0)
        }
        Command::DeviceServer { backend, device, dtype, host, port, token_env, no_auth } => {
            use crate::backend::remote;
            let target = target_of(backend, device.as_deref(), None, None)?;
            let opts = remote::ServeOptions { target, dtype, host: host.to_string(), port, token_env, no_auth };
            let (device, token) = remote::prepare(&opts)?;
            remote::serve(&opts, device, token)?;
            Ok(0)
        }
        Command::Devices { json } => {
            emit(&crate::backend::inventory(), json)?;
            Ok(0)
        }
        Command::Lecture { out, lang, configs } => {
            use crate::commands::lecture::Lang;
            let started = std::time::Instant::now();
            let (dir, claims) = crate::commands::lecture::lecture(out.as_deref(), lang, configs.as_deref())?;
            // The terminal gets one language: Korean unless only English was asked for.
            let shown = if lang == Lang::En { Lang::En } else { Lang::Ko };
            for (k, c) in claims.iter().enumerate() {
                println!("{}. {}\n   {}", k + 1, c.title.get(shown), c.verdict.get(shown));
            }
            let report = if shown == Lang::Ko { "REPORT.ko.md" } else { "REPORT.md" };
            println!("report: {} ({:.1} s)", dir.join(report).display(), started.elapsed().as_secs_f64());
            Ok(if claims.iter().all(|c| c.holds) { 0 } else { EXIT_CHECK_FAILED })
        }
        Command::Bench { workload, sessions, seconds, backend, device, url, token_env, repeat, json, rows, shards } => {
            if workload == "serve" {
                emit(&crate::serve::load::measure(sessions, seconds)?, json)?;
            } else {
                let target = target_of(backend, device.as_deref(), url.as_deref(), token_env.as_deref())?;
                emit(&crate::commands::bench::run(&workload, &target, repeat, rows, shards)?, json)?;
            }
            Ok(0)
        }
        Command::List { json } => {
            emit(&shipped::listing(), json)?;
            Ok(0)
        }
        Command::Show { name } => {
            print!("{}", shipped::annotated(shipped::find_or_suggest(&name)?, None));
            Ok(0)
        }
        Command::New { file, from } => {
            let s = shipped::write_new(&file, &from)?;
            println!("wrote {} (from {}); run it with: gdlab train {}", file.display(), shipped::short_name(s), file.display());
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
