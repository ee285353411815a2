//! Chapter 3 (경사하강법): the learning rate, from too slow to divergent (points 19, 27).

use crate::commands::sweep::{self, SweepOptions};
use crate::config;
use crate::error::GdlabError;
use crate::lecture::lab::{Lab, Prose, behaviour, column, figure_text, line_figure, steps_to_fraction};
use crate::lecture::{Claim, lambda_max};
use crate::report::plot::{self, LineChart, Series};
use crate::train::experiment;
use minijinja::value::Serde;
use minijinja::{Value, context};
use serde::Serialize;
use serde_json::json;

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
        let sweep::Comparison { dir: sdir, rows, .. } = sweep::sweep(
            &lab.config(name),
            &SweepOptions {
                axes: vec![format!("optimizer.lr={}", lrs.join(","))],
                until_loss: None,
                jobs: None,
                out: Some(dir),
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
        if name == "parabola" {
            // The iterates b_k themselves: a loss curve cannot show a zigzag, b_k can.
            let series: Vec<Series> = factors
                .iter()
                .zip(&rows)
                .map(|(f, r)| {
                    let b = column(&r.dir, "b");
                    let pts = b.iter().enumerate().map(|(k, v)| (k as f64, *v)).filter(|(_, v)| v.abs() < 20.0).collect();
                    let label = figure_text("learning_rate.rate", &context! { lr => plot::format_tick(f * theory), factor => *f })?;
                    Ok(Series::line(label, pts))
                })
                .chain([Ok(Series::line(figure_text("learning_rate.target", &context! {})?, vec![(0.0, 3.0), (40.0, 3.0)]))])
                .collect::<Result<_, GdlabError>>()?;
            let fig = lab.dir.join("5_learning_rate");
            line_figure(
                &fig,
                "iterates",
                LineChart {
                    title: &figure_text("learning_rate.title", &context! {})?,
                    x_label: &figure_text("learning_rate.x", &context! {})?,
                    y_label: &figure_text("learning_rate.y", &context! {})?,
                    series: &series,
                    log_y: Some(false),
                },
            )?;
            figures.push(lab.rel(&fig.join("iterates")));
        }
        figures.push(lab.rel(&sdir.join("sweep_loss")));
    }
    let ctx = context! { holds, parts => Value::from(Serde(&parts)) };
    Prose { id: "learning_rate", ctx: &ctx }.claim(&[19, 27], "학습률", holds, figures, numbers.into())
}
