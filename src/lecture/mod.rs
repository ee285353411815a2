//! `gdlab lecture`: the claims of the lecture (경사하강법), in lecture order, as runs, figures and
//! verdicts computed from the measured numbers, in Korean and English: REPORT.ko.md,
//! REPORT.md, index.html (both, with a switch) and lecture.json.
//!
//! - `claims/`: one file per claim: its runs, its numbers, its figures, and whether it holds.
//!   No sentence is written there.
//! - `text/ko.toml`, `text/en.toml`: every sentence, as a template filled from a claim's
//!   numbers (`text.rs`), so both languages state the same numbers.
//! - `report.rs`: the Markdown and HTML reports and lecture.json.
//! - `lab.rs`: running the lecture's configs into the report folder, and reading runs back.
//! - `analysis.rs`: the numerical checks the claims share (curvature, the least-squares Hessian).
//!
//! tests/it/lecture.rs checks each claim on the runs independently of this code's thresholds.

mod analysis;
mod claims;
mod lab;
mod report;
mod text;

pub use analysis::{CURVATURE, EndPoint, FLAT_GRADIENT, classify, curvature, lambda_max};

use crate::error::GdlabError;
use crate::run::artifacts;
use lab::Lab;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The shipped configs the lecture runs (embedded, so the report can be made from any
/// directory); each is written into the report's configs/ under its file name.
const CONFIGS: &[&str] = &[
    "configs/lecture/parabola.toml",
    "configs/lecture/least_squares.toml",
    "configs/lecture/bias_sigmoid.toml",
    "configs/lecture/saturated_start.toml",
    "configs/lecture/outliers.toml",
    "configs/lecture/error_area.toml",
    "configs/lecture/sigmoid_surface.toml",
    "configs/lecture/gates.toml",
    "configs/lecture/noisy_blobs.toml",
    "configs/lecture/two_valleys.toml",
    "configs/xor_mlp.toml",
    "configs/linear_regression.toml",
];

/// A sentence in the lecture's language and in English. Verdicts fill both templates from the
/// same measured numbers (tests/lecture.rs checks that the numbers agree).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

/// The report's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Korean: REPORT.ko.md.
    Ko,
    /// English: REPORT.md.
    En,
    /// Both reports, and index.html with a language switch.
    Both,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        if lang == Lang::Ko { &self.ko } else { &self.en }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: &'static str,
    /// The lecture's teaching points this claim shows (numbers of ../shared/lecture's list).
    pub points: &'static [u32],
    /// A short quote of the lecture naming the point.
    pub quote: &'static str,
    pub title: Text,
    pub statement: Text,
    /// Filled in from the measurements.
    pub verdict: Text,
    /// Whether the measurements support the statement.
    pub holds: bool,
    /// The claim's figures, each in both languages, with captions.
    pub figures: Vec<lab::Figure>,
    /// The lecture's chapter, what a teacher adds (caveats, the lecture's slips), where to try
    /// it (a live-lab page, a command), and questions with their answers.
    pub chapter: Text,
    pub caution: Text,
    pub try_page: Text,
    pub try_command: Text,
    pub questions: Vec<Question>,
    pub numbers: serde_json::Value,
}

/// A check question at the end of a section, with its answer.
#[derive(Debug, Clone, Serialize)]
pub struct Question {
    pub question: Text,
    pub answer: Text,
}

/// One lecture claim: its runs, figure and verdict.
type ClaimStep = fn(&Lab) -> Result<Claim, GdlabError>;

/// The claims in report order, the lecture's order of teaching points: adding one is a file in
/// claims/, its table in both text files, and an entry here.
const STEPS: &[ClaimStep] = &[
    claims::bias::claim,
    claims::mse_mae::claim,
    claims::cross_entropy::claim,
    claims::parabola::claim,
    claims::learning_rate::claim,
    claims::surface::claim,
    claims::taylor::claim,
    claims::perceptron::claim,
    claims::local_minima::claim,
];

/// How many claims the report holds.
pub const CLAIM_COUNT: usize = STEPS.len();

/// Runs every claim and writes the report into `out` (default `artifacts/lecture`). An earlier
/// report there is kept aside while the new one is made and restored if it fails.
/// `configs`: a folder whose files (named as in the report's configs/, e.g. xor_mlp.toml) replace
/// the shipped ones, to run the lecture on changed experiments; the others stay shipped.
pub fn lecture(out: Option<&Path>, lang: Lang, configs: Option<&Path>) -> Result<(PathBuf, Vec<Claim>), GdlabError> {
    // Bad input is refused before anything is moved or written.
    if let Some(dir) = configs {
        let known: Vec<&str> = CONFIGS.iter().filter_map(|p| Path::new(p).file_name()?.to_str()).collect();
        let entries = std::fs::read_dir(dir).map_err(GdlabError::io(format!("cannot read --configs {}", dir.display())))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !known.contains(&name.as_str()) {
                return Err(GdlabError::Input(format!(
                    "--configs {}: {name} is not one of the lecture's configs\n  hint: name a file as in the report's configs/: {}",
                    dir.display(),
                    known.join(", ")
                )));
            }
        }
    }
    let target = out.map_or_else(|| PathBuf::from("artifacts/lecture"), Path::to_path_buf);
    // The previous report steps aside until the new one is complete, and comes back on failure.
    let previous = target.with_file_name(format!(
        ".{}.previous-{}",
        target.file_name().and_then(|n| n.to_str()).unwrap_or("lecture"),
        std::process::id()
    ));
    if target.exists() {
        std::fs::rename(&target, &previous).map_err(GdlabError::io("cannot move the previous report aside"))?;
    }
    let restore = |e: GdlabError| {
        let _ = std::fs::remove_dir_all(&target);
        if previous.exists() {
            let _ = std::fs::rename(&previous, &target);
        }
        e
    };
    let work = target.clone();
    std::fs::create_dir_all(work.join("configs")).map_err(GdlabError::io("cannot create the report folder")).map_err(restore)?;
    for path in CONFIGS {
        let shipped = crate::config::shipped::get(path)
            .ok_or_else(|| GdlabError::Runtime(format!("{path} is not embedded in this binary")))
            .map_err(restore)?;
        let name = Path::new(path).file_name().unwrap_or_default();
        let text = match configs.map(|dir| dir.join(name)).filter(|p| p.exists()) {
            Some(own) => {
                std::fs::read_to_string(&own).map_err(GdlabError::io(format!("cannot read {}", own.display()))).map_err(restore)?
            }
            None => shipped.text.to_string(),
        };
        artifacts::write_atomic(&work.join("configs").join(name), text.as_bytes())
            .map_err(GdlabError::io("cannot write a lecture config"))
            .map_err(restore)?;
    }
    let lab = Lab::new(work.clone());
    let mut claims = Vec::new();
    for step in STEPS {
        claims.push(step(&lab).map_err(restore)?);
    }
    let claims = report::write(&work, &claims, lang).map_err(restore)?;
    if previous.exists() {
        let _ = std::fs::remove_dir_all(&previous);
    }
    Ok((target, claims))
}
