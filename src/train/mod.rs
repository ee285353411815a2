//! The gradient-descent loop on burn autodiff, written out so every step can be observed.
//!
//! Row k of the record stream is the state *after k updates*: step 0 is the loss at the
//! starting parameters. Full batch: one evaluation per `log_every` steps. Mini-batches: one
//! per `log_every` epochs, evaluated on the whole training set. Records are plain data; the
//! CSV writer, the progress bar and the plots all read them.

pub mod experiment;
pub mod memory;
pub mod perceptron;
pub mod shard;

use crate::config::BackendName;
use crate::config::spec::{Descent, Spec};
use crate::data::Dataset;
use crate::gradient::params;
use crate::gradient::taylor::dot;
use crate::nn::loss::{Objective, Targets};
use crate::nn::model::Network;
use burn::optim::decay::WeightDecayConfig;
use burn::optim::momentum::MomentumConfig;
use burn::optim::{GradientsParams, ModuleOptimizer, SgdConfig};
use burn::prelude::*;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::GdlabError;
use burn::tensor::Bytes;

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

impl StopReason {
    /// The word used in summaries and tables (the same as in summary.json).
    pub fn word(self) -> &'static str {
        match self {
            StopReason::Completed => "completed",
            StopReason::Converged => "converged",
            StopReason::Diverged => "diverged",
            StopReason::Interrupted => "interrupted",
        }
    }
}

/// Loop settings, resolved from `[optimizer]` and `[output]`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The update rule, schedule, budget and stop rules.
    pub descent: Descent,
    pub log_every: usize,
    pub seed: u64,
    /// Row shards per batch (None: `shard::auto_shards`).
    pub shards: Option<usize>,
    /// The backend, for the automatic shard count and X's layout.
    pub backend: BackendName,
}

impl Settings {
    /// The loop settings of a typed experiment.
    pub fn new(spec: &Spec, log_every: usize) -> Self {
        Self { descent: spec.descent.clone(), log_every, seed: spec.seed, shards: spec.backend.shards, backend: spec.backend.name() }
    }

    /// Updates per epoch on `rows` training rows.
    pub fn per_epoch(&self, rows: usize) -> usize {
        self.descent.schedule.per_epoch(rows)
    }

    /// The update budget in steps.
    pub fn max_steps(&self, rows: usize) -> usize {
        self.descent.budget.steps(self.per_epoch(rows))
    }
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
        // `host_y` is kept exactly where accuracy is reported.
        let y = data.host_y.as_deref()?;
        let width = self.z[0].dims()[1];
        let z: Vec<f64> = self.z.iter().flat_map(|z| z.clone().try_into_vec_as::<f64>().expect("readable z")).collect();
        Some(obj.accuracy(&z, y, width))
    }
}

/// Loss (and gradient, with `backward`) over all of `data`.
fn evaluate(model: &Network, obj: &Objective, data: &DeviceData, shards: usize, backward: bool) -> (Evaluation, Option<GradientsParams>) {
    let p = shard::pass(model, obj, &data.x, &data.y, shards, backward);
    (Evaluation { loss: p.loss, z: p.z }, p.grads)
}

/// Row shards of each update on `rows` training rows: `s.shards`, else automatic for a batch
/// (the full set, or a mini-batch) of this model.
pub fn update_shards(s: &Settings, rows: usize, params: usize) -> usize {
    let batch = s.descent.schedule.batch_rows(rows);
    s.shards.unwrap_or_else(|| shard::auto_shards(s.backend, batch, params))
}

/// What a trainer reports while it runs. A closure `FnMut(&Record)` is an observer that only
/// sees records; the run folder writer also takes checkpoints.
pub trait Observer: Send {
    fn record(&mut self, r: &Record) -> Result<(), GdlabError>;
    /// Checkpoint every this many updates (and at the start and the end); None: never.
    fn checkpoint_every(&self) -> Option<usize> {
        None
    }
    fn checkpoint(&mut self, _c: &Checkpoint) -> Result<(), GdlabError> {
        Ok(())
    }
}

impl<F: FnMut(&Record) + Send> Observer for F {
    fn record(&mut self, r: &Record) -> Result<(), GdlabError> {
        self(r);
        Ok(())
    }
}

/// The first-order (Taylor) probe: gradient, parameters and loss before an update whose row
/// will be logged, to compare grad C . dW with the actual change on that row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaylorProbe {
    #[serde(with = "crate::nonfinite")]
    pub grad: Vec<f64>,
    #[serde(with = "crate::nonfinite")]
    pub params: Vec<f64>,
    #[serde(with = "crate::nonfinite")]
    pub loss: f64,
}

/// The loop's own state at the top of an iteration (before the evaluation of `step`): with the
/// parameters, the optimiser state and the batch order, everything the next update depends on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoopState {
    /// Updates applied so far.
    pub step: usize,
    /// Logged rows in a row whose loss fell by less than `tol`.
    pub stall: usize,
    /// The loss of the last logged row (the early-stop rule compares with it).
    #[serde(with = "crate::nonfinite")]
    pub last_loss: Option<f64>,
    /// The full-set loss at step 0 (the relative divergence rule compares with it).
    #[serde(default, with = "crate::nonfinite")]
    pub start_loss: Option<f64>,
    pub probe: Option<TaylorProbe>,
}

/// The mini-batch order: a permutation of the training rows, reshuffled at each epoch's start
/// by a generator seeded from the experiment.
struct BatchPlan {
    rows: usize,
    batch: usize,
    per_epoch: usize,
    order: Vec<usize>,
    rng: ChaCha8Rng,
}

impl BatchPlan {
    fn new(rows: usize, s: &Settings) -> Self {
        let batch = s.descent.schedule.batch_rows(rows).max(1);
        Self { rows, batch, per_epoch: s.per_epoch(rows), order: (0..rows).collect(), rng: ChaCha8Rng::seed_from_u64(s.seed ^ 0x0BA7_C4E5) }
    }

    /// The rows of update `step` (shuffling first at an epoch's start).
    fn batch(&mut self, step: usize) -> &[usize] {
        let within = step % self.per_epoch;
        if within == 0 {
            self.order.shuffle(&mut self.rng); // a fresh order every epoch, from the seed
        }
        &self.order[within * self.batch..((within + 1) * self.batch).min(self.rows)]
    }
}

/// Everything a resumed trainer needs, as written by `Trainer::checkpoint`. The model and
/// optimiser state are burnpack bytes; the mini-batch order and generator position are kept
/// only for mini-batch training.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    pub state: LoopState,
    /// Set when the run has stopped: the checkpoint is then the top of the stopping iteration.
    pub stop: Option<StopReason>,
    pub diverged_at: Option<usize>,
    pub model: Vec<u8>,
    /// burn's optimiser record (momentum); empty when the optimiser keeps no state.
    pub optimizer: Vec<u8>,
    pub order: Option<Vec<u32>>,
    /// ChaCha8 word position of the batch-order generator.
    pub rng_word_pos: u128,
}

/// The result of one call to `Trainer::step`.
pub struct Step {
    pub record: Option<Record>,
    pub stop: Option<StopReason>,
}

/// One gradient-descent run: the model, burn's optimiser and its state, the data on the
/// device, the batch plan, the step counter, the stop rule and the Taylor probe. `step`
/// advances one update; `run` loops with checkpoints.
pub struct Trainer<'o> {
    model: Network,
    optim: ModuleOptimizer,
    obj: &'o Objective,
    data: DeviceData,
    val: Option<DeviceData>,
    s: Settings,
    device: Device,
    plan: BatchPlan,
    state: LoopState,
    max_steps: usize,
    n_params: usize,
    /// Set once the run stopped, with the state at the top of the stopping iteration (what a
    /// final checkpoint stores, so resuming re-does that iteration exactly).
    stopped: Option<(StopReason, LoopState)>,
    diverged_at: Option<usize>,
}

impl<'o> Trainer<'o> {
    /// A trainer on host datasets (uploaded in the layout the backend runs fastest on).
    pub fn for_datasets(
        model: Network,
        obj: &'o Objective,
        train: &Dataset,
        validation: Option<&Dataset>,
        s: &Settings,
        device: &Device,
    ) -> Self {
        let column_major = shard::column_major(s.backend) && s.descent.schedule.batch_rows(train.len()) >= train.len();
        let data = DeviceData::new(train, obj, device, column_major);
        let val = validation.map(|v| DeviceData::new(v, obj, device, column_major));
        Self::new(model, obj, data, val, s, device)
    }

    pub fn new(model: Network, obj: &'o Objective, data: DeviceData, val: Option<DeviceData>, s: &Settings, device: &Device) -> Self {
        let n = data.rows();
        let mut sgd = SgdConfig::new();
        if s.descent.momentum > 0.0 {
            // dampening 0: v <- m v + g, the textbook heavy-ball form.
            sgd = sgd.with_momentum(Some(MomentumConfig::new().with_momentum(s.descent.momentum).with_dampening(0.0)));
        }
        if s.descent.weight_decay > 0.0 {
            sgd = sgd.with_weight_decay(Some(WeightDecayConfig::new(s.descent.weight_decay as f32)));
        }
        Self {
            n_params: model.num_params(),
            model,
            optim: sgd.init(),
            obj,
            plan: BatchPlan::new(n, s),
            max_steps: s.max_steps(n),
            data,
            val,
            s: s.clone(),
            device: device.clone(),
            state: LoopState { step: 0, stall: 0, last_loss: None, start_loss: None, probe: None },
            stopped: None,
            diverged_at: None,
        }
    }

    /// Continues from `c` (taken from a run of the same model, data and loss). The budget,
    /// learning rate and logging schedule are this trainer's settings, not the checkpoint's.
    pub fn restore(&mut self, c: &Checkpoint) -> Result<(), GdlabError> {
        let bad = |what: String| GdlabError::Runtime(format!("the checkpoint does not fit this run: {what}"));
        let model = self.model.clone().with_parameter_bytes(c.model.clone()).map_err(|e| bad(format!("parameters: {e}")))?;
        if !c.optimizer.is_empty() {
            self.optim = std::mem::replace(&mut self.optim, SgdConfig::new().init())
                .from_bytes(Bytes::from_bytes_vec(c.optimizer.clone()))
                .map_err(|e| bad(format!("optimiser state: {e}")))?;
        }
        match &c.order {
            Some(order) if order.len() == self.plan.rows => self.plan.order = order.iter().map(|&i| i as usize).collect(),
            Some(order) => return Err(bad(format!("{} rows in the batch order, the data has {}", order.len(), self.plan.rows))),
            None => {}
        }
        self.plan.rng.set_word_pos(c.rng_word_pos);
        self.model = model;
        self.state = c.state.clone();
        self.diverged_at = None;
        self.stopped = None;
        Ok(())
    }

    /// The checkpoint of this moment: the top of the next iteration, or, once stopped, the top
    /// of the stopping one.
    pub fn checkpoint(&self) -> Result<Checkpoint, GdlabError> {
        let model =
            self.model.clone().into_record().into_bytes().map_err(|e| GdlabError::Runtime(format!("cannot serialise the model: {e}")))?;
        let optimizer = if self.s.descent.momentum > 0.0 {
            self.optim.into_bytes().map_err(|e| GdlabError::Runtime(format!("cannot serialise the optimiser state: {e}")))?.to_vec()
        } else {
            Vec::new()
        };
        let (stop, state) = match &self.stopped {
            Some((reason, at)) => (Some(*reason), at.clone()),
            None => (None, self.state.clone()),
        };
        Ok(Checkpoint {
            state,
            stop,
            diverged_at: self.diverged_at,
            model: model.to_vec(),
            optimizer,
            order: (self.plan.per_epoch > 1).then(|| self.plan.order.iter().map(|&i| i as u32).collect()),
            rng_word_pos: self.plan.rng.get_word_pos(),
        })
    }

    /// Changes the learning rate from the next update on (the live lab's slider; `--resume`
    /// may change it too).
    pub fn set_lr(&mut self, lr: f64) {
        self.s.descent.lr = lr;
    }

    pub fn step_count(&self) -> usize {
        self.state.step
    }

    pub fn max_steps(&self) -> usize {
        self.max_steps
    }

    pub fn model(&self) -> &Network {
        &self.model
    }

    fn shards(&self, rows: usize) -> usize {
        self.s.shards.unwrap_or_else(|| shard::auto_shards(self.s.backend, rows, self.n_params))
    }

    fn will_log(&self, k: usize) -> bool {
        let per_epoch = self.plan.per_epoch;
        k == 0 || k == self.max_steps || (k.is_multiple_of(per_epoch) && (k / per_epoch).is_multiple_of(self.s.log_every))
    }

    /// Not finite, above the ceiling, or grown past `diverge_factor` times the start's loss.
    fn diverged(&self, loss: f64) -> bool {
        let d = &self.s.descent;
        !loss.is_finite() || loss > d.diverge_above || self.state.start_loss.is_some_and(|s| s > 0.0 && loss > d.diverge_factor * s)
    }

    fn params_column(&self) -> Vec<f64> {
        if self.n_params <= MAX_PARAM_COLUMNS { params::values(&self.model) } else { Vec::new() }
    }

    /// Logs `r` into the stop rule's state.
    fn note(&mut self, r: &Record) {
        if let (Some(rule), Some(prev)) = (self.s.descent.early_stop, self.state.last_loss) {
            self.state.stall = if prev - r.loss < rule.tol { self.state.stall + 1 } else { 0 };
        }
        self.state.last_loss = Some(r.loss);
    }

    fn stop(&mut self, reason: StopReason, top: LoopState) -> Step {
        self.stopped = Some((reason, top));
        Step { record: None, stop: Some(reason) }
    }

    /// The full-set loss and gradient at the current parameters. With `log` (or when the loss
    /// diverged) a metrics row is made; for full batches the Taylor probe is settled (the row's
    /// predicted and actual dC) and armed for the next logged update. Returns the row, the
    /// gradient, and whether the loss diverged.
    fn evaluate_full(&mut self, step: usize, log: bool) -> (Option<Record>, GradientsParams, bool) {
        let full_batch = self.plan.per_epoch == 1;
        let (ev, grads) = evaluate(&self.model, self.obj, &self.data, self.shards(self.data.rows()), true);
        let grads = grads.expect("backward ran");
        if step == 0 {
            self.state.start_loss = Some(ev.loss);
        }
        let bad = self.diverged(ev.loss);
        let taylor_next = full_batch && self.will_log(step + 1);
        let flat_grads = (log || bad || taylor_next).then(|| params::gradients_by_id(&self.model, &grads));
        let flat_params = (taylor_next || (full_batch && self.state.probe.is_some())).then(|| params::values(&self.model));
        let (predicted_dc, actual_dc) = match (self.state.probe.take(), &flat_params) {
            (Some(p), Some(now)) => {
                let dw: Vec<f64> = now.iter().zip(&p.params).map(|(a, b)| a - b).collect();
                (Some(dot(&p.grad, &dw)), Some(ev.loss - p.loss))
            }
            _ => (None, None),
        };
        let mut record = None;
        if log || bad {
            let (val_loss, val_accuracy) = match &self.val {
                Some(v) => {
                    let (e, _) = evaluate(&self.model, self.obj, v, self.shards(v.rows()), false);
                    (Some(e.loss), e.accuracy(self.obj, v))
                }
                None => (None, None),
            };
            let r = Record {
                step,
                epoch: step / self.plan.per_epoch,
                loss: ev.loss,
                val_loss,
                accuracy: ev.accuracy(self.obj, &self.data),
                val_accuracy,
                grad_norm: flat_grads.as_deref().map(|g| dot(g, g).sqrt()),
                lr: self.s.descent.lr,
                params: self.params_column(),
                predicted_dc,
                actual_dc,
            };
            self.note(&r);
            record = Some(r);
        }
        if let (false, true, Some(grad), Some(params)) = (bad, taylor_next, flat_grads, flat_params) {
            self.state.probe = Some(TaylorProbe { grad, params, loss: ev.loss });
        }
        (record, grads, bad)
    }

    /// The gradient of update `step` on its mini-batch; None when the batch's loss diverged.
    fn minibatch_gradient(&mut self, step: usize) -> Option<GradientsParams> {
        let rows: Vec<i64> = self.plan.batch(step).iter().map(|&i| i as i64).collect();
        let len = rows.len();
        let idx = Tensor::<1, Int>::from_data(TensorData::new(rows, [len]), &self.device);
        let x = self.data.x.clone().select(0, idx.clone());
        let p = shard::pass(&self.model, self.obj, &x, &self.data.y.select(&idx), self.shards(len), true);
        if self.diverged(p.loss) { None } else { p.grads }
    }

    /// A row for a mini-batch that diverged: the full-set loss, no gradient.
    fn record_without_gradient(&mut self, step: usize) -> Record {
        let (ev, _) = evaluate(&self.model, self.obj, &self.data, self.shards(self.data.rows()), false);
        let r = Record {
            step,
            epoch: step / self.plan.per_epoch,
            loss: ev.loss,
            val_loss: None,
            accuracy: ev.accuracy(self.obj, &self.data),
            val_accuracy: None,
            grad_norm: None,
            lr: self.s.descent.lr,
            params: self.params_column(),
            predicted_dc: None,
            actual_dc: None,
        };
        self.note(&r);
        r
    }

    /// One iteration: evaluate (and log) where due, check the stop rules, then apply one
    /// update. Row k of the record stream is the state after k updates.
    pub fn step(&mut self, interrupted: bool) -> Step {
        if let Some((reason, _)) = &self.stopped {
            return Step { record: None, stop: Some(*reason) };
        }
        let top = self.state.clone();
        let step = self.state.step;
        let full_batch = self.plan.per_epoch == 1;
        let log = self.will_log(step) || interrupted;

        // Full batch: this forward/backward is also the update's. Mini-batch: only at logs.
        let (mut record, mut grads) = (None, None);
        if log || full_batch {
            let (r, g, bad) = self.evaluate_full(step, log);
            record = r;
            if bad {
                self.diverged_at = Some(step);
                return Step { record, ..self.stop(StopReason::Diverged, top) };
            }
            grads = full_batch.then_some(g);
        }
        let stop = if interrupted {
            Some(StopReason::Interrupted)
        } else if step >= self.max_steps {
            Some(StopReason::Completed)
        } else if self.s.descent.early_stop.is_some_and(|rule| self.state.stall >= rule.patience) {
            Some(StopReason::Converged)
        } else {
            None
        };
        if let Some(reason) = stop {
            return Step { record, ..self.stop(reason, top) };
        }
        let grads = match grads.or_else(|| self.minibatch_gradient(step)) {
            Some(g) => g,
            None => {
                self.diverged_at = Some(step);
                let record = record.or_else(|| Some(self.record_without_gradient(step)));
                return Step { record, ..self.stop(StopReason::Diverged, top) };
            }
        };
        // Moved out (not cloned) so the optimiser holds the only reference to the parameters
        // and the backend may update them in place.
        let hidden = self.model.hidden;
        let model = std::mem::replace(&mut self.model, Network { layers: Vec::new(), hidden });
        self.model = self.optim.step(self.s.descent.lr, model, grads);
        self.state.step += 1;
        Step { record, stop: None }
    }

    /// Whether updates are split into row shards (then the loop runs on a rayon worker).
    fn split(&self) -> bool {
        update_shards(&self.s, self.data.rows(), self.n_params) > 1
    }

    /// Steps until a stop rule fires, reporting records and checkpoints to `obs`.
    ///
    /// When batches are split, the loop runs on a worker of rayon's pool (the calling thread
    /// waits): the shards of a step then start from a worker, which runs one itself and wakes
    /// one other, instead of the caller waking the pool and sleeping on every step (measured
    /// W1, 2 shards: about 1.2x faster). Unsplit batches stay on the calling thread, where
    /// rayon's idle workers do not compete with the kernels' own threads.
    pub fn run(&mut self, interrupt: &AtomicBool, obs: &mut dyn Observer) -> Result<StopReason, GdlabError> {
        if self.split() { rayon::scope(|_| self.run_here(interrupt, obs)) } else { self.run_here(interrupt, obs) }
    }

    fn run_here(&mut self, interrupt: &AtomicBool, obs: &mut dyn Observer) -> Result<StopReason, GdlabError> {
        let every = obs.checkpoint_every();
        let first = self.state.step;
        loop {
            if let Some(k) = every
                && (self.state.step == first || self.state.step.is_multiple_of(k.max(1)))
            {
                obs.checkpoint(&self.checkpoint()?)?;
            }
            let out = self.step(interrupt.load(Ordering::Relaxed));
            if let Some(r) = &out.record {
                obs.record(r)?;
            }
            if let Some(reason) = out.stop {
                if every.is_some() {
                    obs.checkpoint(&self.checkpoint()?)?;
                }
                return Ok(reason);
            }
        }
    }

    /// `run` keeping every record in memory (for library callers and short runs).
    pub fn run_collecting(&mut self, interrupt: &AtomicBool, observe: &mut (dyn FnMut(&Record) + Send)) -> Outcome {
        let mut records = Vec::new();
        let mut keep = |r: &Record| {
            observe(r);
            records.push(r.clone());
        };
        let stop = self.run(interrupt, &mut keep).expect("an in-memory observer does not fail");
        Outcome {
            rule: Rule::GradientDescent,
            model: self.model.clone(),
            records,
            stop,
            steps: self.state.step,
            diverged_at: self.diverged_at,
        }
    }

    pub fn diverged_at(&self) -> Option<usize> {
        self.diverged_at
    }
}
