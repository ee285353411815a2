//! `checkpoint.bin` in a run folder: everything `gdlab train --resume` needs to continue a run
//! exactly where it stopped, in one file written atomically (so parameters, optimiser state
//! and loop state can never come from different steps).
//!
//! Layout: the magic line `GDLABCK1\n`, a little-endian u64 length and a JSON header (loop
//! state, batch-order generator position, the length of metrics.csv at this step, sizes), then
//! the model's burnpack bytes, then the optimiser's (empty without momentum).

use crate::error::GdlabError;
use crate::run::artifacts;
use crate::train::{Checkpoint, LoopState, StopReason};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE: &str = "checkpoint.bin";
const MAGIC: &[u8] = b"GDLABCK1\n";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// Updates applied at this checkpoint (also in `state`, here for readers).
    pub step: usize,
    pub state: LoopState,
    pub stop: Option<StopReason>,
    pub diverged_at: Option<usize>,
    /// u128 as a decimal string (JSON numbers stop at 64 bits).
    pub rng_word_pos: String,
    /// Bytes of metrics.csv that belong to the steps before `step`: a resume truncates the
    /// file here, dropping rows written after the checkpoint.
    pub metrics_len: u64,
    /// Seconds of training up to this checkpoint, over every resume (summary.json's wall time
    /// adds the time after it).
    #[serde(default)]
    pub wall_time_s: f64,
    /// `Splits::fingerprint` of the data trained on.
    #[serde(default)]
    pub data_sha256: String,
    pub order: Option<Vec<u32>>,
    pub model_bytes: u64,
    pub optimizer_bytes: u64,
    /// SHA-256 of the model and optimiser bytes that follow: a damaged file is refused, not
    /// resumed from wrong numbers (empty in files written before it existed).
    #[serde(default)]
    pub payload_sha256: String,
}

/// Writes `c` as `dir/checkpoint.bin` (atomically: temp file, fsync, rename).
pub fn write(dir: &Path, c: &Checkpoint, metrics_len: u64, wall_time_s: f64, data_sha256: &str) -> Result<(), GdlabError> {
    let header = Header {
        step: c.state.step,
        state: c.state.clone(),
        stop: c.stop,
        diverged_at: c.diverged_at,
        rng_word_pos: c.rng_word_pos.to_string(),
        metrics_len,
        wall_time_s,
        data_sha256: data_sha256.to_string(),
        order: c.order.clone(),
        model_bytes: c.model.len() as u64,
        optimizer_bytes: c.optimizer.len() as u64,
        payload_sha256: crate::run::sha256(&[&c.model, &c.optimizer]),
    };
    let json = serde_json::to_vec(&header).map_err(|e| GdlabError::Runtime(format!("cannot encode the checkpoint: {e}")))?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + 8 + json.len() + c.model.len() + c.optimizer.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&c.model);
    bytes.extend_from_slice(&c.optimizer);
    artifacts::write_atomic(&dir.join(FILE), &bytes).map_err(GdlabError::io(format!("cannot write {}", dir.join(FILE).display())))
}

/// Reads `dir/checkpoint.bin`: None when the folder has none.
pub fn read(dir: &Path) -> Result<Option<(Header, Checkpoint)>, GdlabError> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(GdlabError::io(format!("cannot read {}", path.display()))(e)),
    };
    let bad = |what: &str| GdlabError::Runtime(format!("{}: not a gdlab checkpoint ({what})", path.display()));
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(|| bad("wrong magic"))?;
    let (len, rest) = rest.split_at_checked(8).ok_or_else(|| bad("truncated"))?;
    let len = u64::from_le_bytes(len.try_into().map_err(|_| bad("truncated"))?) as usize;
    let (json, rest) = rest.split_at_checked(len).ok_or_else(|| bad("truncated header"))?;
    let header: Header = serde_json::from_slice(json).map_err(|e| bad(&format!("header: {e}")))?;
    let (model, optimizer) = rest.split_at_checked(header.model_bytes as usize).ok_or_else(|| bad("truncated model"))?;
    if optimizer.len() as u64 != header.optimizer_bytes {
        return Err(bad("optimiser state has the wrong length"));
    }
    if !header.payload_sha256.is_empty() && header.payload_sha256 != crate::run::sha256(&[model, optimizer]) {
        return Err(GdlabError::Runtime(format!(
            "{}: the checkpoint is damaged (its parameters do not match their SHA-256)\n  hint: the file was changed after it was written; train the run again",
            path.display()
        )));
    }
    let checkpoint = Checkpoint {
        state: header.state.clone(),
        stop: header.stop,
        diverged_at: header.diverged_at,
        model: model.to_vec(),
        optimizer: optimizer.to_vec(),
        order: header.order.clone(),
        rng_word_pos: header.rng_word_pos.parse().map_err(|_| bad("generator position"))?,
    };
    Ok(Some((header, checkpoint)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Checkpoint {
        Checkpoint {
            state: LoopState {
                step: 7,
                stall: 2,
                last_loss: Some(0.1 + 0.2),
                start_loss: Some(25.0),
                probe: Some(crate::train::TaylorProbe {
                    grad: vec![1e-300, -3.5],
                    params: vec![f64::MIN_POSITIVE, 2.0 / 3.0],
                    loss: 1.0 / 7.0,
                }),
            },
            stop: Some(StopReason::Interrupted),
            diverged_at: None,
            model: vec![1, 2, 3],
            optimizer: vec![9; 5],
            order: Some(vec![2, 0, 1]),
            rng_word_pos: u128::MAX - 3,
        }
    }

    #[test]
    fn round_trips_every_bit() {
        let dir = tempfile::tempdir().unwrap();
        let c = sample();
        write(dir.path(), &c, 1234, 2.5, "abc").unwrap();
        let (h, back) = read(dir.path()).unwrap().unwrap();
        assert_eq!((h.metrics_len, h.wall_time_s, h.data_sha256.as_str()), (1234, 2.5, "abc"));
        assert_eq!(back.state, c.state);
        let probe = back.state.probe.as_ref().unwrap();
        assert_eq!(probe.loss.to_bits(), (1.0f64 / 7.0).to_bits());
        assert_eq!((back.model, back.optimizer, back.order, back.rng_word_pos), (c.model, c.optimizer, c.order, c.rng_word_pos));
    }

    #[test]
    fn missing_is_none_and_truncated_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_none());
        write(dir.path(), &sample(), 0, 0.0, "").unwrap();
        let p = dir.path().join(FILE);
        let bytes = std::fs::read(&p).unwrap();
        std::fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("checkpoint.bin") && e.contains("wrong length"), "{e}");
    }

    #[test]
    fn a_flipped_parameter_byte_or_a_diverged_state_is_handled() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = sample();
        // A diverged run's state holds infinities: they must come back, not fail to parse.
        c.state.last_loss = Some(f64::INFINITY);
        write(dir.path(), &c, 0, 0.0, "").unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap().1.state.last_loss, Some(f64::INFINITY));
        let p = dir.path().join(FILE);
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() - c.optimizer.len() - 2; // inside the model bytes
        bytes[at] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("checkpoint.bin") && e.contains("damaged"), "{e}");
    }
}
