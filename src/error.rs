//! gdlab's error type and its exit codes.
//!
//! Exit codes (documented in docs/cli.md): 0 success; 1 a failure while running (I/O, a checkpoint
//! that does not load); 2 bad input (config, data, command line); 3 the run diverged (its files
//! are kept); 4 a check failed (gradcheck disagreement); 130 interrupted by Ctrl-C (files kept; 143 for SIGTERM and 129 for SIGHUP, see cli).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum GdlabError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Data(#[from] crate::data::DataError),
    #[error(transparent)]
    Model(#[from] crate::nn::model::ModelError),
    #[error(transparent)]
    Loss(#[from] crate::nn::loss::LossError),
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
    /// An output folder that is not new, is in use, or cannot be made (bad --out).
    #[error(transparent)]
    Folder(#[from] crate::run::artifacts::ClaimError),
    /// Bad input found outside the config/data parsers (e.g. a run folder that is not one).
    #[error("{0}")]
    Input(String),
    #[error("{context}: {source}")]
    Io { context: String, source: std::io::Error },
    #[error("{0}")]
    Runtime(String),
    /// A stop signal came while this was running (before anything was written); the CLI exits
    /// with 128 + the signal.
    #[error("stopped by a signal while {0}; nothing was written")]
    Interrupted(&'static str),
    /// The device stopped answering mid-run (exit 1); the caller adds where the run's files are.
    #[error("the device {device} stopped answering: {message}")]
    DeviceLost { device: String, message: String },
}

impl GdlabError {
    pub fn exit_code(&self) -> i32 {
        match self {
            GdlabError::Io { .. } | GdlabError::Runtime(_) | GdlabError::DeviceLost { .. } => 1,
            GdlabError::Backend(e) => e.exit_code(),
            GdlabError::Interrupted(_) => EXIT_INTERRUPTED,
            _ => 2,
        }
    }

    pub fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> GdlabError {
        let context = context.into();
        move |source| GdlabError::Io { context, source }
    }
}

pub const EXIT_DIVERGED: i32 = 3;
pub const EXIT_CHECK_FAILED: i32 = 4;
pub const EXIT_INTERRUPTED: i32 = 130;
