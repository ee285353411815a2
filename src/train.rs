//! The gradient-descent loop on burn autodiff, written out so every step can be observed.
//!
//! Row k of the record stream is the state *after k updates*: step 0 is the loss at the
//! starting parameters. Full batch: one evaluation per `log_every` steps. Mini-batches: one
//! per `log_every` epochs, evaluated on the whole training set. Records are plain data; the
//! CSV writer, the progress bar and the plots all read them.

use crate::config::BackendName;
use crate::data::Dataset;
use crate::loss::{Objective, Targets};
use crate::gradient::params;
use crate::gradient::taylor::dot;
use crate::model::Network;
use crate::shard;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, SgdConfig};
use burn::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

/// Models with at most this many scalar parameters get one metrics column per parameter.
pub const MAX_PARAM_COLUMNS: usize = 8;

/// One evaluation of the model during training.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// Updates applied so far.
    pub step: usize,
    /// Completed passes over the training rows.
    pub epoch: usize,
    /// Mean training loss at the current parameters.
    pub loss: f64,
    pub val_loss: Option<f64>,
    pub accuracy: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// Euclidean norm of the full-training-set gradient at the current parameters (None where
    /// not computed: the perceptron rule, a mini-batch that diverged).
    pub grad_norm: Option<f64>,
    pub lr: f64,
    /// Parameter values (weights, then bias) when there are few enough; else empty.
    pub params: Vec<f64>,
    /// Full batch only: the first-order prediction grad C . dW of the update that led to this
    /// row (for plain SGD, -lr |grad C|^2), and the actual change C(W + dW) - C(W).
    pub predicted_dc: Option<f64>,
    pub actual_dc: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StopReason {
    Completed,
    Converged,
    Diverged,
    Interrupted,
}

/// Loop settings, resolved from `[optimizer]` and `[output]`.
#[derive(Debug, Clone)]
pub struct Settings {
    pub lr: f64,
    pub batch_size: Option<usize>,
    pub steps: Option<usize>,
    pub epochs: Option<usize>,
    pub tol: Option<f64>,
    pub patience: usize,
    pub momentum: f64,
    pub weight_decay: f64,
    pub diverge_above: f64,
    pub log_every: usize,
    pub seed: u64,
    /// Row shards per batch (None: `shard::auto_shards`).
    pub shards: Option<usize>,
    /// The backend, for the automatic shard count and X's layout.
    pub backend: BackendName,
}

/// How the parameters were updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    GradientDescent,
    Perceptron,
}

pub struct Outcome {
    pub rule: Rule,
    pub model: Network,
    pub records: Vec<Record>,
    pub stop: StopReason,
    pub steps: usize,
    /// Set when a diverged run's loss first left the finite range / passed the ceiling.
    pub diverged_at: Option<usize>,
}

/// Data uploaded to the device once, sliced there per batch or shard.
pub struct DeviceData {
    /// [n, d]. For full-batch training a transposed view of a column-major upload: a
    /// one-output layer's forward and weight gradient are then column sweeps over X (axpy and
    /// dot products over n) instead of n dot products of length d (measured W1: 1.2x faster).
    x: Tensor<2>,
    y: Targets,
    /// Host targets, kept only where accuracy is reported.
    host_y: Option<Vec<f64>>,
}

impl DeviceData {
    /// Uploads `d`: column-major for full-batch training, row-major for mini-batches (rows
    /// are gathered per batch).
    pub fn new(d: &Dataset, obj: &Objective, device: &Device, column_major: bool) -> Self {
        let (n, k) = (d.len(), d.dims());
        let x = if column_major {
            crate::backend::upload_column_major(&d.x, [n, k], device)
        } else {
            crate::backend::upload(&d.x, [n, k], device)
        };
        Self::from_parts(x, &d.y, d.outputs(), obj, device)
    }

    /// Data whose X is already on the device ([n, d]); `y` is row-major n x `outputs`.
    pub fn from_parts(x: Tensor<2>, y: &[f64], outputs: usize, obj: &Objective, device: &Device) -> Self {
        Self { x, y: Targets::new(y, outputs, obj.kind, device), host_y: obj.reports_accuracy.then(|| y.to_vec()) }
    }

    pub fn rows(&self) -> usize {
        self.x.dims()[0]
    }
}

struct Evaluation {
    loss: f64,
    /// The model's output per shard, kept on the device: accuracy reads it only when a row is
    /// written.
    z: Vec<Tensor<2>>,
}

impl Evaluation {
    fn accuracy(&self, obj: &Objective, data: &DeviceData) -> Option<f64> {
        obj.reports_accuracy.then(|| {
            let width = self.z[0].dims()[1];
            let z: Vec<f64> =
                self.z.iter().flat_map(|z| z.clone().try_into_vec_as::<f64>().expect("readable z")).collect();
            obj.accuracy(&z, data.host_y.as_deref().expect("kept where accuracy is reported"), width)
        })
    }
}

/// Loss (and gradient, with `backward`) over all of `data`.
fn evaluate(model: &Network, obj: &Objective, data: &DeviceData, shards: usize, backward: bool) -> (Evaluation, Option<GradientsParams>) {
    let p = shard::pass(model, obj, &data.x, &data.y, shards, backward);
    (Evaluation { loss: p.loss, z: p.z }, p.grads)
}

/// Runs plain (or momentum) SGD from `model` until a stop condition, calling `observe` on
/// every record as it is made. `interrupt` is polled every step (Ctrl-C).
#[allow(clippy::too_many_arguments)]
pub fn train(
    model: Network,
    obj: &Objective,
    train: &Dataset,
    validation: Option<&Dataset>,
    s: &Settings,
    device: &Device,
    interrupt: &AtomicBool,
    observe: &mut (dyn FnMut(&Record) + Send),
) -> Outcome {
    let column_major = shard::column_major(s.backend) && s.batch_size.is_none_or(|b| b >= train.len());
    let data = DeviceData::new(train, obj, device, column_major);
    let val = validation.map(|v| DeviceData::new(v, obj, device, column_major));
    train_on(model, obj, data, val, s, device, interrupt, observe)
}

/// Row shards of each update on `rows` training rows: `s.shards`, else automatic for a batch
/// (the full set, or a mini-batch) of this model.
pub fn update_shards(s: &Settings, rows: usize, params: usize) -> usize {
    let batch = s.batch_size.unwrap_or(rows).min(rows);
    s.shards.unwrap_or_else(|| shard::auto_shards(s.backend, batch, params))
}

/// `train` on data already on the device.
///
/// When batches are split, the loop runs on a worker of rayon's pool (the calling thread
/// waits): the shards of a step then start from a worker, which runs one itself and wakes one
/// other, instead of the caller waking the pool and sleeping on every step (measured W1, 2
/// shards: about 1.2x faster). Unsplit batches stay on the calling thread, where rayon's idle
/// workers do not compete with the kernels' own threads.
#[allow(clippy::too_many_arguments)]
pub fn train_on(
    model: Network,
    obj: &Objective,
    data: DeviceData,
    val: Option<DeviceData>,
    s: &Settings,
    device: &Device,
    interrupt: &AtomicBool,
    observe: &mut (dyn FnMut(&Record) + Send),
) -> Outcome {
    if update_shards(s, data.rows(), model.num_params()) > 1 {
        rayon::scope(|_| descend(model, obj, data, val, s, device, interrupt, observe))
    } else {
        descend(model, obj, data, val, s, device, interrupt, observe)
    }
}

#[allow(clippy::too_many_arguments)]
fn descend(
    mut model: Network,
    obj: &Objective,
    data: DeviceData,
    val: Option<DeviceData>,
    s: &Settings,
    device: &Device,
    interrupt: &AtomicBool,
    observe: &mut (dyn FnMut(&Record) + Send),
) -> Outcome {
    let n = data.rows();
    let batch = s.batch_size.unwrap_or(n).min(n);
    let per_epoch = n.div_ceil(batch);
    let max_steps = match (s.steps, s.epochs) {
        (Some(k), _) => k,
        (None, Some(e)) => e * per_epoch,
        (None, None) => crate::config::DEFAULT_STEPS,
    };
    let n_params = model.num_params();
    let shards = |rows: usize| s.shards.unwrap_or_else(|| shard::auto_shards(s.backend, rows, n_params));
    let few_params = n_params <= MAX_PARAM_COLUMNS;

    let mut sgd = SgdConfig::new();
    if s.momentum > 0.0 {
        // dampening 0: v <- m v + g, the textbook heavy-ball form.
        sgd = sgd.with_momentum(Some(MomentumConfig::new().with_momentum(s.momentum).with_dampening(0.0)));
    }
    if s.weight_decay > 0.0 {
        sgd = sgd.with_weight_decay(Some(WeightDecayConfig::new(s.weight_decay as f32)));
    }
    let mut optim = sgd.init();

    let mut rng = ChaCha8Rng::seed_from_u64(s.seed ^ 0x0BA7_C4E5);
    let mut order: Vec<usize> = (0..n).collect();
    let mut records: Vec<Record> = Vec::new();
    let mut stall = 0usize;
    let mut step = 0usize;
    let mut diverged_at = None;
    let diverged = |loss: f64| !loss.is_finite() || loss > s.diverge_above;
    let will_log = |k: usize| k == 0 || k == max_steps || (k.is_multiple_of(per_epoch) && (k / per_epoch).is_multiple_of(s.log_every));
    // (gradient, parameters, loss) before an update whose row will be logged: the Taylor check.
    let mut before: Option<(Vec<f64>, Vec<f64>, f64)> = None;

    let stop = loop {
        let epoch = step / per_epoch;
        let log_now = will_log(step);
        let interrupted = interrupt.load(Ordering::Relaxed);

        // Full batch: this forward/backward is also the update's. Mini-batch: only at logs.
        let mut full_grads = None;
        if log_now || per_epoch == 1 || interrupted {
            let (ev, grads) = evaluate(&model, obj, &data, shards(n), true);
            let grads = grads.expect("backward ran");
            let bad = diverged(ev.loss);
            let taylor_next = per_epoch == 1 && will_log(step + 1);
            let flat_grads = (log_now || bad || interrupted || taylor_next).then(|| params::gradients_by_id(&model, &grads));
            let flat_params = (taylor_next || (per_epoch == 1 && before.is_some())).then(|| params::values(&model));
            let (predicted_dc, actual_dc) = match (before.take(), &flat_params) {
                (Some((g, w, c)), Some(now)) => {
                    let dw: Vec<f64> = now.iter().zip(&w).map(|(a, b)| a - b).collect();
                    (Some(dot(&g, &dw)), Some(ev.loss - c))
                }
                _ => (None, None),
            };
            if log_now || bad || interrupted {
                let (val_loss, val_accuracy) = match &val {
                    Some(v) => {
                        let (e, _) = evaluate(&model, obj, v, shards(v.rows()), false);
                        (Some(e.loss), e.accuracy(obj, v))
                    }
                    None => (None, None),
                };
                let r = Record {
                    step,
                    epoch,
                    loss: ev.loss,
                    val_loss,
                    accuracy: ev.accuracy(obj, &data),
                    val_accuracy,
                    grad_norm: flat_grads.as_deref().map(|g| dot(g, g).sqrt()),
                    lr: s.lr,
                    params: if few_params { params::values(&model) } else { Vec::new() },
                    predicted_dc,
                    actual_dc,
                };
                if let (Some(tol), Some(prev)) = (s.tol, records.last()) {
                    stall = if prev.loss - r.loss < tol { stall + 1 } else { 0 };
                }
                observe(&r);
                records.push(r);
            }
            if bad {
                diverged_at = Some(step);
                break StopReason::Diverged;
            }
            if let (true, Some(g), Some(w)) = (taylor_next, flat_grads, flat_params) {
                before = Some((g, w, ev.loss));
            }
            full_grads = Some(grads);
        }
        if interrupted {
            break StopReason::Interrupted;
        }
        if step >= max_steps {
            break StopReason::Completed;
        }
        if stall >= s.patience {
            break StopReason::Converged;
        }

        let grads = if per_epoch == 1 {
            full_grads.expect("computed above for full batch")
        } else {
            let within = step % per_epoch;
            if within == 0 {
                order.shuffle(&mut rng); // a fresh order every epoch, from the seed
            }
            let rows: Vec<i64> = order[within * batch..((within + 1) * batch).min(n)]
                .iter()
                .map(|&i| i as i64)
                .collect();
            let len = rows.len();
            let idx = Tensor::<1, Int>::from_data(TensorData::new(rows, [len]), device);
            let x = data.x.clone().select(0, idx.clone());
            let p = shard::pass(&model, obj, &x, &data.y.select(&idx), shards(len), true);
            if diverged(p.loss) {
                diverged_at = Some(step);
                let (ev, _) = evaluate(&model, obj, &data, shards(n), false);
                let r = Record {
                    step,
                    epoch,
                    loss: ev.loss,
                    val_loss: None,
                    accuracy: ev.accuracy(obj, &data),
                    val_accuracy: None,
                    grad_norm: None,
                    lr: s.lr,
                    params: if few_params { params::values(&model) } else { Vec::new() },
                    predicted_dc: None,
                    actual_dc: None,
                };
                if records.last().map(|r| r.step) != Some(step) {
                    observe(&r);
                    records.push(r);
                }
                break StopReason::Diverged;
            }
            p.grads.expect("backward ran")
        };
        model = optim.step(s.lr, model, grads);
        step += 1;
    };

    Outcome {
        rule: Rule::GradientDescent,
        model,
        records,
        stop,
        steps: step,
        diverged_at,
    }
}
