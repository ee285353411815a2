//! Data sets: CSV files and synthetic generators, the train/validation split and
//! standardisation. Everything here is host-side f64; the device sees it only at upload.

pub mod csv;
pub mod shipped;
pub mod synthetic;

use crate::config::spec::{CsvFile, DataSource};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum DataError {
    #[error("cannot read data file {path}: {source}\n  hint: data paths are relative to the config file")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "key `data.path`: cannot read `{given}` (looked for {}): {source}\n  hint: data.path is relative to the folder of the config file; a shipped data set is named with data.dataset = \"iris\" instead (gdlab list shows them)",
        path.display()
    )]
    ReadConfigured { given: String, path: PathBuf, source: std::io::Error },
    #[error("{path}:{line}: malformed CSV: {message}")]
    Malformed { path: PathBuf, line: usize, message: String },
    #[error("{path}:{line}: column `{column}`: {problem}\n  hint: every cell of a used column must be a number")]
    Cell { path: PathBuf, line: usize, column: String, problem: String },
    #[error("{path}: no column named `{name}` (asked for by data.{key}){suggestion}\n  columns: {available}")]
    UnknownColumn { path: PathBuf, name: String, key: String, suggestion: String, available: String },
    #[error("{origin}: the data set has no rows\n  hint: {hint}")]
    Empty { origin: String, hint: String },
    #[error(
        "{origin}: {row}: target is {value}, but loss = \"bce\" needs targets 0 or 1\n  hint: map classes to 0/1 with data.positive = [...] (values that become 1), or use loss = \"mse\""
    )]
    NotBinary { origin: String, row: String, value: f64 },
    #[error(
        "{origin}: {row}: target is {value}, but loss = \"cross_entropy\" needs a class index 0..{classes} (the model has {classes} outputs)\n  hint: number the classes 0, 1, ... and make the last layer size the number of classes"
    )]
    NotAClass { origin: String, row: String, value: f64, classes: usize },
    #[error("{what}\n  hint: {hint}")]
    Invalid { what: String, hint: String },
    #[error("{path}:1: column `{name}` appears more than once (columns {first} and {again})\n  hint: give every column its own name")]
    DuplicateColumn { path: PathBuf, name: String, first: usize, again: usize },
    #[error(
        "{origin}: {row}: {column} is {value:e}, beyond the range of f32 (about 3.4e38)\n  hint: rescale the column, or set backend.dtype = \"f64\""
    )]
    BeyondF32 { origin: String, row: String, column: String, value: f64 },
}

/// Rows of features and targets, with their names and where each row came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub feature_names: Vec<String>,
    pub target_names: Vec<String>,
    /// Row-major, `len() * dims()` values.
    pub x: Vec<f64>,
    /// Row-major, `len() * outputs()` values.
    pub y: Vec<f64>,
    /// Per row, a human label of its origin ("line 7" of a CSV, "row 3" of a generator).
    pub origin: Vec<String>,
    /// The file or generator, for messages.
    pub name: String,
}

impl Dataset {
    pub fn len(&self) -> usize {
        self.origin.len()
    }
    pub fn is_empty(&self) -> bool {
        self.origin.is_empty()
    }
    /// Number of target columns.
    pub fn outputs(&self) -> usize {
        self.target_names.len()
    }
    pub fn dims(&self) -> usize {
        self.feature_names.len()
    }
    pub fn row(&self, i: usize) -> &[f64] {
        let d = self.dims();
        &self.x[i * d..(i + 1) * d]
    }

    /// The rows at `idx`, in that order.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let k = self.outputs();
        let mut x = Vec::with_capacity(idx.len() * self.dims());
        let mut y = Vec::with_capacity(idx.len() * k);
        for &i in idx {
            x.extend_from_slice(self.row(i));
            y.extend_from_slice(&self.y[i * k..(i + 1) * k]);
        }
        Dataset {
            feature_names: self.feature_names.clone(),
            target_names: self.target_names.clone(),
            x,
            y,
            origin: idx.iter().map(|&i| self.origin[i].clone()).collect(),
            name: self.name.clone(),
        }
    }

    /// Fails on the first target that is not exactly 0 or 1, naming its row.
    pub fn check_binary_targets(&self) -> Result<(), DataError> {
        match self.y.iter().position(|&v| v != 0.0 && v != 1.0) {
            Some(i) => {
                Err(DataError::NotBinary { origin: self.name.clone(), row: self.origin[i / self.outputs()].clone(), value: self.y[i] })
            }
            None => Ok(()),
        }
    }

    /// Fails on the first feature or target that f32 cannot hold (it would become inf on an f32
    /// device, and the run would be blamed on the learning rate).
    pub fn check_f32_range(&self) -> Result<(), DataError> {
        let (d, k) = (self.dims(), self.outputs());
        let beyond = |v: &f64| v.abs() > f64::from(f32::MAX);
        let at = |i: usize, width: usize, names: &[String]| (self.origin[i / width.max(1)].clone(), names[i % width.max(1)].clone());
        let found = match (self.x.iter().position(beyond), self.y.iter().position(beyond)) {
            (Some(i), _) => Some((at(i, d, &self.feature_names), self.x[i])),
            (None, Some(i)) => Some((at(i, k, &self.target_names), self.y[i])),
            (None, None) => None,
        };
        match found {
            Some(((row, column), value)) => Err(DataError::BeyondF32 { origin: self.name.clone(), row, column, value }),
            None => Ok(()),
        }
    }

    /// Fails on the first target that is not a class index in 0..classes.
    pub fn check_classes(&self, classes: usize) -> Result<(), DataError> {
        let bad = |v: f64| v.fract() != 0.0 || v < 0.0 || v >= classes as f64;
        match self.y.iter().position(|&v| bad(v)) {
            Some(i) => Err(DataError::NotAClass {
                origin: self.name.clone(),
                row: self.origin[i / self.outputs()].clone(),
                value: self.y[i],
                classes,
            }),
            None => Ok(()),
        }
    }
}

/// Per-feature mean and standard deviation of the training part, stored with the run so
/// evaluation applies exactly the same transform.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    pub mean: Vec<f64>,
    pub std: Vec<f64>,
    /// Features with no spread beyond rounding: centred, not scaled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub constant: Vec<usize>,
}

impl Standardiser {
    pub fn fit(data: &Dataset) -> Self {
        let (n, d) = (data.len() as f64, data.dims());
        let mut mean = vec![0.0; d];
        for i in 0..data.len() {
            for (m, v) in mean.iter_mut().zip(data.row(i)) {
                *m += v / n;
            }
        }
        let mut var = vec![0.0; d];
        for i in 0..data.len() {
            for ((s, v), m) in var.iter_mut().zip(data.row(i)).zip(&mean) {
                *s += (v - m) * (v - m) / n;
            }
        }
        // A constant column has no spread, but its computed std is rounding noise, not 0 (a
        // column of 1.0 gives about 4e-16), and dividing by it would blow any later change up by
        // 1e15. The two-pass mean and variance of n values carry a relative error below
        // n * eps, so a std under 8 n eps max(|mean|, 1) is rounding: such a column is constant
        // and keeps its scale.
        let floor = |m: f64| 8.0 * n * f64::EPSILON * m.abs().max(1.0);
        let constant: Vec<usize> = (0..d).filter(|&j| var[j].sqrt() <= floor(mean[j])).collect();
        let std = (0..d).map(|j| if constant.contains(&j) { 1.0 } else { var[j].sqrt() }).collect();
        Self { mean, std, constant }
    }

    pub fn apply(&self, data: &mut Dataset) {
        let d = data.dims();
        for (k, v) in data.x.iter_mut().enumerate() {
            let j = k % d;
            *v = (*v - self.mean[j]) / self.std[j];
        }
    }
}

/// Training and (possibly empty) validation rows, already standardised when asked.
#[derive(Debug, Clone)]
pub struct Splits {
    pub train: Dataset,
    pub validation: Option<Dataset>,
    pub standardiser: Option<Standardiser>,
}

impl Splits {
    /// SHA-256 (hex) of the column names and every value of both parts, in order: the data a
    /// checkpoint was trained on, so a resume can tell when the file changed.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut h = Sha256::new();
        for (tag, part) in [("train", Some(&self.train)), ("validation", self.validation.as_ref())] {
            let Some(d) = part else { continue };
            h.update(tag.as_bytes());
            for name in d.feature_names.iter().chain(&d.target_names) {
                h.update(name.as_bytes());
                h.update([0]);
            }
            for v in d.x.iter().chain(&d.y) {
                h.update(v.to_bits().to_le_bytes());
            }
        }
        format!("{:x}", h.finalize())
    }
}

/// Loads or generates the configured data set (`base_dir`: where the config file lives).
pub fn load(source: &DataSource, seed: u64, base_dir: &Path) -> Result<Dataset, DataError> {
    let data = match source {
        DataSource::Csv(c) => match &c.file {
            CsvFile::Path(p) => {
                csv::read(&base_dir.join(p), &c.targets, c.features.as_deref(), c.positive.as_deref()).map_err(|e| match e {
                    DataError::Read { path, source } => DataError::ReadConfigured {
                        given: p.display().to_string(),
                        path: std::path::absolute(&path).unwrap_or(path),
                        source,
                    },
                    e => e,
                })?
            }
            CsvFile::Shipped(d) => csv::parse(d.csv.as_bytes(), &d.origin(), &c.targets, c.features.as_deref(), c.positive.as_deref())?,
        },
        DataSource::Generated(g) => synthetic::generate(g, seed),
    };
    if data.is_empty() {
        return Err(DataError::Empty {
            origin: data.name,
            hint: "a CSV needs a header and at least one data row; a generator needs n >= 1".into(),
        });
    }
    Ok(data)
}

/// Seeded split into train/validation, then standardisation fitted on the training part.
pub fn split(data: Dataset, validation: f64, standardise: bool, seed: u64) -> Result<Splits, DataError> {
    let n = data.len();
    let n_val = (validation * n as f64).round() as usize;
    let (mut train, mut val) = if validation > 0.0 {
        if n_val == 0 || n_val >= n {
            return Err(DataError::Invalid {
                what: format!(
                    "data.validation = {validation} of {n} rows leaves {n_val} validation and {} training rows",
                    n - n_val.min(n)
                ),
                hint: "both parts need at least one row: change data.validation or use more rows".into(),
            });
        }
        let mut idx: Vec<usize> = (0..n).collect();
        // Its own stream, so the split does not move when other seeded draws change.
        idx.shuffle(&mut ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_5D11));
        let (v, t) = idx.split_at(n_val);
        (data.subset(t), Some(data.subset(v)))
    } else {
        (data, None)
    };
    let standardiser = standardise.then(|| Standardiser::fit(&train));
    if let Some(s) = &standardiser {
        s.apply(&mut train);
        if let Some(v) = val.as_mut() {
            s.apply(v);
        }
    }
    Ok(Splits { train, validation: val, standardiser })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n: usize) -> Dataset {
        Dataset {
            feature_names: vec!["a".into(), "b".into()],
            target_names: vec!["y".into()],
            x: (0..n * 2).map(|v| v as f64).collect(),
            y: (0..n).map(|v| (v % 2) as f64).collect(),
            origin: (0..n).map(|i| format!("row {}", i + 1)).collect(),
            name: "toy".into(),
        }
    }

    #[test]
    fn split_is_seeded_and_disjoint() {
        let a = split(toy(50), 0.2, false, 7).unwrap();
        let b = split(toy(50), 0.2, false, 7).unwrap();
        assert_eq!(a.train, b.train);
        let v = a.validation.unwrap();
        assert_eq!(v.len(), 10);
        assert_eq!(a.train.len(), 40);
        for o in &v.origin {
            assert!(!a.train.origin.contains(o));
        }
        let c = split(toy(50), 0.2, false, 8).unwrap();
        assert_ne!(c.train.origin, a.train.origin);
    }

    #[test]
    fn standardiser_uses_training_rows_only() {
        let s = split(toy(40), 0.25, true, 1).unwrap();
        let st = s.standardiser.unwrap();
        let t = &s.train;
        for j in 0..2 {
            let m: f64 = (0..t.len()).map(|i| t.row(i)[j]).sum::<f64>() / t.len() as f64;
            let v: f64 = (0..t.len()).map(|i| t.row(i)[j].powi(2)).sum::<f64>() / t.len() as f64;
            assert!(m.abs() < 1e-12 && (v - 1.0).abs() < 1e-12);
        }
        // Validation rows are transformed with the training statistics, not their own.
        let v = s.validation.unwrap();
        let raw = toy(40);
        let i = raw.origin.iter().position(|o| *o == v.origin[0]).unwrap();
        assert_eq!(v.row(0)[0], (raw.row(i)[0] - st.mean[0]) / st.std[0]);
    }

    #[test]
    fn validation_leaving_no_rows_is_an_error() {
        assert!(split(toy(2), 0.9, false, 1).is_err());
    }

    #[test]
    fn non_binary_target_names_its_row() {
        let mut d = toy(4);
        d.y[2] = 2.0;
        let e = d.check_binary_targets().unwrap_err().to_string();
        assert!(e.contains("row 3"), "{e}");
    }
}
