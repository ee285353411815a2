//! `gdlab lecture` from a fresh run: every claim's verdict, asserted on the measured numbers.

mod common;
use common::*;
use serde_json::Value;
use std::sync::OnceLock;

/// The lecture runs once for all tests in this file (it takes a few seconds).
/// The report, made once per test run in cargo's temp folder for integration tests (inside
/// target/, replaced on the next run, so nothing accumulates in the system temp folder).
fn report() -> &'static (std::path::PathBuf, Vec<Value>) {
    static REPORT: OnceLock<(std::path::PathBuf, Vec<Value>)> = OnceLock::new();
    REPORT.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lecture-test");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("lecture");
        let o = gdlab(&["lecture", "--out", out.to_str().unwrap()]);
        assert!(o.status.code().is_some(), "{}", stderr(&o));
        let text = std::fs::read_to_string(out.join("lecture.json")).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        let claims: Vec<Value> = serde_json::from_str(&text).unwrap();
        (dir, claims)
    })
}

fn claim(id: &str) -> &'static Value {
    report().1.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no claim {id}"))
}

fn num(c: &Value, path: &[&str]) -> f64 {
    path.iter().fold(c, |v, k| &v[*k]).as_f64().unwrap_or_else(|| panic!("{path:?} in {c}"))
}

#[test]
fn the_report_is_complete_and_self_contained() {
    let dir = report().0.join("lecture");
    assert_eq!(report().1.len(), gdlab::commands::lecture::CLAIM_COUNT);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.matches("<svg").count() >= 9);
    assert!(!html.contains("src=\""), "index.html must not load other files");
    let md = std::fs::read_to_string(dir.join("REPORT.md")).unwrap();
    for c in &report().1 {
        assert!(md.contains(c["verdict"].as_str().unwrap()));
        for f in c["figures"].as_array().unwrap() {
            let f = f.as_str().unwrap();
            assert!(dir.join(format!("{f}.png")).exists() && dir.join(format!("{f}.svg")).exists(), "{f}");
        }
    }
}

#[test]
fn claim_1_descent_reaches_the_vertex_of_the_parabola() {
    let c = claim("parabola");
    assert!((num(c, &["numbers", "final_b"]) - 3.0).abs() < 1e-3, "{c}");
    assert_eq!(c["numbers"]["moved_toward_a"], true);
    assert_eq!(c["numbers"]["steps_shrink"], true);
    assert_eq!(c["holds"], true);
}

#[test]
fn claim_2_the_measured_threshold_brackets_the_theoretical_one() {
    let c = claim("learning_rate");
    // (a - b)^2 has Hessian 2: the limit is exactly lr = 1.
    assert!((num(c, &["numbers", "parabola", "theory_lr"]) - 1.0).abs() < 1e-12);
    for part in ["parabola", "least_squares"] {
        assert!(num(c, &["numbers", part, "stable_max_factor"]) < 1.0);
        assert!(num(c, &["numbers", part, "diverge_min_factor"]) > 1.0);
        let kinds: Vec<&str> = c["numbers"][part]["behaviour"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(kinds, ["slow", "converges", "oscillates", "oscillates", "diverges", "diverges"], "{part}");
    }
}

#[test]
fn claim_3_a_bias_reaches_the_target_loss_and_no_bias_cannot() {
    let c = claim("bias");
    assert!(c["numbers"]["steps_with_bias"].as_u64().is_some(), "{c}");
    assert!(c["numbers"]["steps_without_bias"].is_null(), "{c}");
    assert!(num(c, &["numbers", "best_loss_without_bias"]) > 0.5);
}

#[test]
fn claim_4_cross_entropy_escapes_a_saturated_start_faster_than_mse() {
    let c = claim("cross_entropy");
    let bce = num(c, &["numbers", "steps_to_90_bce"]);
    let mse = num(c, &["numbers", "steps_to_90_mse"]);
    assert!(bce * 5.0 <= mse, "bce {bce} mse {mse}");
    assert!(num(c, &["numbers", "grad_norm_start_bce"]) > 10.0 * num(c, &["numbers", "grad_norm_start_mse"]));
}

#[test]
fn claim_5_mae_resists_outliers_that_pull_mse() {
    let c = claim("mse_mae");
    assert!(num(c, &["numbers", "mae_distance"]) < 0.1, "{c}");
    assert!(num(c, &["numbers", "mse_distance"]) > 1.0, "{c}");
    assert!((num(c, &["numbers", "squared_error"]) - 0.01).abs() < 1e-12);
}

#[test]
fn claim_6_the_sigmoid_mse_surface_is_not_a_parabola() {
    let c = claim("not_a_parabola");
    assert!(num(c, &["numbers", "negative_curvature_fraction"]) > 0.1, "{c}");
    assert!(num(c, &["numbers", "plateau_fraction"]) > 0.02, "{c}");
}

#[test]
fn claim_7_first_order_holds_for_small_steps_and_the_gradient_is_steepest() {
    let c = claim("taylor");
    let r: Vec<f64> = c["numbers"]["first_ratios"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!((r[0] - 1.0).abs() < 0.01 && (r[4] - 1.0).abs() > 0.5, "{r:?}");
    assert_eq!(c["numbers"]["random_directions_beating_gradient"], 0);
}

#[test]
fn claim_8_and_or_are_learned_xor_is_not_by_either_rule() {
    let c = claim("perceptron");
    for gate in ["and", "or"] {
        assert_eq!(num(c, &["numbers", gate, "perceptron_accuracy"]), 1.0, "{gate}");
        assert_eq!(num(c, &["numbers", gate, "gd_accuracy"]), 1.0, "{gate}");
    }
    assert!(num(c, &["numbers", "xor", "perceptron_accuracy"]) < 1.0);
    assert!(num(c, &["numbers", "xor", "gd_accuracy"]) < 1.0);
    assert!(num(c, &["numbers", "noisy_blobs", "gd_accuracy"]) > 0.9);
}

#[test]
fn claim_9_different_starts_end_in_different_places() {
    let c = claim("local_minima");
    let solved = num(c, &["numbers", "solved"]);
    assert!(solved > 0.0 && solved < 20.0, "{c}");
    assert!(num(c, &["numbers", "distinct_end_points"]) >= 2.0);
}

#[test]
fn the_committed_report_matches_a_fresh_run() {
    // artifacts/lecture is regenerated with `gdlab lecture` whenever an experiment changes;
    // runs are deterministic, so its verdicts must equal the fresh ones word for word.
    let committed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root().join("artifacts/lecture/lecture.json")).expect("committed report")).unwrap();
    let fresh = &report().1;
    assert_eq!(committed.len(), fresh.len());
    for (a, b) in committed.iter().zip(fresh) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["verdict"], b["verdict"], "regenerate artifacts/lecture with `gdlab lecture`");
        assert_eq!(a["holds"], true);
    }
}
