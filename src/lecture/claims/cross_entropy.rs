//! Chapter 2 (손실함수): with a sigmoid, cross-entropy learns faster than MSE (points 12, 13).

use crate::commands::sweep::RunRow;
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, Words, column, first_step};
use crate::report::plot::Series;
use minijinja::context;
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let bce = lab.train("saturated_start", &[], "3_cross_entropy", "bce")?;
    let mse = lab.train("saturated_start", &["loss.kind=\"mse\""], "3_cross_entropy", "mse")?;
    let to90 = |r: &RunRow| first_step(&r.dir, "accuracy", |a| a >= 0.9);
    let (sb, sm) = (to90(&bce), to90(&mse));
    let g0 = |r: &RunRow| column(&r.dir, "grad_norm")[0];
    let holds = match (sb, sm) {
        (Some(a), Some(b)) => a * 5 <= b,
        (Some(_), None) => true,
        _ => false,
    };
    let (gb, gm) = (g0(&bce), g0(&mse));
    let ratio = gb / gm;
    let ctx = context! { holds, bce_steps => sb, mse_steps => sm, gb, gm, ratio };
    // Accuracy over steps, both losses in one figure: the whole run, and the first 100 steps,
    // where BCE does all its work (the whole run squeezes it against the axis).
    let dir = lab.dir.join("3_cross_entropy");
    let accuracy = |w: &Words, last: f64| -> Result<(), GdlabError> {
        let series: Vec<Series> = [(&bce, w.word("bce")?), (&mse, w.word("mse")?)]
            .into_iter()
            .map(|(r, n)| {
                let pts = column(&r.dir, "step").into_iter().zip(column(&r.dir, "accuracy")).filter(|p| p.0 <= last).collect();
                Series::line(n, pts)
            })
            .collect();
        w.line(&series, Some(false))
    };
    let figures = vec![
        lab.figure("cross_entropy", &dir, "accuracy_first_100", &ctx, |w| accuracy(w, 100.0))?,
        lab.figure("cross_entropy", &dir, "accuracy", &ctx, |w| accuracy(w, f64::INFINITY))?,
    ];
    Prose { id: "cross_entropy", ctx: &ctx }.claim(
        &[12, 13],
        "학습속도가 빠르다",
        holds,
        figures,
        json!({ "steps_to_90_bce": sb, "steps_to_90_mse": sm, "grad_norm_start_bce": gb, "grad_norm_start_mse": gm }),
    )
}
