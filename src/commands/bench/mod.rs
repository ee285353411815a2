//! `gdlab bench`: fixed workloads through the same training loop `gdlab train` uses, timed in
//! the release build. Speed lives here, never in timed tests.
//!
//! W1 linear regression, X 65536 x 16, MSE, full batch, lr 0.1, 200 steps.
//! W2 logistic regression, X 65536 x 16, sigmoid + BCE, full batch, lr 0.5, 200 steps.
//! W3 64 -> 128 (sigmoid) -> 1 (sigmoid) net, X 8192 x 64, BCE, batch 64, lr 0.5, 3 epochs.
//! scaling: W1 at n = 2^14 .. 2^20, time per step and peak resident memory, each size in a
//! fresh `gdlab bench --workload W1 --rows N` process (peak memory is per process).
//!
//! W1 and W2 generate X straight into the f32 buffer that becomes the device tensor, in the
//! layout `gdlab train` gives a full batch on that backend (no f64 copy of X is ever made),
//! then train with `train::Trainer`, the loop `gdlab train` runs.

pub mod serve;

use crate::config::spec::{Architecture, Budget, Descent, ModelSpec, Schedule};
use crate::config::target::Target;
use crate::config::{self, Activation, BackendName, Init, LossKind};
use crate::error::GdlabError;
use crate::nn::loss::Objective;
use crate::nn::model::Network;
use crate::train::{self, DeviceData, Settings};
use burn::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Measurement {
    pub steps_per_s: f64,
    pub final_loss: f64,
    /// Threads the shards and burn's parallel kernels may use (rayon's pool).
    pub threads: usize,
    pub backend: String,
    pub steps: usize,
    /// Row shards per update (a full batch or a mini-batch).
    pub shards: usize,
    /// Rows of X.
    pub rows: usize,
    /// Peak resident memory of this process (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// Every repeat's steps/s (the median is reported above).
    pub repeats: Vec<f64>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ScalingRow {
    pub n: usize,
    pub ms_per_step: f64,
    /// Peak resident memory of the process that trained at this n (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// Size of X in f32, MiB.
    pub x_mib: f64,
}

/// A workload with its data already on the device.
struct Workload {
    x: Tensor<2>,
    y: Vec<f64>,
    model: ModelSpec,
    loss: LossKind,
    settings: Settings,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// X (n x d, standard normal) on the device, in the layout `train` gives a full batch on this
/// backend, and y from a seeded linear teacher (W1: y = X w + b + 0.01 noise; W2: y =
/// 1[X w + b > 0]).
fn linear_data(n: usize, d: usize, logistic: bool, seed: u64, column_major: bool, device: &Device) -> (Tensor<2>, Vec<f64>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
    let b = normal(&mut rng);
    let mut buf = vec![0f32; n * d];
    let mut y = Vec::with_capacity(n);
    let mut row = vec![0.0; d];
    for i in 0..n {
        row.iter_mut().for_each(|v| *v = normal(&mut rng));
        let z = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b;
        y.push(if logistic { f64::from(u8::from(z > 0.0)) } else { z + 0.01 * normal(&mut rng) });
        for (j, v) in row.iter().enumerate() {
            buf[if column_major { j * n + i } else { i * d + j }] = *v as f32;
        }
    }
    // The buffer moves into the device tensor (flex adopts it without a copy).
    let x = if column_major {
        Tensor::<2>::from_data(TensorData::new(buf, [d, n]), device).transpose()
    } else {
        Tensor::<2>::from_data(TensorData::new(buf, [n, d]), device)
    };
    (x, y)
}

fn settings(backend: BackendName, lr: f64, budget: Budget, schedule: Schedule) -> Settings {
    Settings {
        descent: Descent {
            lr,
            schedule,
            budget,
            early_stop: None,
            momentum: 0.0,
            weight_decay: 0.0,
            diverge_above: f64::INFINITY,
            diverge_factor: f64::INFINITY,
        },
        // Log only the start and the end: the benchmark times the update loop.
        log_every: usize::MAX,
        seed: 7,
        shards: None,
        backend,
    }
}

fn workload(name: &str, n: usize, backend: BackendName, device: &Device) -> Workload {
    match name {
        "W1" => {
            let (x, y) = linear_data(n, 16, false, 1, crate::train::shard::column_major(backend), device);
            Workload {
                x,
                y,
                model: ModelSpec::neuron(Activation::Identity, Init::Zeros),
                loss: LossKind::Mse,
                settings: settings(backend, 0.1, Budget::Steps(200), Schedule::FullBatch),
            }
        }
        "W2" => {
            let (x, y) = linear_data(n, 16, true, 2, crate::train::shard::column_major(backend), device);
            Workload {
                x,
                y,
                model: ModelSpec::neuron(Activation::Sigmoid, Init::Zeros),
                loss: LossKind::Bce,
                settings: settings(backend, 0.5, Budget::Steps(200), Schedule::FullBatch),
            }
        }
        _ => {
            // W3: labels from a random 64-32-1 teacher net; X row-major (mini-batches gather rows).
            let mut rng = ChaCha8Rng::seed_from_u64(3);
            let (n, d, h) = (8192, 64, 32);
            let w1: Vec<f64> = (0..d * h).map(|_| normal(&mut rng) / (d as f64).sqrt()).collect();
            let w2: Vec<f64> = (0..h).map(|_| normal(&mut rng)).collect();
            let mut x = Vec::with_capacity(n * d);
            let mut y = Vec::with_capacity(n);
            for _ in 0..n {
                let row: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
                let hidden: Vec<f64> = (0..h).map(|j| (0..d).map(|i| row[i] * w1[i * h + j]).sum::<f64>().tanh()).collect();
                y.push(f64::from(u8::from(hidden.iter().zip(&w2).map(|(a, b)| a * b).sum::<f64>() > 0.0)));
                x.extend(row);
            }
            let model = ModelSpec {
                shape: Architecture::Mlp {
                    layers: vec![64, 128, 1],
                    hidden: Activation::Sigmoid,
                    output: Activation::Sigmoid,
                    start: None,
                },
                bias: true,
                init: Init::Xavier,
                scale: 1.0,
            };
            let x = crate::backend::upload(&x, [n, d], device);
            Workload {
                x,
                y,
                model,
                loss: LossKind::Bce,
                settings: settings(backend, 0.5, Budget::Epochs(3), Schedule::MiniBatch { size: 64 }),
            }
        }
    }
}

/// Runs a workload once: (seconds, steps, final loss, shards per update).
fn run_once(w: &Workload, device: &Device) -> Result<(f64, usize, f64, usize), GdlabError> {
    let (n, d) = (w.x.dims()[0], w.x.dims()[1]);
    let names: Vec<String> = (1..=d).map(|i| format!("x{i}")).collect();
    let model = Network::new(&w.model, d, 1, &names, 0, device)?;
    let shards = train::update_shards(&w.settings, n, model.num_params());
    let objective = Objective::new(w.loss, w.model.output(), 1)?;
    let data = DeviceData::from_parts(w.x.clone(), &w.y, 1, &objective, device);
    let never = AtomicBool::new(false);
    let start = Instant::now();
    let out = train::Trainer::new(model, &objective, data, None, &w.settings, device).run_collecting(&never, &mut |_| {});
    let secs = start.elapsed().as_secs_f64();
    Ok((secs, out.steps, out.records.last().map_or(f64::NAN, |r| r.loss), shards))
}

/// `rows`: X's rows for W1/W2 (65536 is the fixed workload; scaling varies it).
pub fn measure(name: &str, target: &Target, repeat: usize, rows: usize, shards: Option<usize>) -> Result<Measurement, GdlabError> {
    let backend = target.name();
    let device = crate::backend::device(target, config::DType::F32)?;
    let mut w = workload(name, rows, backend, &device);
    w.settings.shards = shards;
    // Warm-up: one run, not counted (first-touch allocations, kernel caches).
    run_once(&w, &device)?;
    let mut rates = Vec::new();
    let mut last = (0, f64::NAN, 1);
    for _ in 0..repeat.max(1) {
        let (secs, steps, loss, shards) = run_once(&w, &device)?;
        rates.push(steps as f64 / secs);
        last = (steps, loss, shards);
    }
    Ok(Measurement {
        steps_per_s: crate::stats::median(rates.clone()),
        final_loss: last.1,
        threads: rayon::current_num_threads(),
        backend: target.describe(),
        steps: last.0,
        shards: last.2,
        rows: w.x.dims()[0],
        peak_rss_mib: peak_rss_mib(),
        repeats: rates,
    })
}

fn peak_rss_mib() -> f64 {
    crate::train::memory::peak_rss_mib().unwrap_or(f64::NAN)
}

/// W1 at n = 2^14 .. 2^20, each in a fresh process of this binary (so each peak is its own).
pub fn scaling(target: &Target, repeat: usize, shards: Option<usize>) -> Result<Vec<ScalingRow>, GdlabError> {
    let exe =
        std::env::current_exe().map_err(|e| GdlabError::Input(format!("cannot find the gdlab binary to run the scaling sizes: {e}")))?;
    let mut rows = Vec::new();
    for p in 14..=20 {
        let n = 1usize << p;
        let out = std::process::Command::new(&exe)
            .args(["bench", "--workload", "W1", "--json"])
            .args(target_args(target))
            .args(["--repeat", &repeat.to_string(), "--rows", &n.to_string()])
            .args(shards.map(|s| format!("--shards={s}")))
            .output()
            .map_err(|e| GdlabError::Input(format!("cannot run {}: {e}", exe.display())))?;
        let parsed: Option<Measurement> =
            serde_json::from_slice::<serde_json::Value>(&out.stdout).ok().and_then(|v| serde_json::from_value(v.get("W1")?.clone()).ok());
        let Some(r) = parsed.filter(|_| out.status.success()) else {
            return Err(GdlabError::Input(format!(
                "scaling at n = {n}: the child bench failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        };
        rows.push(ScalingRow {
            n,
            ms_per_step: 1e3 / r.steps_per_s,
            peak_rss_mib: r.peak_rss_mib,
            x_mib: (n * 16 * 4) as f64 / (1 << 20) as f64,
        });
    }
    Ok(rows)
}

/// The `--backend`, `--device` and `--url` arguments that name `target` to a child bench.
fn target_args(target: &Target) -> Vec<String> {
    let mut args = vec!["--backend".to_string(), config::name(&target.name())];
    match target {
        Target::Flex | Target::Ndarray => {}
        Target::Wgpu(a) => args.extend(["--device".into(), a.describe()]),
        Target::Cuda(i) => args.extend(["--device".into(), i.to_string()]),
        Target::Remote(r) => {
            args.extend(["--device".into(), r.index.to_string(), "--url".into(), r.url.clone(), "--token-env".into(), r.token_env.clone()])
        }
    }
    args
}

/// One entry of `gdlab bench`'s report.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Entry {
    Workload(Measurement),
    Scaling(Vec<ScalingRow>),
}

/// `gdlab bench`'s result: JSON is one object keyed by workload ("W1", ..., "scaling").
#[derive(Debug, Clone)]
pub struct Report {
    pub repeat: usize,
    pub entries: Vec<(String, Entry)>,
}

impl Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.entries.len()))?;
        for (k, v) in &self.entries {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (name, e) in &self.entries {
            match e {
                Entry::Scaling(rows) => {
                    writeln!(f, "scaling (W1, 200 steps, median of {}, one process per n):", self.repeat)?;
                    for r in rows {
                        writeln!(
                            f,
                            "  n = {:>8}  {:>8.3} ms/step  {:>5.2} ns/row  peak RSS {:>6.1} MiB = {:.2} x X in f32 ({:.1} MiB)",
                            r.n,
                            r.ms_per_step,
                            r.ms_per_step * 1e6 / r.n as f64,
                            r.peak_rss_mib,
                            r.peak_rss_mib / r.x_mib,
                            r.x_mib
                        )?;
                    }
                }
                Entry::Workload(r) => writeln!(
                    f,
                    "{name}: {:>9.1} steps/s (median of {}), final loss {:.6e}, {} threads, {}, peak RSS {:.1} MiB",
                    r.steps_per_s,
                    r.repeats.len(),
                    r.final_loss,
                    r.threads,
                    r.backend,
                    r.peak_rss_mib
                )?,
            }
        }
        Ok(())
    }
}

/// The workloads `--workload` names: one of W1, W2, W3, scaling, or all of them.
pub const WORKLOADS: [&str; 4] = ["W1", "W2", "W3", "scaling"];

/// What `gdlab bench --workload` names: a fixed workload, all of them, or the live lab under
/// load (`bench::serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum WorkloadName {
    #[value(name = "W1", alias = "w1")]
    W1,
    #[value(name = "W2", alias = "w2")]
    W2,
    #[value(name = "W3", alias = "w3")]
    W3,
    Scaling,
    All,
    Serve,
}

impl WorkloadName {
    /// The fixed workloads it names (none for `serve`).
    fn names(self) -> Vec<&'static str> {
        match self {
            WorkloadName::W1 => vec!["W1"],
            WorkloadName::W2 => vec!["W2"],
            WorkloadName::W3 => vec!["W3"],
            WorkloadName::Scaling => vec!["scaling"],
            WorkloadName::All => WORKLOADS.to_vec(),
            WorkloadName::Serve => Vec::new(),
        }
    }
}

/// `gdlab bench`: measures `workload` (one of the fixed ones, or all).
pub fn run(workload: WorkloadName, target: &Target, repeat: usize, rows: usize, shards: Option<usize>) -> Result<Report, GdlabError> {
    if rows == 0 || shards == Some(0) {
        return Err(GdlabError::Input("--rows and --shards must be at least 1".into()));
    }
    let names = workload.names();
    if names.is_empty() {
        return Err(GdlabError::Input("--workload serve is measured by the live lab's load client, not here".into()));
    }
    let mut entries = Vec::new();
    for name in names {
        let e = if name == "scaling" {
            Entry::Scaling(scaling(target, repeat, shards)?)
        } else {
            Entry::Workload(measure(name, target, repeat, rows, shards)?)
        };
        entries.push((name.to_string(), e));
    }
    Ok(Report { repeat, entries })
}
