//! Chapter 3 (경사하강법): Taylor's first order and steepest descent (points 23, 24, 25).

use crate::commands::inspect::{self, TaylorOptions};
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose};
use minijinja::context;
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let out = lab.dir.join("7_taylor").join("taylor");
    let report = inspect::taylor(
        &lab.config("linear_regression"),
        &[],
        &TaylorOptions { lrs: vec![0.001, 0.01, 0.1, 0.5, 1.2], steps: 10, directions: 200, out: Some(out) },
    )?;
    let dir = report.dir.clone();
    let ratios: Vec<f64> = report.lrs.iter().map(|l| l.first_ratio).collect();
    // The first step's length |ΔW| = η|∇C| = sqrt(−η · predicted), predicted = −η|∇C|².
    let lengths: Vec<f64> = report.lrs.iter().map(|l| (-l.first_predicted * l.lr).sqrt()).collect();
    let departs = report.lrs.iter().zip(&ratios).find(|(_, r)| (**r - 1.0).abs() > 0.05).map(|(l, _)| l.lr);
    let beaten = report.random_directions_beating_gradient;
    let step = report.steepest.length;
    let holds = (ratios[0] - 1.0).abs() < 0.01 && (ratios[ratios.len() - 1] - 1.0).abs() > 0.5 && beaten == 0;
    let ctx = context! { holds, ratios => ratios.clone(), lengths => lengths.clone(), departs, step, beaten };
    Prose { id: "taylor", ctx: &ctx }.claim(
        &[23, 24, 25],
        "Taylor",
        holds,
        vec![lab.rel(&dir.join("taylor")), lab.rel(&dir.join("taylor_ratio"))],
        json!({ "first_ratios": ratios, "step_lengths": lengths, "first_departing_lr": departs, "steepest_step_length": step, "random_directions_beating_gradient": beaten }),
    )
}
