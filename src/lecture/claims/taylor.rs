//! Chapter 3 (경사하강법): Taylor's first order and steepest descent (points 23, 24, 25).

use crate::commands::inspect::{self, TaylorOptions};
use crate::config::{self, Activation, LossKind};
use crate::error::GdlabError;
use crate::gradient::analytic::{self, Point};
use crate::gradient::taylor::{self, Steepest};
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose};
use crate::report::plot::{LogLogScatter, Series};
use crate::run::artifacts;
use crate::train::experiment;
use minijinja::context;
use serde_json::json;

/// The learning rates of the first-order check: from steps where first order is exact to steps
/// where it is off by most of the change (the sigmoid's gradient at the start is small, so the
/// rates are large).
const RATES: [f64; 6] = [0.01, 0.1, 1.0, 5.0, 20.0, 50.0];
const START: &str = "model.start.weights=[0.0, 0.0]";

/// −∇C against random directions of the same length, in f64 with the hand-derived loss and
/// gradient: along −∇C and along a direction a few degrees off it, C falls by amounts that
/// differ by less than f32's rounding of C, so in f32 rounding would pick the winner.
fn steepest_in_f64(lab: &Lab, length: f64) -> Result<Steepest, GdlabError> {
    let loaded = config::load(&lab.config("sigmoid_surface"), &[START.to_string()])?;
    let seed = loaded.spec.seed;
    let t = experiment::prepare(loaded)?.splits.train;
    let c = |w: &[f64]| analytic::loss(&Point { x: &t.x, y: &t.y, weights: w, bias: None }, Activation::Sigmoid, LossKind::Mse);
    let w = [0.0, 0.0];
    let g = analytic::neuron(&Point { x: &t.x, y: &t.y, weights: &w, bias: None }, Activation::Sigmoid, LossKind::Mse)
        .ok_or_else(|| GdlabError::Runtime("the sigmoid neuron has no analytic gradient".into()))?
        .weights;
    Ok(taylor::directions(c, &w, c(&w), &g, length, 200, seed))
}

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let out = lab.dir.join("7_taylor").join("taylor");
    // The lecture's sigmoid C(w₁, w₂) of §6, from W = (0, 0), trained in f32 as every claim is:
    // f32 rounds C = 0.25 to about 3e-8, 1e-4 of the smallest predicted change here.
    let sets = [START.to_string()];
    let report = inspect::taylor(
        &lab.config("sigmoid_surface"),
        &sets,
        &TaylorOptions { lrs: RATES.to_vec(), steps: 10, directions: 200, out: Some(out) },
    )?;
    let dir = lab.dir.join("7_taylor");
    let ratios: Vec<f64> = report.lrs.iter().map(|l| l.first_ratio).collect();
    // The first step's length |ΔW| = η|∇C| = sqrt(−η · predicted), predicted = −η|∇C|².
    let lengths: Vec<f64> = report.lrs.iter().map(|l| (-l.first_predicted * l.lr).sqrt()).collect();
    let departs = report.lrs.iter().zip(&ratios).find(|(_, r)| (**r - 1.0).abs() > 0.05).map(|(l, _)| l.lr);
    let steepest = steepest_in_f64(lab, report.steepest.length)?;
    let json = serde_json::to_string_pretty(&steepest).expect("serialises");
    artifacts::write_atomic(&dir.join("steepest.json"), json.as_bytes()).map_err(GdlabError::io("cannot write steepest.json"))?;
    let beaten = steepest.beaten_by();
    let step = steepest.length;
    let holds = (ratios[0] - 1.0).abs() < 0.01 && (ratios[ratios.len() - 1] - 1.0).abs() > 0.5 && beaten == 0;
    let (top_lr, top_pct) = (RATES[RATES.len() - 1], 100.0 * ratios[ratios.len() - 1]);
    let ctx = context! { holds, lrs => RATES.to_vec(), top_lr, top_pct, ratios => ratios.clone(), lengths => lengths.clone(), departs, step, beaten };
    // Predicted against actual decrease, one colour per rate, on log-log axes (decreases only:
    // a rate whose steps raised the loss would have no point there and no legend entry); and
    // the ratio actual / predicted over the steps.
    let scatter = lab.figure("taylor", &dir, "taylor", &ctx, |w| {
        let mut series = Vec::new();
        for (l, ratio) in report.lrs.iter().zip(&ratios) {
            let pts: Vec<(f64, f64)> =
                l.steps.iter().filter(|s| s.resolvable() && s.actual < 0.0).map(|s| (-s.predicted, -s.actual)).collect();
            if !pts.is_empty() {
                series.push(Series::dots(w.get("rate", &context! { lr => l.lr, ratio => *ratio })?, pts));
            }
        }
        let (title, x, y) = (w.word("title")?, w.word("x")?, w.word("y")?);
        w.draw((900, 640), &LogLogScatter { title: &title, x_label: &x, y_label: &y, series: &series, lang: w.figure_lang })
    })?;
    let ratio = lab.figure("taylor", &dir, "taylor_ratio", &ctx, |w| {
        let series = report.lrs.iter().zip(&ratios).map(|(l, ratio)| {
            let pts = l.steps.iter().enumerate().filter(|(_, s)| s.resolvable()).map(|(k, s)| ((k + 1) as f64, s.ratio())).collect();
            Ok(Series::line(w.get("rate", &context! { lr => l.lr, ratio => *ratio })?, pts))
        });
        w.line(&series.collect::<Result<Vec<_>, GdlabError>>()?, Some(false))
    })?;
    Prose { id: "taylor", ctx: &ctx }.claim(
        &[23, 24, 25],
        "Taylor",
        holds,
        vec![scatter, ratio],
        json!({ "learning_rates": RATES, "first_ratios": ratios, "step_lengths": lengths, "first_departing_lr": departs, "steepest_step_length": step, "random_directions_beating_gradient": beaten }),
    )
}
