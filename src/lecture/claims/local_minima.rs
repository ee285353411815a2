//! Chapter 3 (경사하강법): local minima, sudden learning (頓悟), and the bridge to
//! backpropagation (points 28, 32, 33, 34).

use crate::commands::sweep::{self, SweepOptions};
use crate::config;
use crate::error::GdlabError;
use crate::lecture::lab::{Lab, Prose, column, figure_text, line_figure, sudden_fall};
use crate::lecture::{Claim, EndPoint, classify, curvature};
use crate::report::plot::{LineChart, Series};
use crate::train::experiment;
use minijinja::{Value, context};
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let seeds: Vec<String> = (1..=20).map(|s| s.to_string()).collect();
    let sweep::Comparison { dir: sdir, rows, .. } = sweep::sweep(
        &lab.config("xor_mlp"),
        &SweepOptions {
            axes: vec![format!("experiment.seed={}", seeds.join(","))],
            until_loss: None,
            jobs: None,
            out: Some(lab.dir.join("9_local_minima").join("sweep")),
            progress: false,
            launcher: sweep::Launcher::Local,
        },
        lab.never(),
    )?
    .done()?;
    let exp = experiment::prepare(config::load(&lab.config("xor_mlp"), &[])?)?;
    let (t, spec) = (&exp.splits.train, &exp.loaded.spec);
    let mut ends = Vec::new();
    for r in &rows {
        let Some(crate::nn::model::Parameters::Mlp { layers }) = r.summary.as_ref().and_then(|s| s.parameters.clone()) else {
            return Err(GdlabError::Runtime(format!("{}: no parameters in summary.json", r.dir.display())));
        };
        let host: Vec<crate::gradient::backprop::Layer> = layers
            .iter()
            .map(|l| crate::gradient::backprop::Layer {
                d_in: l.weights.len(),
                d_out: l.weights.first().map_or(0, Vec::len),
                weights: l.weights.iter().flatten().copied().collect(),
                bias: l.bias.clone(),
            })
            .collect();
        let (g, eig) = curvature(&host, &spec.model, spec.loss, &t.x, &t.y, t.len())
            .ok_or_else(|| GdlabError::Runtime("the XOR net has no analytic gradient".into()))?;
        let flat: Vec<f64> = host.iter().flat_map(|l| l.weights.iter().chain(l.bias.iter().flatten()).copied()).collect();
        // `curvature` returns the eigenvalues ascending.
        let kind = classify(g, &eig);
        ends.push((r.final_loss, r.final_accuracy == Some(1.0), g, eig, kind, flat));
    }
    let count = |k: EndPoint| ends.iter().filter(|e| e.4 == k).count();
    let (minima, saddles, flat, moving) =
        (count(EndPoint::Minimum), count(EndPoint::Saddle), count(EndPoint::Flat), count(EndPoint::Moving));
    let solved = ends.iter().filter(|e| e.1).count();
    let stalled_minima = ends.iter().filter(|e| !e.1 && e.4 == EndPoint::Minimum).count();
    // End points in parameter space: projected on the two main axes of their spread.
    let p = ends[0].5.len();
    let m = nalgebra::DMatrix::<f64>::from_fn(ends.len(), p, |i, j| ends[i].5[j]);
    let mean = m.row_mean();
    let centred = nalgebra::DMatrix::<f64>::from_fn(ends.len(), p, |i, j| m[(i, j)] - mean[j]);
    let cov = centred.transpose() * &centred;
    let eig = cov.symmetric_eigen();
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|a, b| eig.eigenvalues[*b].total_cmp(&eig.eigenvalues[*a]));
    let axis = |k: usize| eig.eigenvectors.column(order[k]).into_owned();
    let (a1, a2) = (axis(0), axis(1));
    let project = |i: usize| (centred.row(i).dot(&a1.transpose()), centred.row(i).dot(&a2.transpose()));
    // One colour per outcome that occurred: solved or not, and the kind of end point.
    let mut series = Vec::new();
    for solved_here in [true, false] {
        for (kind, key) in
            [(EndPoint::Minimum, "minimum"), (EndPoint::Saddle, "saddle"), (EndPoint::Flat, "flat"), (EndPoint::Moving, "moving")]
        {
            let pts: Vec<(f64, f64)> = (0..ends.len()).filter(|&i| ends[i].4 == kind && ends[i].1 == solved_here).map(project).collect();
            if !pts.is_empty() {
                let fig = |key: &str| figure_text(&format!("local_minima.{key}"), &context! {});
                let (outcome, label) = (fig(if solved_here { "solved" } else { "unsolved" })?, fig(key)?);
                let name = figure_text("local_minima.series", &context! { outcome, label, count => pts.len() })?;
                series.push(Series::dots(name, pts));
            }
        }
    }
    let fig = lab.dir.join("9_local_minima");
    line_figure(
        &fig,
        "end_points",
        LineChart {
            title: &figure_text("local_minima.title", &context! {})?,
            x_label: &figure_text("local_minima.x", &context! {})?,
            y_label: &figure_text("local_minima.y", &context! {})?,
            series: &series,
            log_y: Some(false),
        },
    )?;
    // Different starts, different ends: some solve XOR, some do not.
    let holds = solved > 0 && solved < rows.len();
    let n = rows.len();
    // The unsolved runs: loss, |∇C|, smallest and largest Hessian eigenvalue.
    let stalled: Vec<Value> = ends
        .iter()
        .filter(|e| !e.1)
        .map(|e| {
            let (min_eig, max_eig) = (e.3.first().copied().unwrap_or(f64::NAN), e.3.last().copied().unwrap_or(f64::NAN));
            context! { loss => e.0, grad => e.2, min_eig, max_eig }
        })
        .collect();
    let (gmin, gmax) = ends.iter().fold((f64::INFINITY, 0.0f64), |(a, b), e| (a.min(e.2), b.max(e.2)));
    // Point 33, gradual vs sudden (頓悟): solved runs whose steepest 100 steps come after a
    // plateau (they start past step 20), the share of the whole fall those steps make, and the
    // largest single update inside them.
    let window = 100;
    let sudden: Vec<(usize, f64, f64)> = rows
        .iter()
        .zip(&ends)
        .filter(|(_, e)| e.1)
        .map(|(r, _)| sudden_fall(&column(&r.dir, "loss"), window))
        .filter(|s| s.0 > 20)
        .collect();
    let plateaus = sudden.len();
    let (at_lo, at_hi) = sudden.iter().fold((usize::MAX, 0), |(a, b), s| (a.min(s.0), b.max(s.0)));
    let (w_lo, w_hi) = sudden.iter().fold((f64::INFINITY, 0.0f64), |(a, b), s| (a.min(100.0 * s.1), b.max(100.0 * s.1)));
    let s_hi = sudden.iter().fold(0.0f64, |a, s| a.max(100.0 * s.2));
    let ctx = context! {
        holds, n, solved, minima, saddles, flat, moving, gmin, gmax, stalled_minima, stalled => Value::from(stalled),
        plateaus, window, at_lo, at_hi, w_lo, w_hi, s_hi,
    };
    Prose { id: "local_minima", ctx: &ctx }.claim(
        &[28, 32, 33, 34],
        "Local minima문제",
        holds,
        vec![lab.rel(&fig.join("end_points")), lab.rel(&sdir.join("sweep_loss"))],
        json!({
                "starts": n, "solved": solved, "minima": minima, "saddles": saddles, "flat": flat, "moving": moving,
                "stalled_minima": stalled_minima,
                "plateau_runs": plateaus, "steepest_window_start": [at_lo, at_hi], "steepest_window_share": [w_lo / 100.0, w_hi / 100.0], "largest_step_share_in_window": s_hi / 100.0, "window": window,
                "end_points": ends.iter().map(|e| json!({ "final_loss": e.0, "solved": e.1, "grad_norm": e.2, "min_eigenvalue": e.3.first(), "max_eigenvalue": e.3.last(), "kind": e.4 })).collect::<Vec<_>>(),
            }),
    )
}
