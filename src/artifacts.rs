//! The run folder: `<dir>/<experiment>/<run-id>/` with config.toml, metrics.csv,
//! summary.json, model.bpk and plots. Every file is written to a temporary name in the same
//! folder and renamed into place, so readers only ever see complete files.

use crate::train::Record;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` atomically (temp file in the same folder, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates a fresh run folder. With `exact`, that folder (which must not exist or be empty);
/// else `<root>/<name>/<UTC time>` with a suffix when two runs start in the same millisecond.
pub fn create_run_dir(root: &Path, name: &str, exact: Option<&Path>) -> std::io::Result<PathBuf> {
    if let Some(dir) = exact {
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                format!("{} exists and is not empty (choose another --out; gdlab never overwrites a run)", dir.display()),
            ));
        }
        std::fs::create_dir_all(dir)?;
        return Ok(dir.to_path_buf());
    }
    let parent = root.join(name);
    std::fs::create_dir_all(&parent)?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S-%3f").to_string();
    for k in 0.. {
        let id = if k == 0 { stamp.clone() } else { format!("{stamp}-{k}") };
        let dir = parent.join(id);
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    unreachable!()
}

/// metrics.csv: fixed columns, then one column per parameter when there are few.
/// Numbers use Rust's shortest round-trip formatting, so equal runs give equal bytes.
pub fn metrics_csv(records: &[Record], param_names: &[String]) -> Vec<u8> {
    let with_params = records.first().is_some_and(|r| !r.params.is_empty());
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = ["step", "epoch", "loss", "val_loss", "accuracy", "val_accuracy", "grad_norm", "lr", "predicted_dc", "actual_dc", "taylor_ratio"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    if with_params {
        header.extend(param_names.iter().cloned());
    }
    w.write_record(&header).expect("in-memory write");
    let opt = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    for r in records {
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
        if with_params {
            row.extend(r.params.iter().map(|p| p.to_string()));
        }
        w.write_record(&row).expect("in-memory write");
    }
    w.into_inner().expect("in-memory flush")
}

/// Named numeric columns of a run's metrics.csv (NaN for an empty cell). The error names the
/// file and a missing column.
pub fn metrics_columns(run: &Path, names: &[&str]) -> Result<Vec<Vec<f64>>, String> {
    let path = run.join("metrics.csv");
    let mut r = csv::Reader::from_path(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
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

/// summary.json.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Summary {
    pub experiment: String,
    pub final_loss: f64,
    pub final_val_loss: Option<f64>,
    pub final_accuracy: Option<f64>,
    pub final_val_accuracy: Option<f64>,
    pub steps: usize,
    pub epochs: usize,
    pub stop_reason: crate::train::StopReason,
    /// The step whose loss was not finite or passed `optimizer.diverge_above`.
    pub diverged_at_step: Option<usize>,
    pub parameters: crate::model::Parameters,
    pub parameter_names: Vec<String>,
    pub features: Vec<String>,
    pub targets: Vec<String>,
    pub train_rows: usize,
    pub validation_rows: usize,
    /// The transform applied to features (fitted on training rows), for `gdlab eval`.
    pub standardiser: Option<crate::data::Standardiser>,
    pub backend: String,
    pub dtype: String,
    pub seed: u64,
    pub wall_time_s: f64,
    pub gdlab_version: String,
    pub burn_version: String,
}

impl Summary {
    pub fn read(run_dir: &Path) -> Result<Self, String> {
        let path = run_dir.join("summary.json");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not a gdlab summary: {e}", path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"first").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn run_ids_are_unique_and_sortable() {
        let dir = tempfile::tempdir().unwrap();
        let a = create_run_dir(dir.path(), "e", None).unwrap();
        let b = create_run_dir(dir.path(), "e", None).unwrap();
        assert_ne!(a, b);
        assert!(a.file_name() < b.file_name() || b.to_string_lossy().starts_with(&*a.to_string_lossy()));
    }

    #[test]
    fn exact_out_dir_must_be_new_or_empty() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        create_run_dir(dir.path(), "e", Some(&out)).unwrap();
        std::fs::write(out.join("x"), "1").unwrap();
        assert!(create_run_dir(dir.path(), "e", Some(&out)).is_err());
    }
}
