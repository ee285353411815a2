//! `gdlab gradcheck` and `gdlab taylor` on the shipped configs, through the real binary.

use crate::common::*;

const SHIPPED: [&str; 5] = ["linear_regression", "logistic_regression", "quadratic", "diabetes", "breast_cancer"];

#[test]
fn gradcheck_passes_on_every_shipped_config_in_both_dtypes() {
    for name in SHIPPED {
        for dtype in ["f32", "f64"] {
            let o = gdlab(&["gradcheck", &format!("configs/{name}.toml"), "--dtype", dtype]);
            assert!(o.status.success(), "{name} {dtype}: {}{}", stdout(&o), stderr(&o));
            assert!(stdout(&o).contains("verdict: all"), "{}", stdout(&o));
        }
    }
}

#[test]
fn gradcheck_json_has_one_object_per_scalar_parameter() {
    let o = gdlab(&["gradcheck", "configs/linear_regression.toml", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout(&o)).expect("stdout is JSON only");
    assert_eq!(rows.len(), 3);
    for key in ["name", "index", "value", "autodiff", "analytic", "numeric", "abs_err", "rel_err"] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "missing {key}");
    }
    assert_eq!(rows[0]["name"], "layers.0.weight");
    assert_eq!(rows[1]["index"], 1);
    assert_eq!(rows[2]["name"], "layers.0.bias");
    // Starting at w = 0, b = 0: C = mean((y - b)^2), so dC/db = -2 mean(y) exactly.
    let l = gdlab::config::load(&root().join("configs/linear_regression.toml"), &[]).unwrap();
    let y = gdlab::data::load(&l.spec.data.source, l.spec.seed, &l.base_dir).unwrap().y;
    let expected = -2.0 * y.iter().sum::<f64>() / y.len() as f64;
    let db = rows[2]["autodiff"].as_f64().unwrap();
    // f32 on the device: y rounded to f32 and summed over 200 rows, relative error ~1e-6.
    assert!((db - expected).abs() < 1e-5 * expected.abs().max(1.0), "dC/db = {db}, -2 mean(y) = {expected}");
    assert!((db - rows[2]["analytic"].as_f64().unwrap()).abs() < 1e-4);
}

#[test]
fn gradcheck_at_a_finished_run_writes_gradcheck_json_there() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    train_ok("configs/logistic_regression.toml", &out, &["optimizer.steps=50"]);
    let o = gdlab(&["gradcheck", "configs/logistic_regression.toml", "--at", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let rows: Vec<serde_json::Value> = serde_json::from_str(&std::fs::read_to_string(out.join("gradcheck.json")).unwrap()).unwrap();
    // The run's final parameters, not the start (which is all zeros).
    let s = summary(&out);
    assert_eq!(rows[2]["value"].as_f64(), s["parameters"]["bias"].as_f64());
    assert_ne!(rows[0]["value"].as_f64(), Some(0.0));
}

#[test]
fn gradcheck_fails_and_names_the_parameter_when_the_formula_is_wrong() {
    let o = gdlab(&["gradcheck", "configs/linear_regression.toml", "--perturb-analytic", "w_x2"]);
    assert_eq!(o.status.code(), Some(4), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("w_x2"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("w_x1"), "{}", stderr(&o));
    assert!(stdout(&o).lines().any(|l| l.starts_with("w_x2") && l.ends_with("Fail")), "{}", stdout(&o));
}

#[test]
fn taylor_ratio_tends_to_one_for_small_steps_and_departs_for_large() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("taylor");
    let lrs = [0.0001, 0.001, 0.01, 0.1, 0.9];
    let o =
        gdlab(&["taylor", "configs/quadratic.toml", "--lr", "0.0001,0.001,0.01,0.1,0.9", "--steps", "5", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("taylor.json")).unwrap()).unwrap();
    let ratios: Vec<f64> = r["lrs"].as_array().unwrap().iter().map(|l| l["first_ratio"].as_f64().unwrap()).collect();
    // On C(b) = (a - b)^2 a step changes C by exactly (1 - lr) times the first-order
    // prediction; f32 rounding of C = 25 (~2e-6) against a change of 1e-2 at lr = 1e-4 allows 1e-3.
    for (lr, ratio) in lrs.iter().zip(&ratios) {
        assert!((ratio - (1.0 - lr)).abs() < 1e-3, "lr {lr}: ratio {ratio}");
    }
    assert!((ratios[0] - 1.0).abs() < 1e-3);
    assert!((ratios[4] - 1.0).abs() > 0.5);
    for w in ratios.windows(2) {
        assert!((w[1] - 1.0).abs() > (w[0] - 1.0).abs(), "{ratios:?}");
    }
    for f in ["taylor.png", "taylor.svg", "taylor_ratio.png"] {
        assert_figure(&out.join(f));
    }
    // taylor.csv: one row per (lr, step), each with its predicted and actual change.
    let mut r = csv::Reader::from_path(out.join("taylor.csv")).unwrap();
    assert_eq!(r.records().count(), lrs.len() * 5);
}

#[test]
fn no_random_direction_beats_the_negative_gradient() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("taylor");
    let o = gdlab(&[
        "taylor",
        "configs/logistic_regression.toml",
        "--lr",
        "0.001,0.1",
        "--steps",
        "3",
        "--directions",
        "500",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("taylor.json")).unwrap()).unwrap();
    let s = &r["steepest"];
    let grad = s["gradient_drop"].as_f64().unwrap();
    let drops: Vec<f64> = s["random_drops"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(drops.len(), 500);
    assert!(grad > 0.0);
    assert!(drops.iter().all(|d| *d < grad), "best random {}", drops.iter().cloned().fold(f64::MIN, f64::max));
    assert_eq!(r["random_directions_beating_gradient"], 0);
    assert!(stdout(&o).contains("no random direction beat -grad C"));
}

#[test]
fn training_metrics_carry_the_taylor_check() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    train_ok("configs/quadratic.toml", &out, &[]);
    let ratio = column(&out, "taylor_ratio");
    // Row 0 has no update behind it; on the parabola every update has ratio 1 - lr = 0.9.
    assert_eq!(ratio.len(), 61);
    assert!(ratio[0].is_nan());
    for r in &ratio[1..11] {
        assert!((r - 0.9).abs() < 1e-4, "{ratio:?}");
    }
    let (h, rows) = metrics(&out);
    let p = h.iter().position(|c| c == "predicted_dc").unwrap();
    assert_eq!(rows[0][p], "");
    // predicted dC of update 1 = -lr |g|^2 = -0.1 * 10^2.
    assert!((rows[1][p].parse::<f64>().unwrap() + 10.0).abs() < 1e-4);
}

/// A loss that overflows where the check starts (not a diverged run's end point) is a failed
/// check, exit 4: only at a run that diverged is an infinite loss "nothing to compare".
#[test]
fn gradcheck_fails_when_the_loss_overflows_at_the_start() {
    let o = gdlab(&["gradcheck", "configs/linear_regression.toml", "--set", "model.start.weights=[1e30, 1e30]"]);
    assert_eq!(o.status.code(), Some(4), "{}{}", stdout(&o), stderr(&o));
    assert!(stderr(&o).contains("FAILED: the loss is inf"), "{}", stderr(&o));
    assert!(stdout(&o).contains("verdict: FAILED"), "{}", stdout(&o));
}
