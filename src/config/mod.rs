//! The experiment file: serde schema, documented defaults, `--set` overrides and validation.
//!
//! One TOML file is one experiment. Every section is optional; unknown keys are errors that
//! name the file, the line and the nearest valid key. The *resolved* config (defaults filled
//! in, overrides applied) is what a run folder stores, so it must serialise back to TOML that
//! loads to the same experiment.

pub mod backends;
pub mod shipped;
pub mod spec;
pub mod target;

pub use spec::{DEFAULT_STEPS, Spec};

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Everything that can be wrong with a config, with enough context to fix it.
#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config {path}: {source}\n  hint: check the path; data paths inside a config are relative to the config file")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{origin}:{line}:{column}: {message}{hint}")]
    Parse { origin: String, line: usize, column: usize, message: String, hint: String },
    #[error("{origin}{line}: key `{key}`: {message}\n  hint: {hint}")]
    Invalid {
        origin: String,
        /// ":<line>" when the key is found in the file, else empty.
        line: String,
        key: String,
        message: String,
        hint: String,
    },
    #[error("--set {arg}: {message}\n  hint: write --set section.key=value, e.g. --set optimizer.lr=0.05")]
    Override { arg: String, message: String },
    #[error(
        "cannot read config `{name}`: no such file, and no shipped experiment has that name{suggestion}\n  hint: give a config file's path, or one of the names `gdlab list` shows (e.g. xor_mlp, lecture/parabola)"
    )]
    Unknown { name: String, suggestion: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub experiment: Experiment,
    #[serde(default)]
    pub data: Data,
    #[serde(default)]
    pub model: Model,
    #[serde(default)]
    pub loss: Loss,
    #[serde(default)]
    pub optimizer: Optimizer,
    #[serde(default)]
    pub backend: Backend,
    #[serde(default)]
    pub output: Output,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    #[serde(default = "default_name")]
    pub name: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    #[serde(default)]
    pub description: String,
}

fn default_name() -> String {
    "experiment".into()
}
fn default_seed() -> u64 {
    42
}

impl Default for Experiment {
    fn default() -> Self {
        Self { name: default_name(), seed: default_seed(), description: String::new() }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Csv,
    #[default]
    Linear,
    Logistic,
    Blobs,
    Gates,
    Constant,
    Points,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Gate {
    And,
    Or,
    Nand,
    Xor,
}

/// `[data]`. Source-specific keys are `Option` so the resolved config only shows what applies.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Data {
    #[serde(default)]
    pub source: Source,
    /// csv: file path, relative to the config file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// csv: one of the data sets embedded in gdlab (`gdlab list` names them), instead of a path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dataset: Option<String>,
    /// csv: target column name, or a list of names for several outputs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<TargetSpec>,
    /// csv: feature column names (default: every column but the target).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// csv: target values mapped to 1 (the rest to 0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positive: Option<Vec<f64>>,
    /// Standardise features with mean/std of the training part.
    #[serde(default)]
    pub standardise: bool,
    /// Fraction of rows held out for validation (seeded shuffle).
    #[serde(default)]
    pub validation: f64,
    /// Synthetic: number of rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub n: Option<usize>,
    /// Synthetic: number of input features.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dims: Option<usize>,
    /// Synthetic: noise level (label noise std for regression, cluster std for blobs, input
    /// jitter for gates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noise: Option<f64>,
    /// blobs: both cluster centres are shifted by this much in every dimension.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<f64>,
    /// gates: which truth table.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// constant: the target a in C(b) = (a - b)^2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// points: the rows themselves, each its inputs then its target (`[[7.5, 0.75], [1.5, 0.15]]`),
    /// for a data set small enough to write out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<Vec<f64>>>,
    /// linear/logistic: the true weights (default: drawn from the seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_weights: Option<Vec<f64>>,
    /// linear/logistic: the true bias (default: drawn from the seed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub true_bias: Option<f64>,
    /// linear: this many rows (spread evenly) get `outlier_shift` added to their target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outliers: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlier_shift: Option<f64>,
}

/// `target = "y"` or `target = ["y1", "y2"]`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged, expecting = "a column name (\"y\") or a list of column names ([\"y1\", \"y2\"])")]
pub enum TargetSpec {
    One(String),
    Many(Vec<String>),
}

impl TargetSpec {
    pub fn names(&self) -> Vec<String> {
        match self {
            TargetSpec::One(s) => vec![s.clone()],
            TargetSpec::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelKind {
    #[default]
    Neuron,
    /// Multi-layer perceptron: `layers = [n_in, h1, ..., n_out]`.
    Mlp,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    #[default]
    Identity,
    Sigmoid,
    /// Heaviside step (perceptron rule only: it has no gradient).
    Step,
    /// Hidden layers of an mlp.
    Tanh,
    /// Hidden layers of an mlp.
    Relu,
    /// Output of an mlp (over the outputs of each row).
    Softmax,
}

impl Activation {
    pub fn name(self) -> &'static str {
        match self {
            Activation::Identity => "identity",
            Activation::Sigmoid => "sigmoid",
            Activation::Step => "step",
            Activation::Tanh => "tanh",
            Activation::Relu => "relu",
            Activation::Softmax => "softmax",
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Init {
    #[default]
    Zeros,
    Normal,
    Uniform,
    /// Glorot/Xavier uniform: U(-r, r), r = sqrt(6 / (fan_in + fan_out)), times `scale`.
    Xavier,
    /// burn's own initialiser for `Linear` (Kaiming uniform), drawn on the device.
    Default,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Start {
    /// neuron: one weight per feature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub weights: Option<Vec<f64>>,
    /// neuron: the bias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bias: Option<f64>,
    /// mlp: one table per layer, `[[model.start.layers]]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<LayerStart>>,
}

/// A layer's exact start: `weights` in burn's layout (row i = the weights leaving input i,
/// shape [d_in][d_out]) and `bias` (d_out values).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct LayerStart {
    pub weights: Vec<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bias: Option<Vec<f64>>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Model {
    #[serde(default)]
    pub kind: ModelKind,
    /// neuron: the output activation; mlp: the hidden layers' activation.
    #[serde(default)]
    pub activation: Activation,
    /// mlp: layer sizes, input first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub layers: Option<Vec<usize>>,
    /// mlp: the output layer's activation (default identity).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_activation: Option<Activation>,
    #[serde(default = "yes")]
    pub bias: bool,
    /// Default: zeros for a neuron, xavier for an mlp (zeros would keep hidden units identical).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
    /// Standard deviation (normal) or half-width (uniform) of the initial draw.
    #[serde(default = "one")]
    pub scale: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<Start>,
}

fn yes() -> bool {
    true
}
fn one() -> f64 {
    1.0
}

impl Default for Model {
    fn default() -> Self {
        Self {
            kind: ModelKind::Neuron,
            activation: Activation::Identity,
            layers: None,
            output_activation: None,
            bias: true,
            init: None,
            scale: 1.0,
            start: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    #[default]
    Mse,
    Mae,
    Bce,
    /// Softmax cross-entropy over class indices (mlp with a softmax output).
    CrossEntropy,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Loss {
    #[serde(default)]
    pub kind: LossKind,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Optimizer {
    #[serde(default = "default_lr")]
    pub lr: f64,
    /// Rows per update; absent = full batch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// Passes over the training rows (one of `epochs` / `steps`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epochs: Option<usize>,
    /// Parameter updates (one of `epochs` / `steps`; default 1000 steps when neither is set;
    /// 0 evaluates the starting point only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<usize>,
    /// Early stop: the loss improved by less than `tol` for `patience` evaluations in a row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tol: Option<f64>,
    #[serde(default = "default_patience")]
    pub patience: usize,
    #[serde(default)]
    pub momentum: f64,
    #[serde(default)]
    pub weight_decay: f64,
    /// A loss above this (or not finite) stops the run as diverged.
    #[serde(default = "default_ceiling")]
    pub diverge_above: f64,
    /// So does a loss above this many times the starting loss (0.88 -> 3514 is not "completed").
    #[serde(default = "default_diverge_factor")]
    pub diverge_factor: f64,
}

fn default_lr() -> f64 {
    0.1
}
fn default_patience() -> usize {
    10
}
fn default_ceiling() -> f64 {
    1e12
}
fn default_diverge_factor() -> f64 {
    1e3
}

impl Default for Optimizer {
    fn default() -> Self {
        Self {
            lr: default_lr(),
            batch_size: None,
            epochs: None,
            steps: None,
            tol: None,
            patience: default_patience(),
            momentum: 0.0,
            weight_decay: 0.0,
            diverge_above: default_ceiling(),
            diverge_factor: default_diverge_factor(),
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendName {
    #[default]
    Flex,
    Ndarray,
    /// Any GPU through wgpu (Vulkan, Metal, DX12); cargo feature `wgpu`.
    Wgpu,
    /// NVIDIA GPUs; cargo feature `cuda`.
    Cuda,
    /// A device served by `gdlab device-server` on another machine; cargo feature `remote`.
    Remote,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    #[default]
    F32,
    F64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct Backend {
    #[serde(default)]
    pub name: BackendName,
    #[serde(default)]
    pub dtype: DType,
    /// Row shards per batch, each on its own thread (absent: `shard::auto_shards`).
    /// Results depend on the shard count, never on the machine's cores.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<usize>,
    /// Refuse a run whose estimated memory exceeds this (absent: half of this machine's memory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_limit_mib: Option<u64>,
    /// Which device of the backend: wgpu `default`, `discrete:N`, `integrated:N` or `cpu`;
    /// cuda and remote an index (`0`: the first GPU, or the server's first device).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<DeviceField>,
    /// remote: the server's address, `ws://host:port` (what `gdlab device-server` prints).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// remote: the environment variable that holds the server's token (default
    /// `GDLAB_REMOTE_TOKEN`); the token itself never goes into a config or a run folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
}

/// `backend.device` as written: a name (`"discrete:0"`) or a bare index (`0`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum DeviceField {
    Index(u64),
    Name(String),
}

impl std::fmt::Display for DeviceField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeviceField::Index(i) => write!(f, "{i}"),
            DeviceField::Name(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// Root of run folders, relative to the directory gdlab runs in.
    #[serde(default = "default_dir")]
    pub dir: PathBuf,
    /// Evaluate and write a metrics row every this many steps (full batch) or epochs (mini-batch).
    #[serde(default = "one_usize")]
    pub log_every: usize,
    /// Write checkpoint.bin (for `--resume`) every this many updates, and at the end.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: usize,
}

/// Measured on a W1-sized run (65536 x 16, flex, 2 cores): a checkpoint costs about 1 ms (two
/// fsynced writes), a W1 step about 0.4 ms, so one per 1000 updates costs about 0.25%.
pub const DEFAULT_CHECKPOINT_EVERY: usize = 1000;

fn default_checkpoint_every() -> usize {
    DEFAULT_CHECKPOINT_EVERY
}

fn default_dir() -> PathBuf {
    PathBuf::from("artifacts")
}
fn one_usize() -> usize {
    1
}

impl Default for Output {
    fn default() -> Self {
        Self { dir: default_dir(), log_every: 1, checkpoint_every: DEFAULT_CHECKPOINT_EVERY }
    }
}

/// A config as loaded: the values, where they came from, and the text (for line numbers).
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The same experiment, typed and validated.
    pub spec: Spec,
    /// Display name of the origin (file path or "<embedded default>").
    pub origin: String,
    /// Directory that relative data paths are resolved against.
    pub base_dir: PathBuf,
    pub text: String,
}

impl Loaded {
    /// An `Invalid` error for `key`, with the line where the file sets it (when it does).
    pub fn invalid(&self, key: &str, message: impl Into<String>, hint: impl Into<String>) -> ConfigError {
        invalid_at(&self.origin, &self.text, key, message, hint)
    }
}

/// A config as parsed, with where it came from: what validation reads.
pub struct Located<'a> {
    pub config: &'a Config,
    origin: &'a str,
    text: &'a str,
    /// `--set` arguments: a key they set is blamed on the argument, not on the file's line.
    overrides: &'a [String],
}

impl Located<'_> {
    pub fn invalid(&self, key: &str, message: impl Into<String>, hint: impl Into<String>) -> ConfigError {
        let set_here = |arg: &&String| arg.split_once('=').is_some_and(|(k, _)| k.trim() == key);
        match self.overrides.iter().rev().find(set_here) {
            Some(arg) => ConfigError::Invalid {
                origin: format!("--set {arg}"),
                line: String::new(),
                key: key.to_string(),
                message: message.into(),
                hint: hint.into(),
            },
            None => invalid_at(self.origin, self.text, key, message, hint),
        }
    }
}

fn invalid_at(origin: &str, text: &str, key: &str, message: impl Into<String>, hint: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        origin: origin.to_string(),
        line: find_key_line(text, key).map(|l| format!(":{l}")).unwrap_or_default(),
        key: key.to_string(),
        message: message.into(),
        hint: hint.into(),
    }
}

/// Reads a config file, applies `--set` overrides, fills defaults and validates it.
pub fn load(path: &Path, overrides: &[String]) -> Result<Loaded, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let base_dir = path.parent().map(|p| if p.as_os_str().is_empty() { Path::new(".") } else { p }).unwrap_or(Path::new(".")).to_path_buf();
    from_text(&text, &path.display().to_string(), base_dir, overrides)
}

/// A config named on the command line: the file at `arg` when there is one (a path always
/// wins), else the shipped experiment of that name (`xor_mlp`, `lecture/parabola`), which
/// runs from any folder: its data are generated or embedded.
pub fn load_named(arg: &Path, overrides: &[String]) -> Result<Loaded, ConfigError> {
    if arg.exists() {
        return load(arg, overrides);
    }
    let name = arg.to_string_lossy();
    let s = shipped::find_or_suggest(&name)?;
    from_text(s.text, &format!("<shipped {}>", shipped::short_name(s)), PathBuf::from("."), overrides)
}

/// Parses config text (a file's or an embedded one) the same way `load` does.
pub fn from_text(text: &str, origin: &str, base_dir: PathBuf, overrides: &[String]) -> Result<Loaded, ConfigError> {
    // First pass on the text itself, so errors carry the file's line numbers.
    let mut config: Config = toml::from_str(text).map_err(|e| parse_error(origin, text, &e))?;
    if !overrides.is_empty() {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| parse_error(origin, text, &e))?;
        for arg in overrides {
            apply_override(&mut table, arg)?;
        }
        let merged = toml::to_string(&table).expect("a toml table serialises");
        config = toml::from_str(&merged).map_err(|e| {
            let ConfigError::Parse { message, hint, .. } = parse_error(origin, &merged, &e) else { unreachable!() };
            ConfigError::Override { arg: overrides.join(" --set "), message: format!("{message}{hint}") }
        })?;
    }
    // The conversion to a typed spec is the validation; the defaults it chose are written back
    // so the stored config says what ran.
    let spec = Spec::from_config(&Located { config: &config, origin, text, overrides })?;
    spec.record(&mut config);
    Ok(Loaded { config, spec, origin: origin.to_string(), base_dir, text: text.to_string() })
}

/// `a.b.c=value`: value parsed as TOML (a bare word that is not valid TOML is taken as a string).
pub fn apply_override(table: &mut toml::Table, arg: &str) -> Result<(), ConfigError> {
    let err = |message: String| ConfigError::Override { arg: arg.to_string(), message };
    let (key, raw) = arg.split_once('=').ok_or_else(|| err("missing `=`".into()))?;
    let key = key.trim();
    let raw = raw.trim();
    if let Some(value) = raw.strip_prefix('=') {
        return Err(err(format!("`{key}=={value}`: write one `=` between the key and its value")));
    }
    if key.is_empty() || key.split('.').any(|k| k.is_empty()) {
        return Err(err(format!("`{key}` is not a key path")));
    }
    let value = match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t.remove("v").expect("parsed key"),
        // A number TOML cannot hold (1e999) is not a string.
        Err(_) if raw.parse::<f64>().is_ok() => return Err(err(format!("`{raw}` is not a finite number"))),
        Err(_) => toml::Value::String(raw.to_string()),
    };
    let parts: Vec<&str> = key.split('.').collect();
    let mut cur = table;
    for part in &parts[..parts.len() - 1] {
        let entry = cur.entry(part.to_string()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
        cur = entry.as_table_mut().ok_or_else(|| err(format!("`{part}` is a value, not a section")))?;
    }
    let last = parts[parts.len() - 1];
    // The budget is `steps` or `epochs`: setting one replaces the other.
    if parts.len() == 2 && parts[0] == "optimizer" {
        match last {
            "steps" => cur.remove("epochs"),
            "epochs" => cur.remove("steps"),
            _ => None,
        };
    }
    cur.insert(last.to_string(), value);
    Ok(())
}

fn parse_error(origin: &str, text: &str, e: &toml::de::Error) -> ConfigError {
    let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
    let message = plain_words(e.message().trim());
    let hint = suggest(&message).map(|s| format!("\n  hint: did you mean `{s}`?")).unwrap_or_default();
    let section = section_at(text, line);
    // Name the key the error sits on, when the line assigns one.
    let key = text
        .lines()
        .nth(line - 1)
        .and_then(|l| l.split_once('='))
        .map(|(k, _)| k.trim().to_string())
        .filter(|k| !k.is_empty() && !k.starts_with('['));
    let message = match (key, &section) {
        (Some(k), Some(s)) => format!("key `{s}.{k}`: {message}"),
        (Some(k), None) => format!("key `{k}`: {message}"),
        (None, Some(s)) => format!("{message} (in [{s}])"),
        (None, None) => message,
    };
    ConfigError::Parse { origin: origin.to_string(), line, column, message, hint }
}

/// serde's type names in the words a config's author uses: "expected usize" says "a whole
/// number", "expected a boolean" says TOML's `true`/`false`.
fn plain_words(message: &str) -> String {
    let whole = "expected a whole number (0, 1, 2, ... without quotes)";
    [
        ("expected a boolean", "expected `true` or `false` (TOML's booleans: lowercase, without quotes)"),
        ("expected usize", whole),
        ("expected u64", whole),
        ("expected u32", whole),
        ("expected u16", whole),
        ("expected u8", whole),
        ("expected i64", "expected a whole number (without quotes)"),
        ("expected i32", "expected a whole number (without quotes)"),
        ("expected f64", "expected a number (e.g. 0.05, without quotes)"),
        ("expected f32", "expected a number (e.g. 0.05, without quotes)"),
    ]
    .iter()
    .fold(message.to_string(), |m, (rust, words)| if m.ends_with(rust) { format!("{}{words}", &m[..m.len() - rust.len()]) } else { m })
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "unknown variant"), the
/// expected name nearest to `x`.
fn suggest(message: &str) -> Option<String> {
    if !message.starts_with("unknown field") && !message.starts_with("unknown variant") {
        return None;
    }
    let names: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
    let (given, expected) = names.split_first()?;
    expected
        .iter()
        .map(|c| (strsim::jaro_winkler(given, c), *c))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The `[section]` header in force at `line` (1-based).
fn section_at(text: &str, line: usize) -> Option<String> {
    text.lines()
        .take(line)
        .filter_map(|l| {
            let t = l.trim();
            (t.starts_with('[') && t.ends_with(']')).then(|| t.trim_matches(|c| c == '[' || c == ']').trim().to_string())
        })
        .last()
}

/// 1-based line where `section.key` (or `section.sub.key`) is set, for error messages.
pub fn find_key_line(text: &str, key_path: &str) -> Option<usize> {
    let (section, key) = key_path.rsplit_once('.')?;
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.starts_with('[') && t.ends_with(']') {
            current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        if let Some((k, _)) = t.split_once('=') {
            let k = k.trim();
            if (current == section && k == key) || (format!("{current}.{k}") == key_path) {
                return Some(i + 1);
            }
        }
    }
    // The section itself, when the key is missing but its table exists.
    text.lines().position(|l| l.trim() == format!("[{section}]")).map(|i| i + 1)
}

/// The resolved config as TOML text, as the run folder stores it.
/// The config-file spelling of an enum value ("flex", "f64", "cross_entropy"): its serde
/// name, the one place names come from.
pub fn name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        other => format!("{other:?}"),
    }
}

pub fn to_toml(c: &Config) -> String {
    toml::to_string_pretty(c).expect("config serialises")
}

/// The keys whose values differ between two configs, as (dotted key, value in `a`, value in
/// `b`), with "(unset)" for a key only one of them has. Sorted by key.
pub fn diff(a: &Config, b: &Config) -> Vec<(String, String, String)> {
    fn flatten(prefix: &str, v: &toml::Value, out: &mut std::collections::BTreeMap<String, String>) {
        match v {
            toml::Value::Table(t) => {
                for (k, v) in t {
                    let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    flatten(&key, v, out);
                }
            }
            other => {
                out.insert(prefix.to_string(), other.to_string());
            }
        }
    }
    let table = |c: &Config| {
        let mut out = std::collections::BTreeMap::new();
        flatten("", &toml::Value::try_from(c).expect("config serialises"), &mut out);
        out
    };
    let (ta, tb) = (table(a), table(b));
    let unset = || "(unset)".to_string();
    let keys: std::collections::BTreeSet<&String> = ta.keys().chain(tb.keys()).collect();
    keys.into_iter()
        .filter(|k| ta.get(*k) != tb.get(*k))
        .map(|k| (k.clone(), ta.get(k).cloned().unwrap_or_else(unset), tb.get(k).cloned().unwrap_or_else(unset)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, sets: &[&str]) -> Result<Config, ConfigError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        from_text(text, "t.toml", PathBuf::from("."), &sets).map(|l| l.config)
    }

    #[test]
    fn empty_config_gets_documented_defaults() {
        let c = parse("", &[]).unwrap();
        assert_eq!(c.optimizer.lr, 0.1);
        assert_eq!(c.optimizer.steps, Some(DEFAULT_STEPS));
        assert_eq!(c.backend.name, BackendName::Flex);
        assert_eq!(c.data.n, Some(200));
        assert!(c.model.bias);
    }

    #[test]
    fn unknown_key_names_line_and_nearest_key() {
        let err = parse("[optimizer]\nlr = 0.1\nlrate = 3\n", &[]).unwrap_err().to_string();
        assert!(err.contains("t.toml:3:"), "{err}");
        assert!(err.contains("lrate"), "{err}");
        assert!(err.contains("did you mean `lr`"), "{err}");
        assert!(err.contains("optimizer.lrate"), "{err}");
    }

    #[test]
    fn overrides_are_parsed_as_toml_and_applied() {
        let c = parse("[optimizer]\nlr = 0.1\n", &["optimizer.lr=0.05", "model.bias=false", "data.source=gates"]).unwrap();
        assert_eq!(c.optimizer.lr, 0.05);
        assert!(!c.model.bias);
        assert_eq!(c.data.source, Source::Gates);
        assert_eq!(c.data.dims, Some(2));
    }

    #[test]
    fn bad_override_names_the_argument() {
        let err = parse("", &["optimizer.lr=fast"]).unwrap_err().to_string();
        assert!(err.contains("--set optimizer.lr=fast"), "{err}");
        let err = parse("", &["optimizer.lr"]).unwrap_err().to_string();
        assert!(err.contains("missing `=`"), "{err}");
        // A value from --set is blamed on the argument, not on the file's line for the key.
        let err = parse("[optimizer]\nlr = 0.1\n", &["optimizer.lr=nan"]).unwrap_err().to_string();
        assert!(err.starts_with("--set optimizer.lr=nan: key `optimizer.lr`") && !err.contains("t.toml"), "{err}");
        let err = parse("", &["optimizer.lr=1e999"]).unwrap_err().to_string();
        assert!(err.contains("`1e999` is not a finite number"), "{err}");
        let err = parse("[data]\nsource = \"csv\"\npath = \"a.csv\"\ntarget = 5\n", &[]).unwrap_err().to_string();
        assert!(err.contains("a column name") && !err.contains("untagged"), "{err}");
    }

    #[test]
    fn non_positive_lr_is_rejected_with_line() {
        let err = parse("[optimizer]\n\nlr = -1\n", &[]).unwrap_err().to_string();
        assert!(err.contains("t.toml:3"), "{err}");
        assert!(err.contains("optimizer.lr"), "{err}");
    }

    #[test]
    fn resolved_config_round_trips() {
        let c = parse(
            "[data]\nsource = \"blobs\"\noffset = 4.0\n[model]\nactivation = \"sigmoid\"\n[model.start]\nweights = [1.0, 2.0]\n",
            &[],
        )
        .unwrap();
        let again = parse(&to_toml(&c), &[]).unwrap();
        assert_eq!(c, again);
    }

    #[test]
    fn keys_of_another_source_are_rejected() {
        let err = parse("[data]\nsource = \"gates\"\nvalue = 3.0\n", &[]).unwrap_err().to_string();
        assert!(err.contains("data.value") && err.contains("gates") && err.contains("t.toml:3"), "{err}");
    }

    #[test]
    fn wrong_type_is_a_parse_error_with_position() {
        let err = parse("[experiment]\nseed = \"abc\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("t.toml:2:"), "{err}");
    }

    #[test]
    fn type_errors_are_in_a_config_authors_words() {
        let err = parse("[model]\nbias = \"no\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("expected `true` or `false`"), "{err}");
        let err = parse("[optimizer]\nsteps = -3\n", &[]).unwrap_err().to_string();
        assert!(err.contains("a whole number") && !err.contains("usize"), "{err}");
        let err = parse("[optimizer]\nlr = \"fast\"\n", &[]).unwrap_err().to_string();
        assert!(err.contains("expected a number") && !err.contains("f64"), "{err}");
    }

    #[test]
    fn a_doubled_equals_sign_is_refused_not_read_as_a_string() {
        let err = parse("", &["optimizer.lr==0.1"]).unwrap_err().to_string();
        assert!(err.contains("one `=`"), "{err}");
    }
}
