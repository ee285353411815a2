//! What a run will need in memory, estimated before anything large is allocated, and the
//! budget it must fit: `data.n = 4294967296` must be a clear refusal, not an abort after the
//! machine starts swapping.

use crate::config::DType;
use crate::config::spec::{Architecture, Spec};
use crate::error::GdlabError;

const MIB: f64 = 1024.0 * 1024.0;

/// This process's peak resident memory so far, MiB: the kernel's high-water mark of its own
/// address space (VmHWM, Linux), which starts afresh at exec. (A parent's `wait4` figure is
/// not that: it also counts the parent's memory, which the child shared until its exec.)
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kib: f64 = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?.split_whitespace().next()?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Bytes, by what they hold.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub data: f64,
    pub parameters: f64,
    pub activations: f64,
}

impl Estimate {
    /// `layers`: sizes from the inputs to the outputs; `batch`: rows per update.
    ///
    /// - data: rows x (inputs + outputs) values twice on the host in f64 (as loaded, and the
    ///   split and standardised copy), and twice in the device's dtype (the upload buffer, a
    ///   column-major one for full batches, and the tensor);
    /// - parameters: value, gradient, momentum and a serialised copy (checkpoints);
    /// - activations: per layer, a batch's pre-activations and activations, forward and
    ///   backward, and the same again for the full-set evaluation of each logged row.
    pub fn new(rows: usize, layers: &[usize], batch: usize, dtype: DType) -> Self {
        let width = match dtype {
            DType::F32 => 4.0,
            DType::F64 => 8.0,
        };
        let (rows, batch) = (rows as f64, batch as f64);
        let io = (layers[0] + layers[layers.len() - 1]) as f64;
        let units: f64 = layers.iter().map(|&s| s as f64).sum();
        let params: f64 = layers.windows(2).map(|p| (p[0] as f64 + 1.0) * p[1] as f64).sum();
        Self {
            data: rows * io * (2.0 * 8.0 + 2.0 * width),
            parameters: params * width * 4.0,
            activations: (batch + rows) * units * width * 4.0,
        }
    }

    pub fn total(&self) -> f64 {
        self.data + self.parameters + self.activations
    }
}

/// This machine's memory in MiB (Linux `/proc/meminfo`).
pub fn machine_mib() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = text.lines().find_map(|l| l.strip_prefix("MemTotal:"))?.trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib / 1024)
}

/// The budget: `backend.memory_limit_mib`, else half of this machine's memory (4 GiB when it
/// cannot be read).
pub fn limit_mib(spec: &Spec) -> u64 {
    spec.backend.memory_limit_mib.unwrap_or_else(|| machine_mib().map_or(4096, |m| m / 2))
}

fn mib(bytes: f64) -> String {
    let m = bytes / MIB;
    if m >= 10.0 * 1024.0 {
        format!("{:.0} GiB", m / 1024.0)
    } else if m >= 1.0 {
        format!("{m:.0} MiB")
    } else {
        "under 1 MiB".into()
    }
}

/// Refuses (exit 2, blaming `key`) a run on `rows` rows of `dims` inputs and `outputs` targets
/// that would not fit the budget.
pub fn check(spec: &Spec, rows: usize, dims: usize, outputs: usize, key: &str) -> Result<Estimate, GdlabError> {
    let layers = match &spec.model.shape {
        Architecture::Neuron { .. } => vec![dims, outputs],
        Architecture::Mlp { layers, .. } => layers.clone(),
    };
    let e = Estimate::new(rows, &layers, spec.descent.schedule.batch_rows(rows), spec.backend.dtype);
    let limit = limit_mib(spec);
    if e.total() > limit as f64 * MIB {
        return Err(GdlabError::Input(format!(
            "key `{key}`: this run would need about {} of memory ({} data, {} parameters, {} activations), above the budget of {}\n  hint: use fewer rows, features or units, or raise backend.memory_limit_mib (default: half of this machine's memory)",
            mib(e.total()),
            mib(e.data),
            mib(e.parameters),
            mib(e.activations),
            mib(limit as f64 * MIB)
        )));
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimate_counts_what_a_run_holds() {
        // 1000 rows of 3 inputs and 1 output, a 3-4-1 net in f32, full batch.
        let e = Estimate::new(1000, &[3, 4, 1], 1000, DType::F32);
        assert_eq!(e.data, 1000.0 * 4.0 * (16.0 + 8.0));
        assert_eq!(e.parameters, ((3 + 1) * 4 + (4 + 1)) as f64 * 4.0 * 4.0);
        assert_eq!(e.activations, 2000.0 * 8.0 * 4.0 * 4.0);
        // Huge row counts stay finite numbers (no overflow before the check).
        assert!(Estimate::new(usize::MAX, &[1, 1], usize::MAX, DType::F64).total().is_finite());
    }
}
