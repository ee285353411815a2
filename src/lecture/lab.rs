//! Running the lecture's configs into the report folder, and reading the runs back.

use super::text::prose;
use super::{Claim, Lang};
use crate::commands::perceptron;
use crate::commands::sweep::RunRow;
use crate::config;
use crate::error::GdlabError;
use crate::report::plot::{self, LineChart};
use crate::run::artifacts;
use crate::run::{self, TrainOptions};
use minijinja::Value;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

pub struct Lab {
    pub dir: PathBuf,
    never: AtomicBool,
}

impl Lab {
    pub fn new(dir: PathBuf) -> Lab {
        Lab { dir, never: AtomicBool::new(false) }
    }

    /// The flag a lecture's runs watch for a stop: never set (a lecture runs to its end).
    pub fn never(&self) -> &AtomicBool {
        &self.never
    }

    pub fn config(&self, name: &str) -> PathBuf {
        self.dir.join("configs").join(format!("{name}.toml"))
    }

    /// Trains `name` with overrides into `<claim>/<run>`.
    pub fn train(&self, name: &str, sets: &[&str], claim: &str, run: &str) -> Result<RunRow, GdlabError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let loaded = config::load(&self.config(name), &sets)?;
        let out = self.dir.join(claim).join(run);
        run::train(loaded, &TrainOptions { out: Some(out.clone()), quiet: true }, &self.never)?;
        RunRow::read(run.to_string(), &out)
    }

    pub fn perceptron(&self, name: &str, sets: &[&str], claim: &str, run: &str) -> Result<RunRow, GdlabError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let loaded = config::load(&self.config(name), &sets)?;
        let out = self.dir.join(claim).join(run);
        perceptron::perceptron(loaded, Some(&out), &self.never)?;
        RunRow::read(run.to_string(), &out)
    }

    pub fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.dir).unwrap_or(p).with_extension("").display().to_string()
    }
}

/// A metrics column of a run (NaN where empty; empty when the column is missing).
pub fn column(run: &Path, name: &str) -> Vec<f64> {
    artifacts::metrics_columns(run, &[name]).map(|mut c| c.remove(0)).unwrap_or_default()
}

/// First logged step whose `col` satisfies `pred`.
pub fn first_step(run: &Path, col: &str, pred: impl Fn(f64) -> bool) -> Option<usize> {
    let steps = column(run, "step");
    column(run, col).iter().zip(&steps).find(|(v, _)| pred(**v)).map(|(_, s)| *s as usize)
}

/// A line chart at the report's figure size, written as `dir/stem.svg` and `dir/stem.png`.
pub fn line_figure(dir: &Path, stem: &str, chart: LineChart) -> Result<(), GdlabError> {
    plot::write(dir, stem, (900, 560), &chart).map_err(GdlabError::io(format!("cannot write the {stem} figure")))
}

/// How a run behaved: "diverges", "oscillates" (successive updates mostly point in opposite
/// directions), "slow" (the loss above `floor`, the best any run of the sweep reached, is
/// still more than 1e-3 of what it was at the start) or "converges".
pub fn behaviour(run: &Path, names: &[String], floor: f64) -> &'static str {
    let loss = column(run, "loss");
    let (first, last) = (loss[0], *loss.last().unwrap());
    if !last.is_finite() || last > first {
        return "diverges";
    }
    let cols: Vec<Vec<f64>> = names.iter().map(|n| column(run, n)).collect();
    let steps = cols[0].len();
    let delta = |k: usize| cols.iter().map(|c| c[k + 1] - c[k]).collect::<Vec<f64>>();
    let (mut flips, mut total) = (0, 0);
    for k in 0..steps.saturating_sub(2) {
        let (a, b) = (delta(k), delta(k + 1));
        let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        if dot != 0.0 {
            total += 1;
            flips += usize::from(dot < 0.0);
        }
    }
    if last - floor > (first - floor) * 1e-3 && flips * 2 <= total {
        "slow"
    } else if flips * 2 > total {
        "oscillates"
    } else {
        "converges"
    }
}

/// First step at which the loss's excess over `floor` (the best any rate reached) is at most
/// `fraction` of its excess at the start (None: never in the run).
pub fn steps_to_fraction(run: &Path, floor: f64, fraction: f64) -> Option<usize> {
    let first = column(run, "loss").first().copied()?;
    first_step(run, "loss", |l| l - floor <= (first - floor) * fraction)
}

/// A loss curve's steepest `window` consecutive steps: where they start, the share of the whole
/// fall (first minus last) they make, and the largest single step inside them as a share of
/// the window's own fall.
pub fn sudden_fall(loss: &[f64], window: usize) -> (usize, f64, f64) {
    let total = loss.first().copied().unwrap_or(f64::NAN) - loss.last().copied().unwrap_or(f64::NAN);
    let fall = |i: usize| loss[i] - loss[i + window];
    let start = (0..loss.len().saturating_sub(window)).max_by(|a, b| fall(*a).total_cmp(&fall(*b))).unwrap_or(0);
    let step = (start + 1..=(start + window).min(loss.len() - 1)).map(|i| loss[i - 1] - loss[i]).fold(0.0, f64::max);
    (start, fall(start) / total, step / fall(start))
}

/// A figure's words, from the `figures.<claim>` table of the text (English until the figures
/// get a font with Hangul).
pub fn figure_text(key: &str, ctx: &Value) -> Result<String, GdlabError> {
    prose().get(Lang::En, &format!("figures.{key}"), ctx)
}

/// A claim's title, statement and verdict from its table in both languages, filled from `ctx`.
pub struct Prose<'a> {
    pub id: &'static str,
    pub ctx: &'a Value,
}

impl Prose<'_> {
    pub fn claim(
        &self,
        points: &'static [u32],
        quote: &'static str,
        holds: bool,
        figures: Vec<String>,
        numbers: serde_json::Value,
    ) -> Result<Claim, GdlabError> {
        let p = prose();
        let key = |k: &str| format!("{}.{k}", self.id);
        Ok(Claim {
            id: self.id,
            points,
            quote,
            title: p.both(&key("title"), self.ctx)?,
            statement: p.both(&key("statement"), self.ctx)?,
            verdict: p.both(&key("verdict"), self.ctx)?,
            holds,
            figures,
            numbers,
        })
    }
}
