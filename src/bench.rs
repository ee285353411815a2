//! `gdlab bench`: fixed workloads through the same training loop `gdlab train` uses, timed in
//! the release build. Speed lives here, never in timed tests.
//!
//! W1 linear regression, X 65536 x 16, MSE, full batch, lr 0.1, 200 steps.
//! W2 logistic regression, X 65536 x 16, sigmoid + BCE, full batch, lr 0.5, 200 steps.
//! W3 64 -> 128 (sigmoid) -> 1 (sigmoid) net, X 8192 x 64, BCE, batch 64, lr 0.5, 3 epochs.
//! scaling: W1 at n = 2^14 .. 2^20, time per step and the process's peak resident memory.

use crate::config::{self, Activation, BackendName, Init, LossKind, ModelKind};
use crate::data::Dataset;
use crate::error::GdlabError;
use crate::loss::Objective;
use crate::model::Network;
use crate::train::{self, Settings};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use serde::Serialize;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

#[derive(Debug, Clone, Serialize)]
pub struct Result {
    pub steps_per_s: f64,
    pub final_loss: f64,
    pub threads: usize,
    pub backend: String,
    pub steps: usize,
    /// Every repeat's steps/s (the median is reported above).
    pub repeats: Vec<f64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ScalingRow {
    pub n: usize,
    pub ms_per_step: f64,
    /// Peak resident memory of the process so far (VmHWM), MiB.
    pub peak_rss_mib: f64,
    /// Size of X in f32, MiB.
    pub x_mib: f64,
}

struct Workload {
    data: Dataset,
    model: config::Model,
    loss: LossKind,
    settings: Settings,
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    StandardNormal.sample(rng)
}

/// X (n x d, standard normal) and y from a seeded teacher.
fn linear_data(n: usize, d: usize, logistic: bool, seed: u64) -> Dataset {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let w: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
    let b = normal(&mut rng);
    let mut x = Vec::with_capacity(n * d);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let row: Vec<f64> = (0..d).map(|_| normal(&mut rng)).collect();
        let z = row.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() + b;
        y.push(if logistic { f64::from(u8::from(z > 0.0)) } else { z + 0.01 * normal(&mut rng) });
        x.extend(row);
    }
    dataset(x, y, n, d)
}

fn dataset(x: Vec<f64>, y: Vec<f64>, n: usize, d: usize) -> Dataset {
    Dataset {
        feature_names: (1..=d).map(|i| format!("x{i}")).collect(),
        target_names: vec!["y".into()],
        x,
        y,
        origin: (1..=n).map(|i| format!("row {i}")).collect(),
        name: "bench".into(),
    }
}

fn settings(lr: f64, steps: Option<usize>, epochs: Option<usize>, batch: Option<usize>) -> Settings {
    Settings {
        lr,
        batch_size: batch,
        steps,
        epochs,
        tol: None,
        patience: 1,
        momentum: 0.0,
        weight_decay: 0.0,
        diverge_above: f64::INFINITY,
        // Log only the start and the end: the benchmark times the update loop.
        log_every: usize::MAX,
        seed: 7,
        shards: None,
    }
}

fn neuron(activation: Activation) -> config::Model {
    config::Model { activation, init: Some(Init::Zeros), ..config::Model::default() }
}

fn workload(name: &str, n: usize) -> Workload {
    match name {
        "W1" => Workload { data: linear_data(n, 16, false, 1), model: neuron(Activation::Identity), loss: LossKind::Mse, settings: settings(0.1, Some(200), None, None) },
        "W2" => Workload { data: linear_data(n, 16, true, 2), model: neuron(Activation::Sigmoid), loss: LossKind::Bce, settings: settings(0.5, Some(200), None, None) },
        _ => {
            // W3: labels from a random 64-32-1 teacher net.
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
            let model = config::Model {
                kind: ModelKind::Mlp,
                activation: Activation::Sigmoid,
                layers: Some(vec![64, 128, 1]),
                output_activation: Some(Activation::Sigmoid),
                init: Some(Init::Xavier),
                ..config::Model::default()
            };
            Workload { data: dataset(x, y, n, d), model, loss: LossKind::Bce, settings: settings(0.5, None, Some(3), Some(64)) }
        }
    }
}

/// Runs a workload once: (seconds, steps, final loss).
fn run_once(w: &Workload, backend: BackendName) -> std::result::Result<(f64, usize, f64), GdlabError> {
    let device = crate::backend::device(backend, config::DType::F32)?;
    let names = w.data.feature_names.clone();
    let model = Network::new(&w.model, w.data.dims(), 1, &names, 0, &device)?;
    let objective = Objective::new(w.loss, w.model.output(), 1, &device)?;
    let never = AtomicBool::new(false);
    let start = Instant::now();
    let out = train::train(model, &objective, &w.data, None, &w.settings, &device, &never, &mut |_| {});
    let secs = start.elapsed().as_secs_f64();
    Ok((secs, out.steps, out.records.last().map_or(f64::NAN, |r| r.loss)))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn threads() -> usize {
    std::env::var("RAYON_NUM_THREADS").ok().and_then(|v| v.parse().ok()).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

pub fn measure(name: &str, backend: BackendName, repeat: usize) -> std::result::Result<Result, GdlabError> {
    let w = workload(name, 65536);
    // Warm-up: one run, not counted (first-touch allocations, kernel caches).
    run_once(&w, backend)?;
    let mut rates = Vec::new();
    let mut last = (0, f64::NAN);
    for _ in 0..repeat.max(1) {
        let (secs, steps, loss) = run_once(&w, backend)?;
        rates.push(steps as f64 / secs);
        last = (steps, loss);
    }
    Ok(Result {
        steps_per_s: median(rates.clone()),
        final_loss: last.1,
        threads: threads(),
        backend: format!("{backend:?}").to_lowercase(),
        steps: last.0,
        repeats: rates,
    })
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// W1 at growing n (peak memory is monotone, so the sizes go up).
pub fn scaling(backend: BackendName) -> std::result::Result<Vec<ScalingRow>, GdlabError> {
    let mut rows = Vec::new();
    for p in 14..=20 {
        let n = 1usize << p;
        let mut w = workload("W1", n);
        w.settings.steps = Some(50);
        run_once(&w, backend)?;
        let (secs, steps, _) = run_once(&w, backend)?;
        rows.push(ScalingRow { n, ms_per_step: 1e3 * secs / steps as f64, peak_rss_mib: peak_rss_mib(), x_mib: (n * 16 * 4) as f64 / (1 << 20) as f64 });
    }
    Ok(rows)
}
