//! Chapter 2 (손실함수): with a sigmoid, cross-entropy learns faster than MSE (points 12, 13).

use crate::commands::sweep::RunRow;
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, column, figure_text, first_step, line_figure};
use crate::report::plot::{LineChart, Series};
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
    // Accuracy over steps, one figure for both losses.
    let fig = |key: &str| figure_text(&format!("cross_entropy.{key}"), &context! {});
    let series: Vec<Series> = [(&bce, fig("bce")?), (&mse, fig("mse")?)]
        .into_iter()
        .map(|(r, n)| Series::line(n, column(&r.dir, "step").into_iter().zip(column(&r.dir, "accuracy")).collect()))
        .collect();
    let (x, y) = (fig("x")?, fig("y")?);
    let dir = lab.dir.join("3_cross_entropy");
    line_figure(&dir, "accuracy", LineChart { title: &fig("title")?, x_label: &x, y_label: &y, series: &series, log_y: Some(false) })?;
    let (gb, gm) = (g0(&bce), g0(&mse));
    let ratio = gb / gm;
    // The first 100 steps, where BCE does all its work (the full run squeezes it to the axis).
    let zoom: Vec<Series> =
        series.iter().map(|s| Series::line(s.name.clone(), s.points.iter().copied().filter(|p| p.0 <= 100.0).collect())).collect();
    line_figure(
        &dir,
        "accuracy_first_100",
        LineChart { title: &fig("zoom_title")?, x_label: &x, y_label: &y, series: &zoom, log_y: Some(false) },
    )?;
    let ctx = context! { holds, bce_steps => sb, mse_steps => sm, gb, gm, ratio };
    Prose { id: "cross_entropy", ctx: &ctx }.claim(
        &[12, 13],
        "학습속도가 빠르다",
        holds,
        vec![lab.rel(&dir.join("accuracy_first_100")), lab.rel(&dir.join("accuracy"))],
        json!({ "steps_to_90_bce": sb, "steps_to_90_mse": sm, "grad_norm_start_bce": gb, "grad_norm_start_mse": gm }),
    )
}
