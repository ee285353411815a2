//! Chapter 3 (경사하강법): local minima, sudden learning (頓悟), and the bridge to
//! backpropagation (points 28, 32, 33, 34).

use crate::commands::sweep::{self, SweepOptions};
use crate::config;
use crate::error::GdlabError;
use crate::lecture::lab::{Lab, Prose, column, sudden_fall};
use crate::lecture::{Claim, EndPoint, classify, curvature};
use crate::report::plot::Series;
use crate::train::experiment;
use minijinja::{Value, context};
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
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
    let dir = lab.dir.join("9_local_minima");
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
        vec![end_points, losses],
        json!({
                "starts": n, "solved": solved, "minima": minima, "saddles": saddles, "flat": flat, "moving": moving,
                "stalled_minima": stalled_minima,
                "plateau_runs": plateaus, "steepest_window_start": [at_lo, at_hi], "steepest_window_share": [w_lo / 100.0, w_hi / 100.0], "largest_step_share_in_window": s_hi / 100.0, "window": window,
                "end_points": ends.iter().map(|e| json!({ "final_loss": e.0, "solved": e.1, "grad_norm": e.2, "min_eigenvalue": e.3.first(), "max_eigenvalue": e.3.last(), "kind": e.4 })).collect::<Vec<_>>(),
            }),
    )
}
