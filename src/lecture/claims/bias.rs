//! Chapter 1 (경사하강법의 정의): a bias moves the sigmoid (points 2, 3, 4).

use crate::commands::sweep;
use crate::error::GdlabError;
use crate::lecture::Claim;
use crate::lecture::lab::{Lab, Prose, column, figure_text};
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
    let cdir = sweep::compare(
        &[with.dir.clone(), without.dir.clone()],
        &[],
        Some(target),
        Some(&lab.dir.join("1_bias").join("compare")),
        Some(&figure_text("bias.compare", &context! {})?),
        lab.never(),
    )?
    .dir;
    let ctx = context! { holds, target, with_steps => sw, without_steps => so, steps => without.steps, best_without };
    Prose { id: "bias", ctx: &ctx }.claim(
        &[2, 3, 4],
        "기울기가 급해지기",
        holds,
        vec![lab.rel(&cdir.join("compare_loss"))],
        json!({ "target": target, "steps_with_bias": sw, "steps_without_bias": so, "best_loss_without_bias": best_without }),
    )
}
