//! Chapter 3 (경사하강법): local minima, sudden learning (頓悟), and the bridge to
//! backpropagation (points 28, 32, 33, 34). First the lecture's picture, one weight and a loss
//! with two valleys, where two starts end in a local and the global minimum; then a real
//! network (the XOR net from 20 starts), where the end points are told apart by the Hessian.

use crate::commands::sweep::{self, SweepOptions};
use crate::config;
use crate::config::{Activation, LossKind};
use crate::error::GdlabError;
use crate::gradient::analytic::{self, Point};
use crate::lecture::lab::{Lab, Prose, column, sudden_fall};
use crate::lecture::{CURVATURE, Claim, EndPoint, FLAT_GRADIENT, classify, curvature};
use crate::report::plot::Series;
use crate::train::experiment;
use minijinja::{Value, context};
use serde_json::json;

/// Where one start of the two-valley loss ended, checked in f64: the weight, the loss, |C′(w)|
/// and C″(w) (a central difference of the analytic gradient with step 1e-5, whose error of about
/// 1e-10 is far below `CURVATURE`).
struct Valley {
    start: f64,
    w: f64,
    loss: f64,
    grad: f64,
    curvature: f64,
    /// (w, C) after each update, from the run's metrics.
    path: Vec<(f64, f64)>,
}

/// The lecture's picture of local minima: a sigmoid neuron with one weight on four rows, from
/// w = −2 and from w = 1, and the loss C(w) of that weight.
fn valleys(lab: &Lab, dir: &str) -> Result<(Vec<Valley>, impl Fn(f64) -> f64), GdlabError> {
    let exp = experiment::prepare(config::load(&lab.config("two_valleys"), &[])?)?;
    let (x, y) = (exp.splits.train.x.clone(), exp.splits.train.y.clone());
    let loss = move |w: f64| analytic::loss(&Point { x: &x, y: &y, weights: &[w], bias: None }, Activation::Sigmoid, LossKind::Mse);
    let (x, y) = (exp.splits.train.x, exp.splits.train.y);
    let slope = move |w: f64| {
        analytic::neuron(&Point { x: &x, y: &y, weights: &[w], bias: None }, Activation::Sigmoid, LossKind::Mse)
            .map_or(f64::NAN, |g| g.weights[0])
    };
    let mut ends = Vec::new();
    for (start, run) in [(-2.0, "start_left"), (1.0, "start_right")] {
        let r = lab.train("two_valleys", &[&format!("model.start.weights=[{start}]")], dir, run)?;
        let (ws, cs) = (column(&r.dir, "w_x1"), column(&r.dir, "loss"));
        let w = *ws.last().ok_or_else(|| GdlabError::Runtime(format!("{}: no w_x1 column", r.dir.display())))?;
        let h = 1e-5;
        ends.push(Valley {
            start,
            w,
            loss: loss(w),
            grad: slope(w).abs(),
            curvature: (slope(w + h) - slope(w - h)) / (2.0 * h),
            path: ws.into_iter().zip(cs).collect(),
        });
    }
    Ok((ends, loss))
}

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let (valley, c_of_w) = valleys(lab, "9_local_minima")?;
    // Both ends checked minima (flat and curved upward) at different weights and losses: the
    // higher one is a local minimum, the lower the global one (the caption's curve shows it).
    let checked = |v: &Valley| v.grad < FLAT_GRADIENT && v.curvature > CURVATURE;
    let (left, right) = (&valley[0], &valley[1]);
    let (local, global) = if left.loss > right.loss { (left, right) } else { (right, left) };
    // The figure's range of w, and the hill between the two valleys on it (its highest C).
    let grid = crate::surface::axis((-3.0, 1.0), 401);
    // The lower end is the global minimum if nothing on the grid and neither limit (w = ±1000,
    // where every sigmoid has saturated) is lower.
    let lowest = grid.iter().chain(&[-1e3, 1e3]).map(|&x| c_of_w(x)).fold(f64::INFINITY, f64::min);
    let two_minima = checked(left)
        && checked(right)
        && (left.w - right.w).abs() > 0.1
        && (left.loss - right.loss).abs() > 1e-3
        && global.loss <= lowest + 1e-9;
    let (lo, hi) = (local.w.min(global.w), local.w.max(global.w));
    let (barrier_w, barrier) = grid
        .iter()
        .filter(|&&x| x > lo && x < hi)
        .map(|&x| (x, c_of_w(x)))
        .fold((f64::NAN, f64::NEG_INFINITY), |a, b| if b.1 > a.1 { b } else { a });
    let seeds: Vec<String> = (1..=20).map(|s| s.to_string()).collect();
    let sweep::Comparison { rows, .. } = sweep::sweep(
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
        // `curvature` returns the eigenvalues ascending.
        let kind = classify(g, &eig);
        ends.push((r.final_loss, r.final_accuracy == Some(1.0), g, eig, kind));
    }
    let count = |k: EndPoint| ends.iter().filter(|e| e.4 == k).count();
    let (minima, saddles, flat, moving) =
        (count(EndPoint::Minimum), count(EndPoint::Saddle), count(EndPoint::Flat), count(EndPoint::Moving));
    let solved = ends.iter().filter(|e| e.1).count();
    let stalled_minima = ends.iter().filter(|e| !e.1 && e.4 == EndPoint::Minimum).count();
    // Two checked minima with one weight, and in the XOR net different starts, different
    // ends: some solve XOR, some do not.
    let holds = two_minima && solved > 0 && solved < rows.len();
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
    let end = |v: &Valley| context! { start => v.start, w => v.w, loss => v.loss, grad => v.grad, curvature => v.curvature };
    let ctx = context! {
        holds, two_minima, local => end(local), global => end(global), barrier_w, barrier,
        n, solved, minima, saddles, flat, moving, gmin, gmax, stalled_minima, stalled => Value::from(stalled),
        plateaus, window, at_lo, at_hi, w_lo, w_hi, s_hi,
    };
    let dir = lab.dir.join("9_local_minima");
    // The loss of the one weight, with each start's updates on it and where each ended.
    let valleys_figure = lab.figure("local_minima", &dir, "valleys", &ctx, |w| {
        // Every update, less those within 1e-3 of the last one drawn (they would cover it).
        let every = |v: &Valley| -> Vec<(f64, f64)> {
            let mut kept: Vec<(f64, f64)> = Vec::new();
            for &p in &v.path {
                if kept.last().is_none_or(|q| (p.0 - q.0).abs() > 1e-3) {
                    kept.push(p);
                }
            }
            kept
        };
        let series = vec![
            Series::line(w.word("curve")?, grid.iter().map(|&x| (x, c_of_w(x))).collect()),
            Series::dots(w.get("path", &context! { start => left.start })?, every(left)),
            Series::dots(w.get("path", &context! { start => right.start })?, every(right)),
            Series::dots(w.get("local_end", &ctx)?, vec![(local.w, local.loss)]),
            Series::dots(w.get("global_end", &ctx)?, vec![(global.w, global.loss)]),
        ];
        w.line(&series, None)
    })?;
    // Where each start ended: its final loss, one colour per outcome (solved or not, and the
    // kind of end point), so a start that stalled stands apart from one that solved XOR.
    let kinds = [(EndPoint::Minimum, "minimum"), (EndPoint::Saddle, "saddle"), (EndPoint::Flat, "flat"), (EndPoint::Moving, "moving")];
    let end_points = lab.figure("local_minima", &dir, "end_points", &ctx, |w| {
        let mut series = Vec::new();
        for solved_here in [true, false] {
            for (kind, key) in kinds {
                let pts: Vec<(f64, f64)> = (0..ends.len())
                    .filter(|&i| ends[i].4 == kind && ends[i].1 == solved_here)
                    .map(|i| ((i + 1) as f64, ends[i].0))
                    .collect();
                if !pts.is_empty() {
                    let (outcome, label) = (w.word(if solved_here { "solved" } else { "unsolved" })?, w.word(key)?);
                    series.push(Series::dots(w.get("series", &context! { outcome, label, count => pts.len() })?, pts));
                }
            }
        }
        w.line(&series, Some(true))
    })?;
    // Every start's loss curve, one colour for the solved and one for the rest (twenty
    // colours could not be told apart), each curve thinned to 200 points.
    let curve = |r: &sweep::RunRow| -> Vec<[(f64, f64); 2]> {
        let pts: Vec<(f64, f64)> = column(&r.dir, "step").into_iter().zip(column(&r.dir, "loss")).collect();
        let every = (pts.len() / 200).max(1);
        let thin: Vec<(f64, f64)> = pts.iter().step_by(every).chain(pts.last()).copied().collect();
        thin.windows(2).map(|w| [w[0], w[1]]).collect()
    };
    let losses = lab.figure("local_minima", &dir, "losses", &ctx, |w| {
        let group = |solved_here: bool| -> Vec<[(f64, f64); 2]> {
            rows.iter().zip(&ends).filter(|(_, e)| e.1 == solved_here).flat_map(|(r, _)| curve(r)).collect()
        };
        let series = vec![
            Series::segments(w.get("solved_runs", &context! { count => solved })?, group(true)),
            Series::segments(w.get("unsolved_runs", &context! { count => n - solved })?, group(false)),
        ];
        w.line(&series, Some(true))
    })?;
    Prose { id: "local_minima", ctx: &ctx }.claim(
        &[28, 32, 33, 34],
        "Local minima문제",
        holds,
        vec![valleys_figure, end_points, losses],
        json!({
                "two_valleys": valley.iter().map(|v| json!({ "start": v.start, "w": v.w, "loss": v.loss, "grad_norm": v.grad, "second_derivative": v.curvature })).collect::<Vec<_>>(),
                "two_valleys_barrier": { "w": barrier_w, "loss": barrier },
                "starts": n, "solved": solved, "minima": minima, "saddles": saddles, "flat": flat, "moving": moving,
                "stalled_minima": stalled_minima,
                "plateau_runs": plateaus, "steepest_window_start": [at_lo, at_hi], "steepest_window_share": [w_lo / 100.0, w_hi / 100.0], "largest_step_share_in_window": s_hi / 100.0, "window": window,
                "end_points": ends.iter().map(|e| json!({ "final_loss": e.0, "solved": e.1, "grad_norm": e.2, "min_eigenvalue": e.3.first(), "max_eigenvalue": e.3.last(), "kind": e.4 })).collect::<Vec<_>>(),
            }),
    )
}
