//! `checkpoint.bin` in a run folder: everything `gdlab train --resume` needs to continue a run
//! exactly where it stopped, in one file written atomically (so parameters, optimiser state
//! and loop state can never come from different steps).
//!
//! Layout: the magic line `GDLABCK2\n`, a little-endian u64 length and a JSON header (loop
//! state, batch-order generator position, the length and SHA-256 of metrics.csv at this step,
//! the config the run was trained with, sizes), then the model's burnpack bytes, then the
//! optimiser's (empty without momentum), then the SHA-256 of everything before it (32 bytes).
//! The trailing hash covers the header too: a changed step or generator position is damage,
//! refused before any of it is trusted.

use crate::error::GdlabError;
use crate::run::artifacts;
use crate::train::{Checkpoint, LoopState, StopReason};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const FILE: &str = "checkpoint.bin";
const MAGIC: &[u8] = b"GDLABCK2\n";
/// The first format, whose hash covered the parameters only: refused, since its header (step,
/// generator position, metrics length) cannot be verified.
const MAGIC_V1: &[u8] = b"GDLABCK1\n";
const DIGEST_LEN: usize = 32;

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
    /// SHA-256 of those bytes: a resume refuses a metrics.csv that was cut or edited.
    pub metrics_sha256: String,
    /// The run's config.toml (without its comment lines) when the checkpoint was written: a
    /// resume refuses a folder whose config was edited since in a key it may not change.
    pub config: String,
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
}

/// What the run folder adds to the trainer's state in a checkpoint.
pub struct FolderState<'a> {
    pub metrics_len: u64,
    pub metrics_sha256: String,
    pub wall_time_s: f64,
    pub data_sha256: &'a str,
    pub config: &'a str,
}

/// Writes `c` as `dir/checkpoint.bin` (atomically: temp file, fsync, rename).
pub fn write(dir: &Path, c: &Checkpoint, folder: &FolderState) -> Result<(), GdlabError> {
    let header = Header {
        step: c.state.step,
        state: c.state.clone(),
        stop: c.stop,
        diverged_at: c.diverged_at,
        rng_word_pos: c.rng_word_pos.to_string(),
        metrics_len: folder.metrics_len,
        metrics_sha256: folder.metrics_sha256.clone(),
        config: folder.config.to_string(),
        wall_time_s: folder.wall_time_s,
        data_sha256: folder.data_sha256.to_string(),
        order: c.order.clone(),
        model_bytes: c.model.len() as u64,
        optimizer_bytes: c.optimizer.len() as u64,
    };
    let json = serde_json::to_vec(&header).map_err(|e| GdlabError::Runtime(format!("cannot encode the checkpoint: {e}")))?;
    let mut bytes = Vec::with_capacity(MAGIC.len() + 8 + json.len() + c.model.len() + c.optimizer.len() + DIGEST_LEN);
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&(json.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&json);
    bytes.extend_from_slice(&c.model);
    bytes.extend_from_slice(&c.optimizer);
    let digest = digest(&bytes);
    bytes.extend_from_slice(&digest);
    artifacts::write_atomic(&dir.join(FILE), &bytes).map_err(GdlabError::io(format!("cannot write {}", dir.join(FILE).display())))
}

fn digest(bytes: &[u8]) -> [u8; DIGEST_LEN] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}

/// Reads `dir/checkpoint.bin`: None when the folder has none. The whole file is verified
/// against its trailing SHA-256 before any of it is read; damage is an error (exit 1) naming
/// the file.
pub fn read(dir: &Path) -> Result<Option<(Header, Checkpoint)>, GdlabError> {
    let path = dir.join(FILE);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(GdlabError::io(format!("cannot read {}", path.display()))(e)),
    };
    let damaged = |what: &str| {
        GdlabError::Runtime(format!(
            "{}: the checkpoint is damaged ({what})
  hint: the file was changed or cut after gdlab wrote it; delete checkpoint.bin to train the run again from step 0 with gdlab train --resume {}, or start a new run",
            path.display(),
            dir.display()
        ))
    };
    if bytes.starts_with(MAGIC_V1) {
        return Err(GdlabError::Runtime(format!(
            "{}: written by an older gdlab, whose checkpoints cannot be verified whole
  hint: delete checkpoint.bin to train the run again from step 0 with gdlab train --resume {}, or start a new run",
            path.display(),
            dir.display()
        )));
    }
    let body = bytes.strip_prefix(MAGIC).ok_or_else(|| damaged("it does not start as a gdlab checkpoint"))?;
    let (body, stored) = body.split_at_checked(body.len().saturating_sub(DIGEST_LEN)).ok_or_else(|| damaged("truncated"))?;
    if stored.len() != DIGEST_LEN || digest(&bytes[..MAGIC.len() + body.len()]) != stored {
        return Err(damaged("its contents do not match their SHA-256"));
    }
    // Verified: what follows can only fail on a file gdlab itself wrote wrongly.
    let (len, rest) = body.split_at_checked(8).ok_or_else(|| damaged("truncated"))?;
    let len = u64::from_le_bytes(len.try_into().map_err(|_| damaged("truncated"))?) as usize;
    let (json, rest) = rest.split_at_checked(len).ok_or_else(|| damaged("truncated header"))?;
    let header: Header = serde_json::from_slice(json).map_err(|e| damaged(&format!("header: {e}")))?;
    let (model, optimizer) = rest.split_at_checked(header.model_bytes as usize).ok_or_else(|| damaged("truncated model"))?;
    if optimizer.len() as u64 != header.optimizer_bytes {
        return Err(damaged("optimiser state has the wrong length"));
    }
    let checkpoint = Checkpoint {
        state: header.state.clone(),
        stop: header.stop,
        diverged_at: header.diverged_at,
        model: model.to_vec(),
        optimizer: optimizer.to_vec(),
        order: header.order.clone(),
        rng_word_pos: header.rng_word_pos.parse().map_err(|_| damaged("generator position"))?,
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

    fn folder(metrics_len: u64) -> FolderState<'static> {
        FolderState { metrics_len, metrics_sha256: "0f".into(), wall_time_s: 2.5, data_sha256: "abc", config: "[a]\nb = 1\n" }
    }

    #[test]
    fn round_trips_every_bit() {
        let dir = tempfile::tempdir().unwrap();
        let c = sample();
        write(dir.path(), &c, &folder(1234)).unwrap();
        let (h, back) = read(dir.path()).unwrap().unwrap();
        assert_eq!((h.metrics_len, h.wall_time_s, h.data_sha256.as_str()), (1234, 2.5, "abc"));
        assert_eq!((h.metrics_sha256.as_str(), h.config.as_str()), ("0f", "[a]\nb = 1\n"));
        assert_eq!(back.state, c.state);
        let probe = back.state.probe.as_ref().unwrap();
        assert_eq!(probe.loss.to_bits(), (1.0f64 / 7.0).to_bits());
        assert_eq!((back.model, back.optimizer, back.order, back.rng_word_pos), (c.model, c.optimizer, c.order, c.rng_word_pos));
    }

    #[test]
    fn missing_is_none_and_truncated_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(dir.path()).unwrap().is_none());
        write(dir.path(), &sample(), &folder(0)).unwrap();
        let p = dir.path().join(FILE);
        let bytes = std::fs::read(&p).unwrap();
        for cut in [1, 40, bytes.len() - 3] {
            std::fs::write(&p, &bytes[..bytes.len() - cut]).unwrap();
            let e = read(dir.path()).unwrap_err();
            assert!(e.to_string().contains("checkpoint.bin") && e.to_string().contains("damaged"), "{e}");
            assert_eq!(e.exit_code(), 1);
        }
    }

    #[test]
    fn every_flipped_byte_is_damage_header_included() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), &sample(), &folder(99)).unwrap();
        let p = dir.path().join(FILE);
        let good = std::fs::read(&p).unwrap();
        for at in 0..good.len() {
            let mut bytes = good.clone();
            bytes[at] ^= 0x10;
            std::fs::write(&p, &bytes).unwrap();
            let e = read(dir.path()).expect_err("a changed byte is refused");
            assert_eq!(e.exit_code(), 1, "byte {at}: {e}");
        }
        let mut old = good.clone();
        old[..MAGIC_V1.len()].copy_from_slice(MAGIC_V1);
        std::fs::write(&p, &old).unwrap();
        assert!(read(dir.path()).unwrap_err().to_string().contains("older gdlab"));
    }

    #[test]
    fn a_flipped_parameter_byte_or_a_diverged_state_is_handled() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = sample();
        // A diverged run's state holds infinities: they must come back, not fail to parse.
        c.state.last_loss = Some(f64::INFINITY);
        write(dir.path(), &c, &folder(0)).unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap().1.state.last_loss, Some(f64::INFINITY));
        let p = dir.path().join(FILE);
        let mut bytes = std::fs::read(&p).unwrap();
        let at = bytes.len() - DIGEST_LEN - c.optimizer.len() - 2; // inside the model bytes
        bytes[at] ^= 1;
        std::fs::write(&p, &bytes).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("checkpoint.bin") && e.contains("damaged"), "{e}");
    }
}
