//! Running the lecture's configs into the report folder, and reading the runs back.

use super::text::prose;
use super::{Claim, Lang, Question, Text};
use crate::commands::perceptron;
use crate::commands::sweep::RunRow;
use crate::config;
use crate::error::GdlabError;
use crate::report::plot::{self, Chart, FigureLang, LineChart, Series};
use crate::run::artifacts;
use crate::run::{self, TrainOptions};
use minijinja::Value;
use serde::Serialize;
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

/// A figure of the report: its files, relative to the report folder and without extension
/// (`path`.svg and .png with English words, `path`.ko.svg and .ko.png with Korean ones), and
/// its caption, which says what to look at.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub path: String,
    pub caption: Text,
}

/// The languages every figure is drawn in, with the file suffix of each.
const FIGURE_LANGS: [(Lang, FigureLang, &str); 2] = [(Lang::En, FigureLang::En, ""), (Lang::Ko, FigureLang::Ko, ".ko")];

/// One figure in one language: where it goes (`dir/figure`, `dir/figure.ko` in Korean) and
/// its words, `figures.<claim>.<figure>.<key>` of the text, or `figures.<claim>.<key>` for
/// words the claim's figures share (series names, axes).
pub struct Words<'a> {
    lang: Lang,
    pub figure_lang: FigureLang,
    claim: &'a str,
    figure: &'a str,
    dir: &'a Path,
    /// The values the figure's own words (its title, its axes, `word`) are filled from.
    ctx: &'a Value,
}

/// The file suffix of a figure in `lang` (`.ko` for Korean, none for English).
pub fn suffix(lang: Lang) -> &'static str {
    FIGURE_LANGS.iter().find(|l| l.0 == lang).map_or("", |l| l.2)
}

impl Words<'_> {
    /// The words `key`, filled from `ctx`.
    pub fn get(&self, key: &str, ctx: &Value) -> Result<String, GdlabError> {
        let own = format!("figures.{}.{}.{key}", self.claim, self.figure);
        let p = prose();
        if p.has(self.lang, &own) { p.get(self.lang, &own, ctx) } else { p.get(self.lang, &format!("figures.{}.{key}", self.claim), ctx) }
    }

    /// The words `key`, filled from the figure's values.
    pub fn word(&self, key: &str) -> Result<String, GdlabError> {
        self.get(key, self.ctx)
    }

    /// A line chart at the report's figure size titled `title` with axes `x` and `y`.
    pub fn line(&self, series: &[Series], log_y: Option<bool>) -> Result<(), GdlabError> {
        let (title, x, y) = (self.word("title")?, self.word("x")?, self.word("y")?);
        let chart = LineChart { title: &title, x_label: &x, y_label: &y, series, log_y, lang: self.figure_lang };
        self.draw((900, 560), &chart)
    }

    /// Writes `chart` in this language's files.
    pub fn draw(&self, size: (u32, u32), chart: &impl Chart) -> Result<(), GdlabError> {
        let stem = format!("{}{}", self.figure, suffix(self.lang));
        plot::write(self.dir, &stem, size, chart).map_err(GdlabError::io(format!("cannot write the {stem} figure")))
    }
}

impl Lab {
    /// Draws the figure `claim`.`figure` in every language into `dir/figure` and returns it with
    /// its caption (`figures.<claim>.<figure>.caption`); its words are filled from `ctx`.
    pub fn figure(
        &self,
        claim: &str,
        dir: &Path,
        figure: &str,
        ctx: &Value,
        draw: impl Fn(&Words) -> Result<(), GdlabError>,
    ) -> Result<Figure, GdlabError> {
        for (lang, figure_lang, _) in FIGURE_LANGS {
            draw(&Words { lang, figure_lang, claim, figure, dir, ctx })?;
        }
        let caption = prose().both(&format!("figures.{claim}.{figure}.caption"), ctx)?;
        Ok(Figure { path: self.rel(&dir.join(figure)), caption })
    }
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
        figures: Vec<Figure>,
        numbers: serde_json::Value,
    ) -> Result<Claim, GdlabError> {
        let p = prose();
        let key = |k: &str| format!("{}.{k}", self.id);
        // q1/a1, q2/a2, ...: as many as the text has.
        let mut questions = Vec::new();
        for k in 1.. {
            if !p.has(Lang::Ko, &key(&format!("q{k}"))) {
                break;
            }
            let (question, answer) = (p.both(&key(&format!("q{k}")), self.ctx)?, p.both(&key(&format!("a{k}")), self.ctx)?);
            questions.push(Question { question, answer });
        }
        Ok(Claim {
            id: self.id,
            points,
            quote,
            title: p.both(&key("title"), self.ctx)?,
            statement: p.both(&key("statement"), self.ctx)?,
            verdict: p.both(&key("verdict"), self.ctx)?,
            holds,
            figures,
            chapter: p.both(&key("chapter"), self.ctx)?,
            caution: p.both(&key("caution"), self.ctx)?,
            try_page: p.both(&key("try_page"), self.ctx)?,
            try_command: p.both(&key("try_command"), self.ctx)?,
            questions,
            numbers,
        })
    }
}
