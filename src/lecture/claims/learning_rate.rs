//! Chapter 3 (경사하강법): the learning rate, from too slow to divergent (points 19, 27).

use crate::commands::sweep::{self, SweepOptions};
use crate::config;
use crate::error::GdlabError;
use crate::lecture::lab::{Lab, Prose, Words, behaviour, column, steps_to_fraction};
use crate::lecture::{Claim, lambda_max};
use crate::report::plot::{self, Series};
use crate::train::experiment;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::json;

/// Steps the figures show: the fast rates finish within a few, the slow one shows its slope.
const STEPS_DRAWN: f64 = 40.0;

/// What one loss (the parabola or least squares) did over the rates, for the verdict.
#[derive(Serialize)]
struct Part {
    /// The key of its label in the text: `learning_rate.<name>`.
    name: &'static str,
    theory: f64,
    factors: Vec<f64>,
    kinds: Vec<&'static str>,
    speed: Vec<Option<usize>>,
    fastest: f64,
    fastest_kind: &'static str,
    stable_max: f64,
    diverge_min: f64,
}

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let mut parts = Vec::new();
    let mut numbers = serde_json::Map::new();
    let mut figures = Vec::new();
    let mut holds = true;
    // Multiples of the stability limit lr* = 2/λ_max; 0.5 lr* = 1/λ_max is, for (a − b)²,
    // the rate that lands on the minimum in one step.
    let factors = [0.005, 0.2, 0.5, 0.7, 0.95, 1.05, 1.5];
    for name in ["parabola", "least_squares"] {
        let exp = experiment::prepare(config::load(&lab.config(name), &[])?)?;
        let t = &exp.splits.train;
        let theory = 2.0 / lambda_max(&t.x, t.len(), t.dims());
        // Four significant digits: plain labels, and the factors are what is reported.
        let lrs: Vec<String> = factors.iter().map(|f| plot::format_tick(f * theory)).collect();
        let dir = lab.dir.join("5_learning_rate").join(name);
        let sweep::Comparison { rows, .. } = sweep::sweep(
            &lab.config(name),
            &SweepOptions {
                axes: vec![format!("optimizer.lr={}", lrs.join(","))],
                until_loss: None,
                jobs: None,
                out: Some(dir.clone()),
                progress: false,
                launcher: sweep::Launcher::Local,
            },
            lab.never(),
        )?
        .done()?;
        let floor = rows.iter().map(|r| r.final_loss).filter(|l| l.is_finite()).fold(f64::INFINITY, f64::min);
        let kinds: Vec<&str> = rows.iter().map(|r| behaviour(&r.dir, &exp.param_names, floor)).collect();
        let stable_max = factors.iter().zip(&kinds).filter(|(_, k)| **k != "diverges").map(|(f, _)| *f).fold(0.0, f64::max);
        let diverge_min = factors.iter().zip(&kinds).filter(|(_, k)| **k == "diverges").map(|(f, _)| *f).fold(f64::INFINITY, f64::min);
        let bracket = stable_max < 1.0 && diverge_min > 1.0 && stable_max < diverge_min;
        let all_four = ["slow", "converges", "oscillates", "diverges"].iter().all(|k| kinds.contains(k));
        // Fastest: fewest steps to bring the loss's excess over the best reached to 1e-4 of
        // its start (least squares has a noise floor; the parabola's is 0).
        let speed: Vec<Option<usize>> = rows.iter().map(|r| steps_to_fraction(&r.dir, floor, 1e-4)).collect();
        let (fastest, fastest_steps) = factors
            .iter()
            .zip(&speed)
            .filter_map(|(f, s)| s.map(|s| (*f, s)))
            .min_by_key(|(_, s)| *s)
            .map_or((f64::NAN, None), |(f, s)| (f, Some(s)));
        holds &= bracket && all_four && fastest_steps.is_some();
        let fastest_kind = factors.iter().position(|f| *f == fastest).map_or("-", |i| kinds[i]);
        parts.push(Part {
            name,
            theory,
            factors: factors.to_vec(),
            kinds: kinds.clone(),
            speed: speed.clone(),
            fastest,
            fastest_kind,
            stable_max,
            diverge_min,
        });
        numbers.insert(
            name.into(),
            json!({ "theory_lr": theory, "factors": factors, "behaviour": kinds, "stable_max_factor": stable_max, "diverge_min_factor": diverge_min, "steps_to_1e-4": speed, "fastest_factor": fastest }),
        );
        // The loss over the first steps, one line per rate (log scale: the rates' losses span
        // decades), and for the parabola the iterates b_k themselves: a loss curve cannot show
        // a zigzag, b_k can. Each line is named by its multiple of lr* and what it did.
        let label = |w: &Words, k: usize| w.get("rate", &context! { factor => factors[k], kind => kinds[k] });
        let first = |r: &sweep::RunRow, col: &str| -> Vec<(f64, f64)> {
            let pts = column(&r.dir, "step").into_iter().zip(column(&r.dir, col));
            pts.filter(|(k, v)| *k <= STEPS_DRAWN && v.abs() < 1e6).collect()
        };
        figures.push(lab.figure("learning_rate", &dir, &format!("{name}_loss"), &context! { theory }, |w| {
            let series =
                (0..rows.len()).map(|k| Ok(Series::line(label(w, k)?, first(&rows[k], "loss")))).collect::<Result<Vec<_>, GdlabError>>()?;
            w.line(&series, Some(true))
        })?);
        if name == "parabola" {
            figures.push(lab.figure("learning_rate", &dir, "iterates", &context! { theory }, |w| {
                // The target first, so the rate that lands on it in one step is drawn on top.
                let target = Series::line(w.word("target")?, vec![(0.0, 3.0), (STEPS_DRAWN, 3.0)]);
                let rates = (0..rows.len()).map(|k| {
                    // Up to the first |b| ≥ 20: leaving points out would join the ones left.
                    let b = first(&rows[k], "b").into_iter().take_while(|(_, v)| v.abs() < 20.0).collect();
                    Ok(Series::line(label(w, k)?, b))
                });
                let series = std::iter::once(Ok(target)).chain(rates).collect::<Result<Vec<_>, GdlabError>>()?;
                w.line(&series, Some(false))
            })?);
        }
    }
    let ctx = context! { holds, parts => Value::from(Serde(&parts)) };
    Prose { id: "learning_rate", ctx: &ctx }.claim(&[19, 27], "학습률", holds, figures, numbers.into())
}
