//! Chapter 3 (경사하강법): the perceptron rule against gradient descent (points 26, 27, 29, 30,
//! 31).

use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, column, first_step};
use crate::report::plot::Series;
use minijinja::{Value, context};
use serde_json::json;
use std::path::Path;

/// Passes over the data the error-rate figure shows: AND and OR are learnt within 20, so a
/// longer axis would crowd them into its first tenth.
const ERROR_PASSES: f64 = 40.0;
/// Passes the settling figure shows: long enough to see the perceptron rule never settle.
const SETTLING_PASSES: f64 = 200.0;
/// The passes at the end over which a rule is judged settled or not.
const LAST_PASSES: usize = 50;
/// Momentum's β: the share of the previous update carried into the next.
const MOMENTUM: f64 = 0.9;

/// θ = (w₁, w₂, b) after each logged pass of a run on the noisy clusters (two inputs, a bias).
fn thetas(dir: &Path) -> Vec<Vec<f64>> {
    let cols: Vec<Vec<f64>> = ["w_x1", "w_x2", "b"].iter().map(|n| column(dir, n)).collect();
    (0..cols[0].len()).map(|k| cols.iter().map(|c| c[k]).collect()).collect()
}

/// ‖Δθ‖ from one pass over the data to the next: (pass, size).
fn moves(dir: &Path, pass: &str) -> Vec<(f64, f64)> {
    let (t, at) = (thetas(dir), column(dir, pass));
    t.windows(2).zip(&at[1..]).map(|(w, k)| (*k, w[0].iter().zip(&w[1]).map(|(a, b)| (b - a).powi(2)).sum::<f64>().sqrt())).collect()
}

/// Whether a rule settles: its mean ‖Δθ‖ per pass over the last passes, as a share of ‖θ‖ at
/// the end, and how many of those passes changed θ at all.
fn settling(dir: &Path, pass: &str) -> (f64, usize) {
    let m = moves(dir, pass);
    let last = &m[m.len().saturating_sub(LAST_PASSES)..];
    let end = thetas(dir).last().map_or(f64::NAN, |t| t.iter().map(|v| v * v).sum::<f64>().sqrt());
    (last.iter().map(|p| p.1).sum::<f64>() / last.len() as f64 / end, last.iter().filter(|p| p.1 > 0.0).count())
}

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let mut numbers = serde_json::Map::new();
    let mut parts = Vec::new();
    let mut holds = true;
    let mut curves = Vec::new();
    // Gradient descent needs a differentiable neuron: the same data, a sigmoid and BCE.
    const GD: [&str; 2] = ["model.activation=\"sigmoid\"", "loss.kind=\"bce\""];
    let error_rate = |dir: &Path, x: &str| -> Vec<(f64, f64)> {
        column(dir, x).into_iter().zip(column(dir, "accuracy").into_iter().map(|a| 1.0 - a)).collect()
    };
    // The noisy clusters: the perceptron rule gets 200 epochs (the config's 4000 row updates are
    // 20), to show that it never settles.
    for (set, name, config, epochs) in [
        (Some("data.gate=\"and\""), "AND", "gates", None),
        (Some("data.gate=\"or\""), "OR", "gates", None),
        (Some("data.gate=\"xor\""), "XOR", "gates", None),
        (None, "noisy blobs", "noisy_blobs", Some("optimizer.steps=40000")),
    ] {
        let sets: Vec<&str> = set.into_iter().collect();
        let tag = name.to_lowercase().replace(' ', "_");
        let rule_sets: Vec<&str> = sets.iter().copied().chain(epochs).collect();
        let p = lab.perceptron(config, &rule_sets, "8_perceptron", &format!("perceptron_{tag}"))?;
        let gd_sets: Vec<&str> = sets.iter().copied().chain(GD).collect();
        let gd = lab.train(config, &gd_sets, "8_perceptron", &format!("gd_{tag}"))?;
        let (pa, ga) = (p.final_accuracy.unwrap_or(0.0), gd.final_accuracy.unwrap_or(0.0));
        holds &= match name {
            "XOR" => pa < 1.0 && ga < 1.0,
            "noisy blobs" => ga > 0.9,
            _ => pa == 1.0 && ga == 1.0,
        };
        // Percentages to 0.1 (on 4 or 200 rows they are exact there), so that 97 prints as 97.
        let pct = |a: f64| (1000.0 * a).round() / 10.0;
        let (pp, gp, pe, gs) = (pct(pa), pct(ga), p.steps, gd.steps);
        parts.push(context! { name, pp, gp, pe, gs });
        numbers.insert(
            tag.clone(),
            json!({ "perceptron_accuracy": pa, "gd_accuracy": ga, "perceptron_row_updates": p.steps, "perceptron_stop": p.stop_reason }),
        );
        // Both rules per pass over the data: a perceptron epoch, a full-batch step.
        // The first passes, where the rules differ; the verdict gives where each ended.
        let first = |v: Vec<(f64, f64)>| v.into_iter().filter(|p| p.0 <= ERROR_PASSES).collect::<Vec<_>>();
        curves.push((name, first(error_rate(&p.dir, "epoch")), first(error_rate(&gd.dir, "step"))));
    }
    // On the noisy clusters, which no line separates: the perceptron rule keeps moving its
    // line, gradient descent settles; and momentum, one of the methods that improve on plain
    // gradient descent, reaches plain descent's loss (to 1e-3) in far fewer updates.
    let dir = lab.dir.join("8_perceptron");
    let (rule_dir, plain_dir) = (dir.join("perceptron_noisy_blobs"), dir.join("gd_noisy_blobs"));
    let momentum_sets = [GD[0], GD[1], &format!("optimizer.momentum={MOMENTUM}")];
    let momentum = lab.train("noisy_blobs", &momentum_sets, "8_perceptron", "gd_noisy_blobs_momentum")?;
    let ((rule_move, rule_moved), (gd_move, _)) = (settling(&rule_dir, "epoch"), settling(&plain_dir, "step"));
    let plain_end = column(&plain_dir, "loss").last().copied().unwrap_or(f64::NAN);
    let near = plain_end + 1e-3;
    let (plain_steps, momentum_steps) = (first_step(&plain_dir, "loss", |l| l <= near), momentum.steps_to(near));
    // Settled: under 0.01% of θ per pass; still moving: over 1% in every one of the last passes.
    let never_settles = rule_move > 0.01 && rule_moved == LAST_PASSES && gd_move < 1e-4;
    let faster = matches!((plain_steps, momentum_steps), (Some(p), Some(m)) if 5 * m < p);
    holds &= never_settles && faster;
    let (rule_pct, gd_pct) = (100.0 * rule_move, 100.0 * gd_move);
    let noisy = context! { rule_pct, rule_moved, gd_pct, last => LAST_PASSES, beta => MOMENTUM, near, plain_steps, momentum_steps };
    numbers.insert(
        "noisy_blobs_settling".into(),
        json!({ "last_passes": LAST_PASSES, "perceptron_mean_step_share": rule_move, "perceptron_passes_that_moved": rule_moved, "gd_mean_step_share": gd_move,
                "momentum": MOMENTUM, "target_loss": near, "gd_steps_to_target": plain_steps, "momentum_steps_to_target": momentum_steps }),
    );
    let ctx = context! { holds, parts => Value::from(parts), noisy };
    let figure = lab.figure("perceptron", &dir, "perceptron", &ctx, |w| {
        let mut series = Vec::new();
        for (name, rule, descent) in &curves {
            let name = w.word(&format!("data_{}", name.to_lowercase().replace(' ', "_")))?;
            // The perceptron rule solid, gradient descent dashed on top: where they coincide
            // (XOR's 0.5) both still show.
            series.push(Series::line(w.get("rule", &context! { name => name.as_str() })?, rule.clone()));
            series.push(Series::dashed(w.get("descent", &context! { name => name.as_str() })?, descent.clone()));
        }
        w.line(&series, Some(false))
    })?;
    // ‖Δθ‖ per pass on the noisy clusters, log scale (a pass that left θ exactly as it was has
    // no point there).
    let settle = lab.figure("perceptron", &dir, "settling", &ctx, |w| {
        let first = |v: Vec<(f64, f64)>| v.into_iter().filter(|p| p.0 <= SETTLING_PASSES && p.1 > 0.0).collect::<Vec<_>>();
        let series = vec![
            Series::line(w.word("rule_moves")?, first(moves(&rule_dir, "epoch"))),
            Series::line(w.word("descent_moves")?, first(moves(&plain_dir, "step"))),
            Series::line(w.word("momentum_moves")?, first(moves(&momentum.dir, "step"))),
        ];
        w.line(&series, Some(true))
    })?;
    Prose { id: "perceptron", ctx: &ctx }.claim(&[26, 27, 29, 30, 31], "반장", holds, vec![figure, settle], numbers.into())
}
