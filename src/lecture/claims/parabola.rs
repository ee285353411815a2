//! Chapter 3 (경사하강법): descent on the parabola C(b) = (a − b)² (points 1, 14 to 19).

use crate::commands::sweep::RunRow;
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, column};
use crate::report::plot::Series;
use minijinja::context;
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let run = lab.train("parabola", &[], "4_parabola", "descent")?;
    // A start right of the vertex: the slope is positive there, so b must decrease.
    let right = lab.train("parabola", &["model.start.bias=8.0"], "4_parabola", "from_the_right")?;
    let a = 3.0;
    let toward = |b: &[f64]| b.windows(2).all(|w| (a - w[0]).signum() == (w[1] - w[0]).signum() || w[1] == w[0]);
    let shrink = |b: &[f64]| b.windows(3).all(|w| (w[2] - w[1]).abs() <= (w[1] - w[0]).abs() + 1e-12);
    let (b, br) = (column(&run.dir, "b"), column(&right.dir, "b"));
    let (toward_l, toward_r) = (toward(&b), toward(&br));
    let steps_shrink = shrink(&b) && shrink(&br);
    let (end, end_r) = (*b.last().unwrap(), *br.last().unwrap());
    let slope_end = -2.0 * (a - end);
    // Point 17: the slope Δy/Δx of a secant from b₀ tends to the tangent's dC/db as Δb shrinks;
    // autodiff's |∂C/∂b| at b₀ is the run's own grad_norm at step 0.
    let c = |x: f64| (a - x) * (a - x);
    let b0 = b[0];
    let secants: Vec<f64> = [1.0, 0.1, 0.01].iter().map(|h| (c(b0 + h) - c(b0)) / h).collect();
    let autodiff = column(&run.dir, "grad_norm")[0];
    let tangent = -2.0 * (a - b0);
    let secants_close =
        secants.windows(2).all(|w| (w[1] - tangent).abs() < (w[0] - tangent).abs()) && (autodiff - tangent.abs()).abs() < 1e-4;
    let holds = toward_l && toward_r && steps_shrink && (end - a).abs() < 1e-3 && (end_r - a).abs() < 1e-3 && secants_close;
    let n = b.len() - 1;
    let [s1, s01, s001] = [secants[0], secants[1], secants[2]];
    let visits = b.len();
    let ctx = context! { holds, toward_l, toward_r, steps_shrink, n, end, end_r, slope_end, visits, s1, s01, s001, tangent, autodiff };
    // The parabola, the iterates from both sides, the first updates as segments from one
    // iterate to the next, and the tangent at each of the first five iterates.
    let dir = lab.dir.join("4_parabola");
    let curve: Vec<(f64, f64)> = (0..=200).map(|k| -3.0 + 12.0 * k as f64 / 200.0).map(|x| (x, c(x))).collect();
    let first = |b: &[f64]| b.iter().take(5).copied().collect::<Vec<f64>>();
    let tangents = |b: &[f64]| -> Vec<[(f64, f64); 2]> {
        first(b).into_iter().map(|x| (c(x), -2.0 * (a - x), x)).map(|(y, m, x)| [(x - 0.7, y - 0.7 * m), (x + 0.7, y + 0.7 * m)]).collect()
    };
    let updates = |b: &[f64]| -> Vec<[(f64, f64); 2]> { b.windows(2).take(5).map(|w| [(w[0], c(w[0])), (w[1], c(w[1]))]).collect() };
    let on_curve = |b: &[f64]| b.iter().map(|&x| (x, c(x))).collect::<Vec<_>>();
    let parabola = lab.figure("parabola", &dir, "parabola", &ctx, |w| {
        let series = vec![
            Series::line(w.word("curve")?, curve.clone()),
            Series::segments(w.word("updates")?, [updates(&b), updates(&br)].concat()),
            Series::segments(w.word("tangents")?, [tangents(&b), tangents(&br)].concat()),
            Series::dots(w.word("from_left")?, on_curve(&b)),
            Series::dots(w.word("from_right")?, on_curve(&br)),
        ];
        w.line(&series, Some(false))
    })?;
    // C(b_k) over k from both starts: the loss falls at the same rate from either side.
    let loss = lab.figure("parabola", &dir, "loss", &ctx, |w| {
        let k = |r: &RunRow| column(&r.dir, "step").into_iter().zip(column(&r.dir, "loss")).collect();
        w.line(&[Series::line(w.word("from_left")?, k(&run)), Series::line(w.word("from_right")?, k(&right))], Some(true))
    })?;
    Prose { id: "parabola", ctx: &ctx }.claim(
        &[1, 14, 15, 16, 17, 18, 19],
        "접선의 기울기가 0",
        holds,
        vec![parabola, loss],
        json!({ "secant_slopes": secants, "tangent_slope": tangent, "autodiff_slope_magnitude": autodiff, "visited": visits, "final_b": end, "final_b_from_right": end_r, "a": a, "moved_toward_a": toward_l, "moved_toward_a_from_right": toward_r, "steps_shrink": steps_shrink }),
    )
}
