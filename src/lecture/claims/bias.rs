//! Chapter 1 (경사하강법의 정의): a bias moves the sigmoid (points 2, 3, 4).

use crate::commands::sweep::RunRow;
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, column};
use crate::report::plot::Series;
use minijinja::context;
use serde_json::json;

pub fn claim(lab: &Lab) -> Result<Claim, GdlabError> {
    let with = lab.train("bias_sigmoid", &[], "1_bias", "with_bias")?;
    let without = lab.train("bias_sigmoid", &["model.bias=false"], "1_bias", "without_bias")?;
    let target = 0.1;
    let (sw, so) = (with.steps_to(target), without.steps_to(target));
    let best_without = column(&without.dir, "loss").into_iter().fold(f64::INFINITY, f64::min);
    let holds = match (sw, so) {
        (Some(a), Some(b)) => a * 5 < b,
        (Some(_), None) => true,
        _ => false,
    };
    let ctx = context! { holds, target, with_steps => sw, without_steps => so, steps => without.steps, best_without };
    // Both loss curves with the target loss as a line: where each crosses it, if it does.
    let dir = lab.dir.join("1_bias");
    let loss = lab.figure("bias", &dir, "loss", &ctx, |w| {
        let curve = |r: &RunRow| column(&r.dir, "step").into_iter().zip(column(&r.dir, "loss")).collect();
        let last = with.steps.max(without.steps) as f64;
        let series = vec![
            Series::line(w.word("with")?, curve(&with)),
            Series::line(w.word("without")?, curve(&without)),
            Series::line(w.get("target", &context! { target })?, vec![(0.0, target), (last, target)]),
        ];
        w.line(&series, None)
    })?;
    Prose { id: "bias", ctx: &ctx }.claim(
        &[2, 3, 4],
        "기울기가 급해지기",
        holds,
        vec![loss],
        json!({ "target": target, "steps_with_bias": sw, "steps_without_bias": so, "best_loss_without_bias": best_without }),
    )
}
