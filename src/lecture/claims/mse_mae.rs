//! Chapter 2 (손실함수): MSE and MAE, and the summed error drawn as an area (points 5 to 11).

use crate::commands::sweep::RunRow;
use crate::config;
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose};
use crate::report::plot::{ErrorAreas, Series};
use crate::run::artifacts;
use crate::train::experiment;
use minijinja::context;
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let mse = lab.train("outliers", &[], "2_mse_mae", "mse")?;
    let mae = lab.train("outliers", &["loss.kind=\"mae\""], "2_mse_mae", "mae")?;
    let line = |r: &RunRow| {
        // A neuron of two parameters: summary.json lists them.
        let p = r.summary.as_ref().and_then(|s| s.parameters.as_ref()).map(|p| p.flat()).unwrap_or_default();
        (p.first().copied().unwrap_or(f64::NAN), p.get(1).copied().unwrap_or(f64::NAN))
    };
    let (wm, bm) = line(&mse);
    let (wa, ba) = line(&mae);
    let dist = |w: f64, b: f64| ((w - 2.0).powi(2) + (b - 0.5).powi(2)).sqrt();
    let (dm, da) = (dist(wm, bm), dist(wa, ba));
    let holds = da * 5.0 < dm;
    // The data and both fitted lines.
    let exp = experiment::prepare(config::load(&lab.config("outliers"), &[])?)?;
    let t = &exp.splits.train;
    let pts: Vec<(f64, f64)> = (0..t.len()).map(|i| (t.row(i)[0], t.y[i])).collect();
    let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let fit = |w: f64, b: f64| vec![(lo, w * lo + b), (hi, w * hi + b)];
    // The true line as markers on top: the MAE fit lies almost on it.
    let marks: Vec<(f64, f64)> = (0..=12).map(|k| lo + (hi - lo) * k as f64 / 12.0).map(|x| (x, 2.0 * x + 0.5)).collect();
    let dir = lab.dir.join("2_mse_mae");
    let (abs, sq) = ((1.0f64 - 1.1).abs(), (1.0f64 - 1.1).powi(2));
    let area = error_areas(lab, "2_mse_mae")?;
    // The loss is an f32 mean of 8 squares: 1e-5 is a hundred times its rounding.
    let holds = holds && area.shrinks && area.mse_gap < 1e-5;
    let [(s0, b0), (s1, b1), (sk, bk)] = area.totals;
    let k = area.last_step;
    let ctx = context! {
        holds, wa, ba, da, wm, bm, dm, abs, sq, s0, s1, sk, b0, b1, bk, k, gap => area.mse_gap,
    };
    let fits = lab.figure("mse_mae", &dir, "fits", &ctx, |w| {
        let series = vec![
            Series::dots(w.word("data")?, pts.clone()),
            Series::line(w.get("mse_fit", &context! { w => wm, b => bm })?, fit(wm, bm)),
            Series::line(w.get("mae_fit", &context! { w => wa, b => ba })?, fit(wa, ba)),
            Series::dots(w.word("true_line")?, marks.clone()),
        ];
        w.line(&series, Some(false))
    })?;
    let areas = lab.figure("mse_mae", &dir, "areas", &ctx, |w| {
        let panels = area.stages.iter().map(|s| Ok((w.get("panel", &context! { step => s.step, sq => s.sq, bars => s.bars })?, s.w, s.b)));
        let panels = panels.collect::<Result<Vec<_>, GdlabError>>()?;
        let title = w.word("title")?;
        w.draw((1200, 470), &ErrorAreas { title: &title, points: &area.points, panels: &panels, lang: w.figure_lang })
    })?;
    Prose { id: "mse_mae", ctx: &ctx }.claim(
        &[5, 6, 7, 8, 9, 10, 11],
        "부호의 효과를 없애기",
        holds,
        vec![fits, areas],
        json!({ "mae_fit": [wa, ba], "mse_fit": [wm, bm], "mae_distance": da, "mse_distance": dm, "abs_error": abs, "squared_error": sq, "square_areas": [s0, s1, sk], "bar_lengths": [b0, b1, bk], "area_steps": [0, 1, k], "mse_gap": area.mse_gap }),
    )
}

/// The errors of a line as bars and squares at three stages of descent (points 6 and 7).
struct Areas {
    /// (sum of squares, sum of |errors|) at step 0, after one update, and at the end.
    totals: [(f64, f64); 3],
    last_step: usize,
    /// Both totals fall at every shown stage.
    shrinks: bool,
    /// Largest |mean square - logged loss| / loss over the stages: the squares are the MSE.
    mse_gap: f64,
    /// The data, and the line at each stage.
    points: Vec<(f64, f64)>,
    stages: Vec<Stage>,
}

struct Stage {
    step: f64,
    sq: f64,
    bars: f64,
    w: f64,
    b: f64,
}

fn error_areas(lab: &Lab, claim: &str) -> Result<Areas, GdlabError> {
    let run = lab.train("error_area", &[], claim, "areas")?;
    let exp = experiment::prepare(config::load(&lab.config("error_area"), &[])?)?;
    let t = &exp.splits.train;
    let pts: Vec<(f64, f64)> = (0..t.len()).map(|i| (t.row(i)[0], t.y[i])).collect();
    let cols = artifacts::metrics_columns(&run.dir, &["step", "loss", "w_x1", "b"]).map_err(GdlabError::Runtime)?;
    let last = cols[0].len().saturating_sub(1);
    let rows = [0, 1.min(last), last];
    let mut totals = [(0.0, 0.0); 3];
    let mut stages = Vec::new();
    let mut mse_gap = 0.0f64;
    for (k, &r) in rows.iter().enumerate() {
        let (step, loss, w, b) = (cols[0][r], cols[1][r], cols[2][r], cols[3][r]);
        let errors: Vec<f64> = pts.iter().map(|(x, y)| w * x + b - y).collect();
        let (sq, bars) = (errors.iter().map(|e| e * e).sum::<f64>(), errors.iter().map(|e| e.abs()).sum::<f64>());
        mse_gap = mse_gap.max((sq / pts.len() as f64 - loss).abs() / loss.abs().max(1e-12));
        totals[k] = (sq, bars);
        stages.push(Stage { step, sq, bars, w, b });
    }
    let falls = |a: f64, b: f64| b < a;
    let shrinks = (0..2).all(|k| falls(totals[k].0, totals[k + 1].0) && falls(totals[k].1, totals[k + 1].1));
    Ok(Areas { totals, last_step: cols[0][last] as usize, shrinks, mse_gap, points: pts, stages })
}
