//! Chapter 3 (경사하강법): the perceptron rule against gradient descent (points 26, 27, 29, 30,
//! 31).

use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, column};
use crate::report::plot::Series;
use minijinja::{Value, context};
use serde_json::json;
use std::path::Path;

/// Passes over the data the perceptron figure shows.
const PASSES_DRAWN: f64 = 200.0;

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
    for (set, name, config) in [
        (Some("data.gate=\"and\""), "AND", "gates"),
        (Some("data.gate=\"or\""), "OR", "gates"),
        (Some("data.gate=\"xor\""), "XOR", "gates"),
        (None, "noisy blobs", "noisy_blobs"),
    ] {
        let sets: Vec<&str> = set.into_iter().collect();
        let tag = name.to_lowercase().replace(' ', "_");
        let p = lab.perceptron(config, &sets, "8_perceptron", &format!("perceptron_{tag}"))?;
        let gd_sets: Vec<&str> = sets.iter().copied().chain(GD).collect();
        let gd = lab.train(config, &gd_sets, "8_perceptron", &format!("gd_{tag}"))?;
        let (pa, ga) = (p.final_accuracy.unwrap_or(0.0), gd.final_accuracy.unwrap_or(0.0));
        holds &= match name {
            "XOR" => pa < 1.0 && ga < 1.0,
            "noisy blobs" => ga > 0.9,
            _ => pa == 1.0 && ga == 1.0,
        };
        let (pp, gp, pe) = (100.0 * pa, 100.0 * ga, p.steps);
        parts.push(context! { name, pp, gp, pe });
        numbers.insert(
            tag.clone(),
            json!({ "perceptron_accuracy": pa, "gd_accuracy": ga, "perceptron_row_updates": p.steps, "perceptron_stop": p.stop_reason }),
        );
        // Both rules per pass over the data: a perceptron epoch, a full-batch step.
        // The first passes, where the rules differ; the verdict gives where each ended.
        let first = |v: Vec<(f64, f64)>| v.into_iter().filter(|p| p.0 <= PASSES_DRAWN).collect::<Vec<_>>();
        curves.push((name, first(error_rate(&p.dir, "epoch")), first(error_rate(&gd.dir, "step"))));
    }
    let ctx = context! { holds, parts => Value::from(parts) };
    let figure = lab.figure("perceptron", &lab.dir.join("8_perceptron"), "perceptron", &ctx, |w| {
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
    Prose { id: "perceptron", ctx: &ctx }.claim(&[26, 27, 29, 30, 31], "반장", holds, vec![figure], numbers.into())
}
