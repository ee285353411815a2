//! The run folder: `<dir>/<experiment>/<run-id>/` with config.toml, metrics.csv,
//! summary.json, model.bpk and plots. Every file is written to a temporary name in the same
//! folder and renamed into place, so readers only ever see complete files.

use crate::train::Record;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

pub use crate::atomic::write_atomic;

/// A folder this process owns: it holds an exclusive `flock` on the directory for as long as
/// the value lives (the kernel drops it when the process dies, even by SIGKILL), so two gdlab
/// processes never write one folder, and `--resume` of a folder in use is refused.
#[derive(Debug)]
pub struct RunFolder {
    pub dir: PathBuf,
    _lock: std::fs::File,
}

/// Why a folder could not be claimed.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    #[error(
        "{0}: exists and is not empty\n  hint: choose another --out (gdlab never overwrites a run), or continue a run with gdlab train --resume {0}"
    )]
    NotEmpty(String),
    #[error(
        "{0}: holds runs of an experiment, and a run needs a folder of its own\n  hint: give a new folder to --out, or continue its newest run with gdlab train --resume {1}"
    )]
    HoldsRuns(String, String),
    #[error("{0}: in use by another gdlab process\n  hint: wait for it to finish, or choose another --out")]
    Busy(String),
    #[error("{0}: cannot create the folder: {1}\n  hint: check that the path is not under a regular file and that you may write there")]
    Create(String, std::io::Error),
}

impl RunFolder {
    /// Locks the existing folder `dir` (for `--resume`).
    pub fn lock(dir: &Path) -> Result<Self, ClaimError> {
        let name = dir.display().to_string();
        let file = std::fs::File::open(dir).map_err(|e| ClaimError::Create(name.clone(), e))?;
        file.try_lock().map_err(|_| ClaimError::Busy(name))?;
        Ok(Self { dir: dir.to_path_buf(), _lock: file })
    }

    /// Claims `dir`, which must not exist or be empty. Creating and checking are one step for
    /// concurrent claimants: each locks before it looks, so exactly one of them wins.
    fn claim(dir: &Path) -> Result<Self, ClaimError> {
        let name = dir.display().to_string();
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|e| ClaimError::Create(name.clone(), e))?;
        }
        match std::fs::create_dir(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && dir.is_dir() => {}
            Err(e) => return Err(ClaimError::Create(name, e)),
        }
        let folder = Self::lock(dir)?;
        // What a gdlab process killed mid-write leaves (`.config.toml.tmp-PID`) does not make
        // a folder a run: with the lock held, nobody is writing it, so it goes.
        let mut temps = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| ClaimError::Create(name.clone(), e))? {
            let entry = entry.map_err(|e| ClaimError::Create(name.clone(), e))?;
            let ours = entry.file_type().is_ok_and(|t| t.is_file()) && entry.file_name().to_str().is_some_and(crate::atomic::is_temp);
            if !ours {
                return Err(match newest_run(dir) {
                    Some(run) => ClaimError::HoldsRuns(name, run.display().to_string()),
                    None => ClaimError::NotEmpty(name),
                });
            }
            temps.push(entry.path());
        }
        for t in temps {
            std::fs::remove_file(&t).map_err(|e| ClaimError::Create(t.display().to_string(), e))?;
        }
        Ok(folder)
    }
}

/// Creates and claims a fresh run folder. With `exact`, that folder (which must not exist or be
/// empty); else `<root>/<name>/<UTC time>` with a suffix when two runs start in the same
/// millisecond.
pub fn create_run_dir(root: &Path, name: &str, exact: Option<&Path>) -> Result<RunFolder, ClaimError> {
    if let Some(dir) = exact {
        return RunFolder::claim(dir);
    }
    let parent = root.join(name);
    std::fs::create_dir_all(&parent).map_err(|e| ClaimError::Create(parent.display().to_string(), e))?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f").to_string();
    let mut k = 0;
    loop {
        let id = if k == 0 { stamp.clone() } else { format!("{stamp}-{k}") };
        let dir = parent.join(&id);
        match std::fs::create_dir(&dir) {
            Ok(()) => {
                let folder = RunFolder::lock(&dir)?;
                point_latest(&parent, &id);
                return Ok(folder);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => k += 1,
            Err(e) => return Err(ClaimError::Create(dir.display().to_string(), e)),
        }
    }
}

/// The name of the link in an experiment folder to its newest run.
pub const LATEST: &str = "latest";

/// Points `<experiment>/latest` at the run `id` (a relative symlink, replaced by a rename, so
/// a reader sees the old link or the new one). Best effort: a file system without symlinks
/// still has the run, and `newest_run` finds it by name.
fn point_latest(experiment: &Path, id: &str) {
    #[cfg(unix)]
    {
        let tmp = experiment.join(format!(".{LATEST}.tmp-{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        if std::os::unix::fs::symlink(id, &tmp).is_ok() && std::fs::rename(&tmp, experiment.join(LATEST)).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
    }
}

/// The newest run folder in an experiment folder (`artifacts/xor_mlp`): run ids are UTC start
/// times, so the greatest name among the subfolders that hold a run. None when `dir` is itself
/// a run folder or holds no run.
pub fn newest_run(dir: &Path) -> Option<PathBuf> {
    if dir.join("config.toml").exists() || dir.join("summary.json").exists() {
        return None;
    }
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| e.path().join("config.toml").is_file())
        .map(|e| e.file_name())
        .max()
        .map(|name| dir.join(name))
}

/// Whether a gdlab process holds `dir`'s lock now, i.e. its run is going on. A shared lock is
/// tried and let go at once; a folder this process holds itself also reads as held.
pub fn in_use(dir: &Path) -> bool {
    let Ok(file) = std::fs::File::open(dir) else { return false };
    match file.try_lock_shared() {
        Ok(()) => {
            let _ = file.unlock();
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(_) => false,
    }
}

/// The step of metrics.csv's last complete row (a running run's progress), read from the
/// file's end.
pub fn last_logged_step(dir: &Path) -> Option<usize> {
    last_logged(dir).map(|(step, _)| step)
}

/// The step and loss of metrics.csv's last complete row, read from the file's end (the loss is
/// None where the row has none).
pub fn last_logged(dir: &Path) -> Option<(usize, Option<f64>)> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(dir.join("metrics.csv")).ok()?;
    let len = f.metadata().ok()?.len();
    let from = len.saturating_sub(64 * 1024);
    f.seek(SeekFrom::Start(from)).ok()?;
    let mut tail = String::new();
    f.take(len - from).read_to_string(&mut tail).ok()?;
    // The part after the last newline may be a row still being written.
    let complete = &tail[..tail.rfind('\n')?];
    // Columns: step, epoch, loss, ...
    complete.lines().rev().find_map(|l| {
        let mut cols = l.split(',');
        let step = cols.next()?.parse().ok()?;
        Some((step, cols.nth(1).and_then(|x| x.parse().ok())))
    })
}

/// The fixed columns of metrics.csv, before one column per parameter (when there are few).
const METRICS_COLUMNS: [&str; 11] =
    ["step", "epoch", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "lr", "predicted_dc", "actual_dc", "taylor_ratio"];

/// metrics.csv, written a row at a time as the run makes them (memory does not grow with the
/// steps). Numbers use Rust's shortest round-trip formatting, so equal runs give equal bytes.
/// `sync` makes everything written so far durable; a checkpoint records the length, and a
/// resume truncates the file back to it.
pub struct MetricsWriter {
    file: std::io::BufWriter<std::fs::File>,
    param_names: Vec<String>,
    /// Bytes written so far (flushed or not), and their running SHA-256.
    len: u64,
    hash: Sha256,
    /// The step of the last row, and the file's length and hash before it.
    last_row: Option<(usize, u64, Sha256)>,
}

/// The first `len` bytes of a metrics.csv and their hash, as a checkpoint recorded them and
/// `check_prefix` found them.
pub struct Prefix {
    pub len: u64,
    hash: Sha256,
}

impl Prefix {
    /// No bytes: a run that starts from step 0.
    pub fn empty() -> Self {
        Prefix { len: 0, hash: Sha256::new() }
    }
}

impl MetricsWriter {
    /// Opens `path` as a new, empty file.
    pub fn create(path: &Path, param_names: &[String]) -> std::io::Result<Self> {
        Self::open(path, param_names, Prefix::empty())
    }

    /// Opens `path` for appending after `keep`, a prefix `check_prefix` verified (rows after
    /// it are dropped).
    pub fn open(path: &Path, param_names: &[String], keep: Prefix) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new().create(true).write(true).truncate(false).open(path)?;
        file.set_len(keep.len)?;
        let mut file = std::io::BufWriter::new(file);
        std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(keep.len))?;
        Ok(Self { file, param_names: param_names.to_vec(), len: keep.len, hash: keep.hash, last_row: None })
    }

    fn put(&mut self, fields: &[String]) -> std::io::Result<()> {
        let mut w = csv::Writer::from_writer(Vec::with_capacity(256));
        w.write_record(fields)?;
        let bytes = w.into_inner().map_err(|e| e.into_error())?;
        self.file.write_all(&bytes)?;
        self.len += bytes.len() as u64;
        self.hash.update(&bytes);
        Ok(())
    }

    pub fn write(&mut self, r: &Record) -> std::io::Result<()> {
        let before = (self.len, self.hash.clone());
        if self.len == 0 {
            let mut header: Vec<String> = METRICS_COLUMNS.iter().map(|s| s.to_string()).collect();
            if !r.params.is_empty() {
                header.extend(self.param_names.iter().cloned());
            }
            self.put(&header)?;
        }
        let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        let mut row = vec![
            r.step.to_string(),
            r.epoch.to_string(),
            r.loss.to_string(),
            opt(r.val_loss),
            opt(r.accuracy),
            opt(r.val_accuracy),
            opt(r.grad_norm),
            r.lr.to_string(),
            opt(r.predicted_dc),
            opt(r.actual_dc),
            opt(r.predicted_dc.zip(r.actual_dc).map(|(p, a)| a / p)),
        ];
        row.extend(r.params.iter().map(|p| p.to_string()));
        self.put(&row)?;
        self.last_row = Some((r.step, before.0, before.1));
        Ok(())
    }

    /// The length and SHA-256 (hex) of the part of the file that holds exactly the rows of
    /// steps before `step`.
    pub fn prefix_before(&self, step: usize) -> (u64, String) {
        match &self.last_row {
            Some((s, len, hash)) if *s >= step => (*len, hex(hash.clone())),
            _ => (self.len, hex(self.hash.clone())),
        }
    }

    /// The SHA-256 (hex) of everything written.
    pub fn sha256(&self) -> String {
        hex(self.hash.clone())
    }

    /// Flushes and fsyncs what was written.
    pub fn sync(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()
    }
}

fn hex(hash: Sha256) -> String {
    format!("{:x}", hash.finalize())
}

/// metrics.csv for records held in memory (the perceptron rule's run); returns its SHA-256.
pub fn write_metrics(path: &Path, records: &[Record], param_names: &[String]) -> std::io::Result<String> {
    let tmp = path.with_file_name(format!(".metrics.csv.tmp-{}", std::process::id()));
    let mut w = MetricsWriter::create(&tmp, param_names)?;
    for r in records {
        w.write(r)?;
    }
    w.sync()?;
    let sha = w.sha256();
    drop(w);
    std::fs::rename(&tmp, path)?;
    Ok(sha)
}

/// Reads the first `len` bytes of `dir/metrics.csv` and checks them against the SHA-256 a
/// checkpoint or summary.json recorded (`whole`: the file must also end there). An error,
/// exit 1, names the file and what differs: a run folder whose metrics were cut or edited is
/// refused, not resumed into a file with a hole or with rows that do not belong to it.
pub fn check_prefix(dir: &Path, len: u64, sha256: &str, whole: bool, recorded_by: &str) -> Result<Prefix, crate::error::GdlabError> {
    use std::io::Read;
    let path = dir.join("metrics.csv");
    let differs = |what: String| {
        crate::error::GdlabError::Runtime(format!(
            "{}: {what}, not what {recorded_by} recorded ({len} bytes, SHA-256 {})\n  hint: the file was cut, edited or replaced after gdlab wrote it; restore it, or train the run again",
            path.display(),
            sha256.get(..12).unwrap_or(sha256)
        ))
    };
    let file = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && len > 0 => return Err(differs("missing".into())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Prefix::empty()),
        Err(e) => return Err(crate::error::GdlabError::io(format!("cannot read {}", path.display()))(e)),
    };
    let size = file.metadata().map_err(crate::error::GdlabError::io(format!("cannot read {}", path.display())))?.len();
    if size < len || (whole && size != len) {
        return Err(differs(format!("{size} bytes")));
    }
    let mut hash = Sha256::new();
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file.take(len));
    let copied = std::io::copy(&mut reader, &mut HashWriter(&mut hash))
        .map_err(crate::error::GdlabError::io(format!("cannot read {}", path.display())))?;
    if copied != len || hex(hash.clone()) != sha256 {
        return Err(differs(format!("its first {len} bytes differ")));
    }
    Ok(Prefix { len, hash })
}

/// Feeds what is written into a SHA-256 (for `std::io::copy`).
struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// metrics.csv up to its last newline: a row being written by a running run, or half written
/// by a killed one, is not a row yet (a resume drops it too).
fn complete_rows(path: &Path) -> std::io::Result<csv::Reader<std::io::Take<std::fs::File>>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(path)?;
    let len = f.metadata()?.len();
    // The last newline is within the last row's length of the end: look back in 64 KiB pieces.
    let mut end = 0;
    let mut back = len;
    while back > 0 {
        let from = back.saturating_sub(64 * 1024);
        let mut piece = vec![0; (back - from) as usize];
        f.seek(SeekFrom::Start(from))?;
        f.read_exact(&mut piece)?;
        if let Some(k) = piece.iter().rposition(|&b| b == b'\n') {
            end = from + k as u64 + 1;
            break;
        }
        back = from;
    }
    f.seek(SeekFrom::Start(0))?;
    Ok(csv::Reader::from_reader(f.take(end)))
}

/// Named numeric columns of a run's metrics.csv (NaN for an empty cell). The error names the
/// file and a missing column.
pub fn metrics_columns(run: &Path, names: &[&str]) -> Result<Vec<Vec<f64>>, String> {
    let path = run.join("metrics.csv");
    let mut r = complete_rows(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let header = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let idx: Vec<usize> = names
        .iter()
        .map(|n| header.iter().position(|c| c == *n).ok_or_else(|| format!("{} has no column `{n}`", path.display())))
        .collect::<Result<_, _>>()?;
    let mut cols = vec![Vec::new(); names.len()];
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("{}: {e}", path.display()))?;
        for (col, &i) in cols.iter_mut().zip(&idx) {
            col.push(rec.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN));
        }
    }
    Ok(cols)
}

/// Curves `(x, y)` from a run's metrics.csv with at most about `max_points` points each,
/// whatever the number of rows: a plot needs a few thousand points, and reading a 2,000,000-row
/// file whole would make memory grow with the steps. Rows are cut into buckets; each keeps its
/// first, lowest, highest and last point (in row order), so spikes and the ends survive. NaN
/// cells are skipped. Two streaming passes: one counts the rows.
pub fn metrics_curves(run: &Path, x: &str, ys: &[&str], max_points: usize) -> Result<Vec<Vec<(f64, f64)>>, String> {
    let path = run.join("metrics.csv");
    let open = || complete_rows(&path).map_err(|e| format!("cannot read {}: {e}", path.display()));
    let mut r = open()?;
    let mut record = csv::StringRecord::new();
    let mut rows = 0usize;
    while r.read_record(&mut record).map_err(|e| format!("{}: {e}", path.display()))? {
        rows += 1;
    }
    let bucket = rows.div_ceil((max_points / 4).max(1)).max(1);
    let mut r = open()?;
    let header = r.headers().map_err(|e| format!("{}: {e}", path.display()))?.clone();
    let index = |n: &str| header.iter().position(|c| c == n).ok_or_else(|| format!("{} has no column `{n}`", path.display()));
    let xi = index(x)?;
    let yi: Vec<usize> = ys.iter().map(|n| index(n)).collect::<Result<_, _>>()?;
    let cell = |rec: &csv::StringRecord, i: usize| rec.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(f64::NAN);
    // Per series: the bucket's (row, x, y) candidates: first, lowest, highest, last.
    let mut open_bucket: Vec<[Option<(usize, f64, f64)>; 4]> = vec![[None; 4]; ys.len()];
    let mut curves: Vec<Vec<(f64, f64)>> = vec![Vec::new(); ys.len()];
    let flush = |b: &mut [Option<(usize, f64, f64)>; 4], out: &mut Vec<(f64, f64)>| {
        let mut kept: Vec<(usize, f64, f64)> = b.iter().flatten().copied().collect();
        kept.sort_by_key(|p| p.0);
        kept.dedup_by_key(|p| p.0);
        out.extend(kept.iter().map(|p| (p.1, p.2)));
        *b = [None; 4];
    };
    let mut row = 0usize;
    while r.read_record(&mut record).map_err(|e| format!("{}: {e}", path.display()))? {
        let xv = cell(&record, xi);
        for (s, &i) in yi.iter().enumerate() {
            let y = cell(&record, i);
            if y.is_nan() || xv.is_nan() {
                continue;
            }
            let b = &mut open_bucket[s];
            let p = Some((row, xv, y));
            b[0] = b[0].or(p);
            if b[1].is_none_or(|q| y < q.2) {
                b[1] = p;
            }
            if b[2].is_none_or(|q| y > q.2) {
                b[2] = p;
            }
            b[3] = p;
        }
        row += 1;
        if row.is_multiple_of(bucket) {
            for (b, c) in open_bucket.iter_mut().zip(&mut curves) {
                flush(b, c);
            }
        }
    }
    for (b, c) in open_bucket.iter_mut().zip(&mut curves) {
        flush(b, c);
    }
    Ok(curves)
}

/// Points a plot of one curve keeps at most (about).
pub const PLOT_POINTS: usize = 4000;

/// summary.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    #[serde(with = "crate::nonfinite")]
    pub final_loss: f64,
    #[serde(with = "crate::nonfinite")]
    pub final_val_loss: Option<f64>,
    #[serde(with = "crate::nonfinite")]
    pub final_accuracy: Option<f64>,
    #[serde(with = "crate::nonfinite")]
    pub final_val_accuracy: Option<f64>,
    pub steps: usize,
    pub epochs: usize,
    pub stop_reason: crate::train::StopReason,
    /// The step whose loss was not finite or passed `optimizer.diverge_above`.
    pub diverged_at_step: Option<usize>,
    /// The final parameters when there are at most `SUMMARY_PARAMETERS` (model.bpk and
    /// checkpoint.bin always hold them all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<crate::nn::model::Parameters>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parameter_names: Vec<String>,
    #[serde(default)]
    pub parameter_count: usize,
    pub features: Vec<String>,
    pub targets: Vec<String>,
    pub train_rows: usize,
    pub validation_rows: usize,
    /// The transform applied to features (fitted on training rows), for `gdlab eval`.
    pub standardiser: Option<crate::data::Standardiser>,
    /// Features with no spread in the training rows (centred, not scaled by standardisation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constant_features: Vec<String>,
    pub backend: String,
    pub dtype: String,
    pub seed: u64,
    pub wall_time_s: f64,
    /// The process's peak resident memory when training ended (VmHWM, MiB; Linux only): the
    /// run's own footprint, to hold against the estimate `backend.memory_limit_mib` checks.
    /// A resumed run's is that of the resuming process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss_mib: Option<f64>,
    pub gdlab_version: String,
    pub burn_version: String,
    /// SHA-256 of model.bpk: loading refuses a file that differs (absent in folders written
    /// before it existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_sha256: Option<String>,
    /// Length and SHA-256 of metrics.csv: `eval`, `compare` and a resume refuse a file that
    /// differs (absent in folders written before they existed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_len: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_sha256: Option<String>,
}

/// What a run folder holds: a finished run (summary.json), or one stopped before it could
/// write its summary (killed), with its last checkpoint.
#[derive(Debug, Clone)]
pub enum RunState {
    Finished(Box<Summary>),
    /// Killed: the last checkpoint is at `step` (None: killed before its first checkpoint),
    /// and it recorded the first `metrics_len` bytes of metrics.csv with this SHA-256.
    Interrupted {
        step: Option<usize>,
        metrics: Option<(u64, String)>,
        /// The config text the checkpoint was made with.
        config: Option<String>,
    },
}

impl RunState {
    /// Reads the folder's state: bad input (exit 2) when it is not a run folder at all, a
    /// failure (exit 1) when its summary or checkpoint is damaged.
    pub fn read(dir: &Path) -> Result<Self, crate::error::GdlabError> {
        if dir.join("summary.json").exists() {
            return Summary::read(dir).map(|s| RunState::Finished(Box::new(s))).map_err(crate::error::GdlabError::Runtime);
        }
        if !dir.join("config.toml").is_file() {
            return Err(crate::error::GdlabError::Input(format!(
                "{}: not a gdlab run folder (no summary.json, no config.toml)",
                dir.display()
            )));
        }
        Ok(match crate::run::checkpoint::read(dir)? {
            Some((h, _)) => {
                RunState::Interrupted { step: Some(h.step), metrics: Some((h.metrics_len, h.metrics_sha256)), config: Some(h.config) }
            }
            None => RunState::Interrupted { step: None, metrics: None, config: None },
        })
    }

    /// `read`, then metrics.csv checked against what the summary or the checkpoint recorded
    /// (a killed run's rows after its checkpoint are not its record and are not checked).
    pub fn read_verified(dir: &Path) -> Result<Self, crate::error::GdlabError> {
        let state = Self::read(dir)?;
        match &state {
            RunState::Finished(s) => {
                if let (Some(len), Some(sha)) = (s.metrics_len, &s.metrics_sha256) {
                    check_prefix(dir, len, sha, true, "summary.json")?;
                }
            }
            RunState::Interrupted { metrics: Some((len, sha)), config, .. } => {
                check_prefix(dir, *len, sha, false, "checkpoint.bin")?;
                // A killed run is read with its config.toml: it must still be the checkpoint's.
                if let Some(text) = config {
                    let path = dir.join("config.toml");
                    let stored = crate::config::load(&path, &[])?;
                    crate::run::config_edits(&path, &crate::run::checkpoint_config(dir, text)?, &stored.config)?;
                }
            }
            RunState::Interrupted { metrics: None, .. } => {}
        }
        Ok(state)
    }

    /// `describe`, told by the folder's lock whether a run without a summary is still going:
    /// "running, step 1200 (last checkpoint at step 1000)" while its process holds the lock,
    /// "interrupted (killed) ..." only when nobody does.
    pub fn describe_at(&self, dir: &Path) -> String {
        match self {
            RunState::Interrupted { step, .. } if in_use(dir) => {
                let now = last_logged_step(dir).map_or_else(|| "no step logged yet".to_string(), |k| format!("step {k}"));
                let checkpoint = step.map_or_else(|| "no checkpoint yet".to_string(), |k| format!("last checkpoint at step {k}"));
                format!("running, {now} ({checkpoint}); its gdlab process holds the folder")
            }
            _ => self.describe(),
        }
    }

    /// One line for people: "completed after 100 steps", "interrupted (killed), last checkpoint at step 40".
    pub fn describe(&self) -> String {
        match self {
            RunState::Finished(s) => format!("{} after {} steps", s.stop_reason.word(), s.steps),
            RunState::Interrupted { step: Some(k), .. } => {
                format!("interrupted (killed), last checkpoint at step {k}; continue with gdlab train --resume")
            }
            RunState::Interrupted { step: None, .. } => {
                "interrupted (killed) before its first checkpoint; gdlab train --resume starts it again".into()
            }
        }
    }
}

impl Summary {
    pub fn read(run_dir: &Path) -> Result<Self, String> {
        let path = run_dir.join("summary.json");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not a gdlab summary: {e}", path.display()))
    }
}

/// Parameters summary.json lists by value at most (a 64-100000-10 net would make it 400 MB).
pub const SUMMARY_PARAMETERS: usize = 10_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_half_written_last_row_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("metrics.csv"), "step,loss\n0,1.5\n1,0.75\n2,0.3").unwrap();
        assert_eq!(metrics_columns(dir.path(), &["step", "loss"]).unwrap(), vec![vec![0.0, 1.0], vec![1.5, 0.75]]);
        let c = metrics_curves(dir.path(), "step", &["loss"], 400).unwrap();
        assert_eq!(c[0], vec![(0.0, 1.5), (1.0, 0.75)]);
        // A row cut between fields (a different field count) is not an error either.
        std::fs::write(dir.path().join("metrics.csv"), "step,loss,lr\n0,1.5,0.1\n1,0.7").unwrap();
        assert_eq!(metrics_columns(dir.path(), &["loss"]).unwrap(), vec![vec![1.5]]);
        assert_eq!(last_logged_step(dir.path()), Some(0));
    }

    #[test]
    fn curves_are_decimated_keeping_ends_and_extremes() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("step,loss,val_loss\n");
        for k in 0..10_000 {
            let loss = if k == 5_003 { 1e9 } else { 1.0 / (k as f64 + 1.0) };
            text += &format!("{k},{loss},\n");
        }
        std::fs::write(dir.path().join("metrics.csv"), text).unwrap();
        let c = metrics_curves(dir.path(), "step", &["loss", "val_loss"], 400).unwrap();
        assert!(c[0].len() <= 400 && c[0].len() >= 200, "{}", c[0].len());
        assert_eq!(c[0][0], (0.0, 1.0));
        assert_eq!(c[0].last().unwrap().0, 9_999.0);
        assert!(c[0].contains(&(5_003.0, 1e9)), "a spike survives");
        assert!(c[0].windows(2).all(|w| w[0].0 < w[1].0), "row order");
        assert!(c[1].is_empty(), "an empty column gives no points");
    }

    #[test]
    fn run_ids_are_unique_and_sortable() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_run_dir(dir.path(), "e", None).unwrap().dir;
        let b = create_run_dir(dir.path(), "e", None).unwrap().dir;
        assert_ne!(a, b);
        assert!(a.file_name() < b.file_name() || b.to_string_lossy().starts_with(&*a.to_string_lossy()));
    }

    #[test]
    fn exact_out_dir_must_be_new_or_empty() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let first = create_run_dir(dir.path(), "e", Some(&out)).unwrap();
        // While a process holds it, nobody else may claim or resume it.
        assert!(matches!(create_run_dir(dir.path(), "e", Some(&out)), Err(ClaimError::Busy(_))));
        assert!(matches!(RunFolder::lock(&out), Err(ClaimError::Busy(_))));
        std::fs::write(out.join("x"), "1").unwrap();
        drop(first);
        assert!(matches!(create_run_dir(dir.path(), "e", Some(&out)), Err(ClaimError::NotEmpty(_))));
        // Under a regular file: a clear error naming the path.
        let under = out.join("x").join("run");
        let e = create_run_dir(dir.path(), "e", Some(&under)).unwrap_err().to_string();
        assert!(e.contains(&*under.display().to_string()), "{e}");
    }
}
