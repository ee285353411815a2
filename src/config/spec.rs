//! The typed experiment: a loaded config converted once into enums that carry their data
//! (data source, model shape, mini-batch schedule, budget in steps or epochs).
//!
//! The conversion *is* the validation (messages name the file, line and key, and say how to
//! fix it) and the one home of defaults that depend on other values. After it, no code path
//! can meet an invalid combination. The TOML schema (`Config`) stays the user's contract and
//! the run folder's record: `Spec::record` writes the defaults it chose back into it, so the
//! stored config says exactly what ran.

use super::target::Target;
use super::{Activation, BackendName, Config, ConfigError, DType, Gate, Init, LayerStart, Located, LossKind, ModelKind, Source};
use std::path::PathBuf;

/// Parameter updates when a config gives neither `steps` nor `epochs`.
pub const DEFAULT_STEPS: usize = 1000;

#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub seed: u64,
    pub data: DataSpec,
    pub model: ModelSpec,
    pub loss: LossKind,
    pub descent: Descent,
    pub backend: BackendSpec,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DataSpec {
    pub source: DataSource,
    pub standardise: bool,
    /// Fraction of rows held out, in [0, 1).
    pub validation: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DataSource {
    Csv(CsvSource),
    /// Seeded synthetic data.
    Generated(Generator),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Generator {
    /// y = w·x + b + noise, with `outliers` rows (spread evenly; count may be 0) shifted.
    Linear { n: usize, dims: usize, noise: f64, truth: Truth, outliers: Option<Outliers> },
    /// y = [w·x + b + noise > 0].
    Logistic { n: usize, dims: usize, noise: f64, truth: Truth },
    /// Two Gaussian clusters around offset ∓ 1 in every dimension.
    Blobs { n: usize, dims: usize, noise: f64, offset: f64 },
    /// A logic gate's truth table over two inputs, cycled over `n` rows.
    Gates { gate: Gate, n: usize, noise: f64 },
    /// No inputs; the target a of C(b) = (a − b)².
    Constant { value: f64, n: usize, noise: f64 },
    /// Rows written in the config, each its inputs then its target (all the same length).
    Points { rows: Vec<Vec<f64>> },
}

#[derive(Debug, Clone, PartialEq)]
pub struct CsvSource {
    pub file: CsvFile,
    pub targets: Vec<String>,
    /// None: every column but the targets.
    pub features: Option<Vec<String>>,
    /// Target values mapped to 1 (the rest to 0).
    pub positive: Option<Vec<f64>>,
}

/// Where a CSV's bytes come from.
#[derive(Debug, Clone, PartialEq)]
pub enum CsvFile {
    /// The user's own file, relative to the config file's folder.
    Path(PathBuf),
    /// A data set embedded in the binary (`data.dataset`): the same anywhere.
    Shipped(&'static crate::data::shipped::Dataset),
}

/// The hidden line of linear/logistic data: given, or drawn from the seed.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// When given, exactly one per input feature.
    pub weights: Option<Vec<f64>>,
    pub bias: Option<f64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outliers {
    pub count: usize,
    pub shift: f64,
}

impl DataSource {
    /// Input features, where the config alone decides them (not for a CSV).
    pub fn dims(&self) -> Option<usize> {
        match self {
            DataSource::Csv(_) => None,
            DataSource::Generated(g) => Some(g.dims()),
        }
    }
}

impl Generator {
    pub fn dims(&self) -> usize {
        match self {
            Generator::Linear { dims, .. } | Generator::Logistic { dims, .. } | Generator::Blobs { dims, .. } => *dims,
            Generator::Gates { .. } => 2,
            Generator::Constant { .. } => 0,
            Generator::Points { rows } => rows.first().map_or(0, |r| r.len() - 1),
        }
    }

    pub fn rows(&self) -> usize {
        match self {
            Generator::Linear { n, .. }
            | Generator::Logistic { n, .. }
            | Generator::Blobs { n, .. }
            | Generator::Gates { n, .. }
            | Generator::Constant { n, .. } => *n,
            Generator::Points { rows } => rows.len(),
        }
    }

    pub fn source(&self) -> Source {
        match self {
            Generator::Linear { .. } => Source::Linear,
            Generator::Logistic { .. } => Source::Logistic,
            Generator::Blobs { .. } => Source::Blobs,
            Generator::Gates { .. } => Source::Gates,
            Generator::Constant { .. } => Source::Constant,
            Generator::Points { .. } => Source::Points,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ModelSpec {
    pub shape: Architecture,
    pub bias: bool,
    pub init: Init,
    /// Standard deviation (normal) or half-width (uniform) of the initial draw.
    pub scale: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Architecture {
    /// One layer; `activation` is identity, sigmoid or step.
    Neuron { activation: Activation, start: NeuronStart },
    /// `layers = [n_in, h1, ..., n_out]` (at least two sizes, all ≥ 1).
    Mlp { layers: Vec<usize>, hidden: Activation, output: Activation, start: Option<Vec<LayerStart>> },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NeuronStart {
    pub weights: Option<Vec<f64>>,
    /// Only when the model has a bias.
    pub bias: Option<f64>,
}

impl ModelSpec {
    pub fn kind(&self) -> ModelKind {
        match self.shape {
            Architecture::Neuron { .. } => ModelKind::Neuron,
            Architecture::Mlp { .. } => ModelKind::Mlp,
        }
    }

    /// The activation applied to the model's output.
    pub fn output(&self) -> Activation {
        match &self.shape {
            Architecture::Neuron { activation, .. } => *activation,
            Architecture::Mlp { output, .. } => *output,
        }
    }

    /// The activation of the hidden layers (a neuron has none: identity).
    pub fn hidden(&self) -> Activation {
        match &self.shape {
            Architecture::Neuron { .. } => Activation::Identity,
            Architecture::Mlp { hidden, .. } => *hidden,
        }
    }

    /// A neuron with this output activation, zero start and a bias (benchmarks, tests).
    pub fn neuron(activation: Activation, init: Init) -> Self {
        Self { shape: Architecture::Neuron { activation, start: NeuronStart::default() }, bias: true, init, scale: 1.0 }
    }
}

/// Plain gradient descent as configured: burn's `Sgd` plus the loop's rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Descent {
    pub lr: f64,
    pub schedule: Schedule,
    pub budget: Budget,
    pub early_stop: Option<EarlyStop>,
    pub momentum: f64,
    pub weight_decay: f64,
    /// A loss above this (or not finite) stops the run as diverged.
    pub diverge_above: f64,
    /// So does a loss above this many times the starting loss.
    pub diverge_factor: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schedule {
    /// Every update sees every training row.
    FullBatch,
    /// Updates on `size` rows, reshuffled each epoch.
    MiniBatch { size: usize },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Budget {
    /// Parameter updates (0 evaluates the start only).
    Steps(usize),
    /// Passes over the training rows (≥ 1).
    Epochs(usize),
}

/// Stop when the loss improved by less than `tol` for `patience` evaluations in a row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EarlyStop {
    pub tol: f64,
    pub patience: usize,
}

impl Schedule {
    /// Updates per epoch on `rows` training rows.
    pub fn per_epoch(self, rows: usize) -> usize {
        match self {
            Schedule::FullBatch => 1,
            Schedule::MiniBatch { size } => rows.div_ceil(size.min(rows).max(1)).max(1),
        }
    }

    /// Rows per update on `rows` training rows.
    pub fn batch_rows(self, rows: usize) -> usize {
        match self {
            Schedule::FullBatch => rows,
            Schedule::MiniBatch { size } => size.min(rows),
        }
    }
}

impl Budget {
    /// Parameter updates with `per_epoch` updates per pass.
    pub fn steps(self, per_epoch: usize) -> usize {
        match self {
            Budget::Steps(k) => k,
            Budget::Epochs(e) => e * per_epoch,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendSpec {
    /// The backend and its device (`backend.name`, `.device`, `.url`, `.token_env`).
    pub target: Target,
    pub dtype: DType,
    /// Row shards per batch (None: `shard::auto_shards`).
    pub shards: Option<usize>,
    /// MiB a run may need (None: half of this machine's memory, see `train::memory`).
    pub memory_limit_mib: Option<u64>,
}

impl BackendSpec {
    pub fn name(&self) -> BackendName {
        self.target.name()
    }
}

impl Spec {
    /// Converts and validates `l.config` (as parsed, overrides applied).
    pub fn from_config(l: &Located) -> Result<Self, ConfigError> {
        let c = &l.config;
        output(l)?;
        finite_numbers(l)?;
        let b = &c.backend;
        let target = Target::parse(b.name, b.device.as_ref(), b.url.as_deref(), b.token_env.as_deref())
            .map_err(|r| l.invalid(r.key, r.message, r.hint))?;
        let shards = positive(l, "backend.shards", b.shards, SHARDS_HINT)?;
        if let Some(s) = shards.filter(|&s| s > MAX_SHARDS) {
            return Err(l.invalid(
                "backend.shards",
                format!("{s} shards; at most {MAX_SHARDS} (each shard is a thread's share of a batch, and more than the machine's threads only adds overhead)"),
                SHARDS_HINT,
            ));
        }
        if shards.is_some_and(|s| s > 1) && !target.name().info().host {
            return Err(l.invalid(
                "backend.shards",
                format!("row shards are a CPU choice: `{}` runs a whole batch in each kernel on its device", super::name(&target.name())),
                "remove backend.shards (or set it to 1)",
            ));
        }
        let backend = BackendSpec {
            target,
            dtype: c.backend.dtype,
            shards,
            memory_limit_mib: match c.backend.memory_limit_mib {
                Some(0) => {
                    return Err(l.invalid(
                        "backend.memory_limit_mib",
                        "must be at least 1",
                        "e.g. memory_limit_mib = 4096; leave it out for half of this machine's memory",
                    ));
                }
                m => m,
            },
        };
        let data = data(l)?;
        let model = model(l, &data)?;
        Ok(Self { seed: c.experiment.seed, data, model, loss: c.loss.kind, descent: descent(l)?, backend })
    }

    /// Writes the defaults this spec chose into `c`, so the stored config says what ran.
    pub fn record(&self, c: &mut Config) {
        let d = &mut c.data;
        let DataSource::Generated(g) = &self.data.source else { return self.record_model_and_budget(c) };
        match g {
            Generator::Linear { n, dims, noise, outliers, .. } => {
                (d.n, d.dims, d.noise) = (Some(*n), Some(*dims), Some(*noise));
                if let Some(o) = outliers {
                    d.outlier_shift = Some(o.shift);
                }
            }
            Generator::Logistic { n, dims, noise, .. } => (d.n, d.dims, d.noise) = (Some(*n), Some(*dims), Some(*noise)),
            Generator::Blobs { n, dims, noise, offset } => {
                (d.n, d.dims, d.noise, d.offset) = (Some(*n), Some(*dims), Some(*noise), Some(*offset))
            }
            Generator::Gates { gate, n, noise } => (d.gate, d.n, d.dims, d.noise) = (Some(*gate), Some(*n), Some(2), Some(*noise)),
            Generator::Constant { value, n, noise } => (d.value, d.n, d.dims, d.noise) = (Some(*value), Some(*n), Some(0), Some(*noise)),
            // The rows are the config's own; nothing was chosen.
            Generator::Points { .. } => {}
        }
        self.record_model_and_budget(c);
    }

    fn record_model_and_budget(&self, c: &mut Config) {
        c.model.init = Some(self.model.init);
        if let Architecture::Mlp { output, .. } = &self.model.shape {
            c.model.output_activation = Some(*output);
        }
        if let Budget::Steps(k) = self.descent.budget {
            c.optimizer.steps = Some(k);
        }
    }
}

/// Every number of the data and the model (true weights, noise, centres, a start point, the
/// scale) is finite: a NaN or infinity there would make every row or parameter NaN, a run that
/// "diverges" at step 0 instead of a clear error. (`optimizer.diverge_*` may be inf: off.)
fn finite_numbers(l: &Located) -> Result<(), ConfigError> {
    fn first_bad(prefix: &str, v: &toml::Value) -> Option<(String, f64)> {
        match v {
            toml::Value::Float(f) if !f.is_finite() => Some((prefix.to_string(), *f)),
            toml::Value::Table(t) => t.iter().find_map(|(k, v)| first_bad(&format!("{prefix}.{k}"), v)),
            toml::Value::Array(a) => a.iter().find_map(|v| first_bad(prefix, v)),
            _ => None,
        }
    }
    let sections = [("data", toml::Value::try_from(&l.config.data)), ("model", toml::Value::try_from(&l.config.model))];
    for (name, value) in sections {
        if let Some((key, v)) = value.ok().and_then(|v| first_bad(name, &v)) {
            return Err(l.invalid(&key, format!("{v} is not a finite number"), "give a finite number (TOML reads nan and inf as floats)"));
        }
    }
    Ok(())
}

/// Row shards a batch may be cut into at most.
pub const MAX_SHARDS: usize = 256;
const SHARDS_HINT: &str = "1 runs each batch unsplit; leave it out to let gdlab pick from the batch and model size";

/// `Some(0)` refused with `hint`.
fn positive(l: &Located, key: &str, v: Option<usize>, hint: &str) -> Result<Option<usize>, ConfigError> {
    match v {
        Some(0) => Err(l.invalid(key, "must be at least 1", hint)),
        v => Ok(v),
    }
}

fn output(l: &Located) -> Result<(), ConfigError> {
    let c = &l.config;
    if c.output.log_every == 0 {
        return Err(l.invalid("output.log_every", "must be at least 1", "1 logs every step"));
    }
    if c.output.checkpoint_every == 0 {
        return Err(l.invalid("output.checkpoint_every", "must be at least 1", "1 checkpoints after every update; the default is 1000"));
    }
    let name = &c.experiment.name;
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') || name.chars().any(char::is_control) || name.len() > 200 {
        return Err(l.invalid("experiment.name", format!("`{name}` cannot be a folder name"), "use letters, digits, `-` and `_`"));
    }
    Ok(())
}

fn descent(l: &Located) -> Result<Descent, ConfigError> {
    let o = &l.config.optimizer;
    if !(o.lr.is_finite() && o.lr > 0.0) {
        return Err(l.invalid(
            "optimizer.lr",
            format!("learning rate must be a finite number > 0, got {}", o.lr),
            "the update is w <- w - lr * gradient; try lr = 0.1 and lower it if the loss grows",
        ));
    }
    let budget = match (o.steps, o.epochs) {
        (Some(_), Some(_)) => {
            return Err(l.invalid(
                "optimizer.epochs",
                "both `steps` and `epochs` are set",
                "set one: `steps` counts updates, `epochs` counts passes over the training rows (--set of one replaces the other)",
            ));
        }
        (_, Some(0)) => {
            return Err(l.invalid(
                "optimizer.epochs",
                "must be at least 1",
                "give the number of passes; steps = 0 evaluates the start only",
            ));
        }
        (Some(k), None) => Budget::Steps(k),
        (None, Some(e)) => Budget::Epochs(e),
        (None, None) => Budget::Steps(DEFAULT_STEPS),
    };
    let schedule = match positive(l, "optimizer.batch_size", o.batch_size, "leave it out for full-batch gradient descent")? {
        None => Schedule::FullBatch,
        Some(size) => Schedule::MiniBatch { size },
    };
    let early_stop = match o.tol {
        Some(tol) if !(tol.is_finite() && tol >= 0.0) => {
            return Err(l.invalid("optimizer.tol", format!("must be a finite number >= 0, got {tol}"), "e.g. tol = 1e-9"));
        }
        Some(tol) => Some(EarlyStop { tol, patience: o.patience }),
        None => None,
    };
    if o.patience == 0 {
        return Err(l.invalid("optimizer.patience", "must be at least 1", "e.g. patience = 10 evaluations"));
    }
    if !(o.momentum.is_finite() && (0.0..1.0).contains(&o.momentum)) {
        return Err(l.invalid(
            "optimizer.momentum",
            format!("must be in [0, 1), got {}", o.momentum),
            "0 is plain SGD; 0.9 is a common momentum",
        ));
    }
    if !(o.weight_decay.is_finite() && o.weight_decay >= 0.0) {
        return Err(l.invalid("optimizer.weight_decay", format!("must be >= 0, got {}", o.weight_decay), "0 means none"));
    }
    if o.diverge_above.is_nan() || o.diverge_above <= 0.0 {
        return Err(l.invalid("optimizer.diverge_above", "must be > 0", "e.g. diverge_above = 1e12"));
    }
    if o.diverge_factor.is_nan() || o.diverge_factor <= 1.0 {
        return Err(l.invalid(
            "optimizer.diverge_factor",
            format!("must be > 1, got {}", o.diverge_factor),
            "a run diverges when its loss grows past this many times the start; e.g. 1000, or inf to turn it off",
        ));
    }
    Ok(Descent {
        lr: o.lr,
        schedule,
        budget,
        early_stop,
        momentum: o.momentum,
        weight_decay: o.weight_decay,
        diverge_above: o.diverge_above,
        diverge_factor: o.diverge_factor,
    })
}

fn data(l: &Located) -> Result<DataSpec, ConfigError> {
    let d = &l.config.data;
    if !(d.validation.is_finite() && (0.0..1.0).contains(&d.validation)) {
        return Err(l.invalid(
            "data.validation",
            format!("must be a fraction in [0, 1), got {}", d.validation),
            "e.g. validation = 0.2 holds out 20% of the rows",
        ));
    }
    // Keys of one source given to another would silently do nothing: refuse them.
    let source = super::name(&d.source);
    for (key, set, owner) in [
        ("data.path", d.path.is_some(), d.source == Source::Csv),
        ("data.dataset", d.dataset.is_some(), d.source == Source::Csv),
        ("data.target", d.target.is_some(), d.source == Source::Csv),
        ("data.features", d.features.is_some(), d.source == Source::Csv),
        ("data.positive", d.positive.is_some(), d.source == Source::Csv),
        ("data.value", d.value.is_some(), d.source == Source::Constant),
        ("data.gate", d.gate.is_some(), d.source == Source::Gates),
        ("data.offset", d.offset.is_some(), d.source == Source::Blobs),
        ("data.true_weights", d.true_weights.is_some(), matches!(d.source, Source::Linear | Source::Logistic)),
        ("data.true_bias", d.true_bias.is_some(), matches!(d.source, Source::Linear | Source::Logistic)),
        ("data.outliers", d.outliers.is_some() || d.outlier_shift.is_some(), d.source == Source::Linear),
    ] {
        if set && !owner {
            return Err(l.invalid(key, format!("does not apply to source = \"{source}\""), "remove it, or pick the source it belongs to"));
        }
    }
    let n = |default: usize| match d.n {
        Some(0) => Err(l.invalid("data.n", "must be at least 1 row", "e.g. n = 200")),
        n => Ok(n.unwrap_or(default)),
    };
    let noise = |default: f64| match d.noise {
        Some(v) if !(v.is_finite() && v >= 0.0) => Err(l.invalid("data.noise", format!("must be >= 0, got {v}"), "0 means noiseless")),
        v => Ok(v.unwrap_or(default)),
    };
    let dims = |default: usize| -> Result<usize, ConfigError> { Ok(d.dims.unwrap_or(default)) };
    let fixed_dims = |want: usize, message: &str, hint: &str| match d.dims {
        Some(v) if v != want => Err(l.invalid("data.dims", message, hint)),
        _ => Ok(()),
    };
    let truth = |dims: usize| match &d.true_weights {
        Some(w) if w.len() != dims => {
            Err(l.invalid("data.true_weights", format!("{} values but dims = {dims}", w.len()), "give one weight per input feature"))
        }
        w => Ok(Truth { weights: w.clone(), bias: d.true_bias }),
    };
    if d.rows.is_some() && d.source != Source::Points {
        return Err(l.invalid("data.rows", "only applies to source = \"points\"", "add source = \"points\", or remove `rows`"));
    }
    let source = match d.source {
        Source::Csv => {
            let names = crate::data::shipped::names().join(", ");
            let file = match (&d.path, &d.dataset) {
                (Some(p), None) => CsvFile::Path(p.clone()),
                (None, Some(name)) => CsvFile::Shipped(crate::data::shipped::get(name).ok_or_else(|| {
                    l.invalid("data.dataset", format!("no shipped data set named `{name}`"), format!("the shipped data sets are {names}"))
                })?),
                (Some(_), Some(_)) => {
                    return Err(l.invalid(
                        "data.dataset",
                        "give `dataset` or `path`, not both",
                        "dataset names a shipped data set, path your own CSV",
                    ));
                }
                (None, None) => {
                    return Err(l.invalid(
                        "data.path",
                        "source = \"csv\" needs a `path` (your own CSV) or a `dataset` (a shipped one)",
                        format!("path = \"my.csv\" (relative to the config file), or dataset = \"iris\" (one of {names})"),
                    ));
                }
            };
            let Some(target) = &d.target else {
                return Err(l.invalid("data.target", "source = \"csv\" needs a `target` column name", "target = \"progression\""));
            };
            let targets = target.names();
            if targets.is_empty() {
                return Err(l.invalid("data.target", "the list of target columns is empty", "target = \"y\" or target = [\"y1\", \"y2\"]"));
            }
            DataSource::Csv(CsvSource { file, targets, features: d.features.clone(), positive: d.positive.clone() })
        }
        Source::Linear => {
            let (n, dims) = (n(200)?, dims(1)?);
            let outliers = match (d.outliers, d.outlier_shift) {
                (Some(k), _) if k > n => {
                    return Err(l.invalid("data.outliers", format!("{k} outliers in {n} rows"), "use at most n outliers"));
                }
                (Some(k), shift) => Some(Outliers { count: k, shift: shift.unwrap_or(20.0) }),
                (None, _) => None,
            };
            DataSource::Generated(Generator::Linear { n, dims, noise: noise(0.1)?, truth: truth(dims)?, outliers })
        }
        Source::Logistic => {
            let dims = dims(1)?;
            DataSource::Generated(Generator::Logistic { n: n(200)?, dims, noise: noise(0.1)?, truth: truth(dims)? })
        }
        Source::Blobs => {
            DataSource::Generated(Generator::Blobs { n: n(200)?, dims: dims(2)?, noise: noise(0.5)?, offset: d.offset.unwrap_or(0.0) })
        }
        Source::Gates => {
            fixed_dims(2, "logic gates have two inputs: dims must be 2", "remove `dims`")?;
            DataSource::Generated(Generator::Gates { gate: d.gate.unwrap_or(Gate::And), n: n(4)?, noise: noise(0.0)? })
        }
        Source::Constant => {
            fixed_dims(0, "source = \"constant\" has no inputs: dims must be 0", "remove `dims`; the model is the bias alone")?;
            DataSource::Generated(Generator::Constant { value: d.value.unwrap_or(3.0), n: n(1)?, noise: noise(0.0)? })
        }
        Source::Points => DataSource::Generated(Generator::Points { rows: points(l)? }),
    };
    Ok(DataSpec { source, standardise: d.standardise, validation: d.validation })
}

/// `source = "points"`: at least one row, every row its inputs then its target, all one length;
/// the keys of generated data (n, dims, noise) may only repeat what the rows say.
fn points(l: &Located) -> Result<Vec<Vec<f64>>, ConfigError> {
    let d = &l.config.data;
    let hint = "rows = [[x1, y], [x1, y], ...]: each row its inputs then its target";
    let rows = match &d.rows {
        None => return Err(l.invalid("data.rows", "source = \"points\" needs the `rows`", hint)),
        Some(r) if r.is_empty() => return Err(l.invalid("data.rows", "the list of rows is empty", hint)),
        Some(r) => r.clone(),
    };
    let width = rows[0].len();
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != width || r.len() < 2) {
        let message = if r.len() < 2 {
            format!("row {} has {} value(s); a row needs at least one input and its target", i + 1, r.len())
        } else {
            format!("row {} has {} values, row 1 has {width}", i + 1, r.len())
        };
        return Err(l.invalid("data.rows", message, hint));
    }
    if let Some(n) = d.n.filter(|&n| n != rows.len()) {
        return Err(l.invalid("data.n", format!("n = {n} but `rows` has {} rows", rows.len()), "remove `n`: the rows say how many"));
    }
    if let Some(dims) = d.dims.filter(|&k| k != width - 1) {
        return Err(l.invalid(
            "data.dims",
            format!("dims = {dims} but each row has {} input(s) before its target", width - 1),
            "remove `dims`: the rows say how many inputs",
        ));
    }
    if d.noise.is_some() {
        return Err(l.invalid("data.noise", "the rows are used as written, with no noise", "remove `noise`"));
    }
    Ok(rows)
}

fn model(l: &Located, data: &DataSpec) -> Result<ModelSpec, ConfigError> {
    let m = &l.config.model;
    if !(m.scale.is_finite() && m.scale >= 0.0) {
        return Err(l.invalid("model.scale", "must be a finite number >= 0", "e.g. scale = 0.1"));
    }
    let start = m.start.clone().unwrap_or_default();
    let shape = match m.kind {
        ModelKind::Neuron => {
            if m.layers.is_some() || m.output_activation.is_some() {
                let key = if m.layers.is_some() { "model.layers" } else { "model.output_activation" };
                return Err(l.invalid(key, "only applies to kind = \"mlp\"", "a neuron has one layer; its `activation` is its output"));
            }
            if matches!(m.activation, Activation::Tanh | Activation::Relu | Activation::Softmax) {
                return Err(l.invalid(
                    "model.activation",
                    format!("\"{}\" is for mlp layers; a neuron takes identity, sigmoid or step", m.activation.name()),
                    "use kind = \"mlp\" with layers = [...] for hidden layers",
                ));
            }
            if start.layers.is_some() {
                return Err(l.invalid(
                    "model.start.layers",
                    "only applies to kind = \"mlp\"",
                    "a neuron starts from start.weights and start.bias",
                ));
            }
            if let (Some(w), Some(dims)) = (&start.weights, data.source.dims())
                && w.len() != dims
            {
                return Err(l.invalid(
                    "model.start.weights",
                    format!("{} values for {dims} input features", w.len()),
                    "give one weight per feature, in feature order",
                ));
            }
            if start.bias.is_some() && !m.bias {
                return Err(l.invalid(
                    "model.start.bias",
                    "a start bias is given but bias = false",
                    "remove start.bias, or set bias = true",
                ));
            }
            Architecture::Neuron { activation: m.activation, start: NeuronStart { weights: start.weights, bias: start.bias } }
        }
        ModelKind::Mlp => {
            let layers = match &m.layers {
                None => {
                    return Err(l.invalid(
                        "model.layers",
                        "kind = \"mlp\" needs layer sizes",
                        "layers = [2, 3, 1]: inputs, hidden sizes, outputs",
                    ));
                }
                Some(v) if v.len() < 2 || v.contains(&0) => {
                    return Err(l.invalid(
                        "model.layers",
                        format!("{v:?} is not a network: give at least input and output sizes, all >= 1"),
                        "layers = [2, 3, 1]",
                    ));
                }
                Some(v) => v.clone(),
            };
            if matches!(m.activation, Activation::Step | Activation::Softmax) {
                return Err(l.invalid(
                    "model.activation",
                    format!("hidden layers take sigmoid, tanh, relu or identity, not \"{}\"", m.activation.name()),
                    "softmax belongs to output_activation",
                ));
            }
            let output = m.output_activation.unwrap_or(Activation::Identity);
            if !matches!(output, Activation::Identity | Activation::Sigmoid | Activation::Softmax) {
                return Err(l.invalid(
                    "model.output_activation",
                    format!("\"{}\" is not an output activation", output.name()),
                    "use identity, sigmoid or softmax",
                ));
            }
            if start.weights.is_some() || start.bias.is_some() {
                return Err(l.invalid(
                    "model.start.weights",
                    "an mlp starts from [[model.start.layers]] tables",
                    "one table per layer with `weights` (rows of d_out values, one row per input) and `bias`",
                ));
            }
            Architecture::Mlp { layers, hidden: m.activation, output, start: start.layers }
        }
    };
    if !m.bias && data.source.dims() == Some(0) {
        return Err(l.invalid("model.bias", "a model with no inputs and no bias has no parameters", "set bias = true"));
    }
    let init = m.init.unwrap_or(match m.kind {
        ModelKind::Neuron => Init::Zeros,
        // Zeros would keep hidden units identical.
        ModelKind::Mlp => Init::Xavier,
    });
    Ok(ModelSpec { shape, bias: m.bias, init, scale: m.scale })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(text: &str) -> Result<Spec, String> {
        super::super::from_text(text, "t.toml", PathBuf::from("."), &[]).map(|l| l.spec).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_become_variants_with_their_data() {
        let s = spec("").unwrap();
        assert_eq!(s.descent.budget, Budget::Steps(DEFAULT_STEPS));
        assert_eq!(s.descent.schedule, Schedule::FullBatch);
        assert!(matches!(s.data.source, DataSource::Generated(Generator::Linear { n: 200, dims: 1, outliers: None, .. })));
        assert_eq!(s.model.init, Init::Zeros);
        let s = spec("[data]\nsource = \"gates\"\ngate = \"xor\"\n[model]\nkind = \"mlp\"\nlayers = [2, 3, 1]\n[optimizer]\nepochs = 5\nbatch_size = 2\n")
            .unwrap();
        assert!(matches!(s.data.source, DataSource::Generated(Generator::Gates { gate: Gate::Xor, n: 4, .. })));
        assert_eq!(s.model.init, Init::Xavier);
        assert_eq!(s.model.output(), Activation::Identity);
        assert_eq!((s.descent.budget, s.descent.schedule), (Budget::Epochs(5), Schedule::MiniBatch { size: 2 }));
        assert_eq!(s.descent.budget.steps(s.descent.schedule.per_epoch(4)), 10);
    }

    #[test]
    fn errors_found_later_before_now_name_their_line() {
        let e = spec("[data]\nsource = \"linear\"\ndims = 2\ntrue_weights = [1.0]\n").unwrap_err();
        assert!(e.contains("t.toml:4") && e.contains("data.true_weights") && e.contains("dims = 2"), "{e}");
        let e = spec("[model]\nbias = false\n[model.start]\nbias = 1.0\n").unwrap_err();
        assert!(e.contains("t.toml:4") && e.contains("model.start.bias"), "{e}");
        let e = spec("[data]\nsource = \"blobs\"\npositive = [1.0]\n").unwrap_err();
        assert!(e.contains("t.toml:3") && e.contains("data.positive"), "{e}");
    }

    #[test]
    fn recorded_defaults_load_back_to_the_same_spec() {
        for text in [
            "",
            "[data]\nsource = \"constant\"\n",
            "[data]\nsource = \"linear\"\noutliers = 3\n",
            "[model]\nkind = \"mlp\"\nlayers = [1, 2, 1]\n",
        ] {
            let l = super::super::from_text(text, "t.toml", PathBuf::from("."), &[]).unwrap();
            let again = super::super::from_text(&super::super::to_toml(&l.config), "t.toml", PathBuf::from("."), &[]).unwrap();
            assert_eq!(l.spec, again.spec, "{text}");
        }
    }
}
