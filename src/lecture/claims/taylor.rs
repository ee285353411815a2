//! Chapter 3 (경사하강법): Taylor's first order and steepest descent (points 23, 24, 25).

use crate::commands::inspect::{self, TaylorOptions};
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose};
use crate::report::plot::{LogLogScatter, Series};
use minijinja::context;
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let out = lab.dir.join("7_taylor").join("taylor");
    let report = inspect::taylor(
        &lab.config("linear_regression"),
        &[],
        &TaylorOptions { lrs: vec![0.001, 0.01, 0.1, 0.5, 1.2], steps: 10, directions: 200, out: Some(out) },
    )?;
    let dir = lab.dir.join("7_taylor");
    let ratios: Vec<f64> = report.lrs.iter().map(|l| l.first_ratio).collect();
    // The first step's length |ΔW| = η|∇C| = sqrt(−η · predicted), predicted = −η|∇C|².
    let lengths: Vec<f64> = report.lrs.iter().map(|l| (-l.first_predicted * l.lr).sqrt()).collect();
    let departs = report.lrs.iter().zip(&ratios).find(|(_, r)| (**r - 1.0).abs() > 0.05).map(|(l, _)| l.lr);
    let beaten = report.random_directions_beating_gradient;
    let step = report.steepest.length;
    let holds = (ratios[0] - 1.0).abs() < 0.01 && (ratios[ratios.len() - 1] - 1.0).abs() > 0.5 && beaten == 0;
    let ctx = context! { holds, ratios => ratios.clone(), lengths => lengths.clone(), departs, step, beaten };
    // Predicted against actual decrease, one colour per rate, on log-log axes (decreases only:
    // a rate whose steps raised the loss has no point there and no legend entry); and the
    // ratio actual / predicted over the steps.
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
        json!({ "first_ratios": ratios, "step_lengths": lengths, "first_departing_lr": departs, "steepest_step_length": step, "random_directions_beating_gradient": beaten }),
    )
}
