//! `gdlab lecture` from a fresh run: each claim checked on the runs it made, independently of
//! the thresholds in src/commands/lecture.rs where that can be done (read from metrics.csv,
//! recomputed with `gdlab gradcheck`), the two languages against each other, and the
//! committed report against the fresh one by its measured numbers.

mod common;
use common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The report, made once per test run in cargo's temp folder for integration tests.
fn report() -> &'static (PathBuf, Vec<Value>) {
    static REPORT: OnceLock<(PathBuf, Vec<Value>)> = OnceLock::new();
    REPORT.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lecture-test");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("lecture");
        let o = gdlab(&["lecture", "--out", out.to_str().unwrap()]);
        // Exit 0: every claim holds (4 would mean one does not).
        assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
        let text = std::fs::read_to_string(out.join("lecture.json")).unwrap();
        (out, serde_json::from_str(&text).unwrap())
    })
}

fn claim(id: &str) -> &'static Value {
    report().1.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no claim {id}"))
}

fn num(c: &Value, path: &[&str]) -> f64 {
    path.iter().fold(c, |v, k| &v[*k]).as_f64().unwrap_or_else(|| panic!("{path:?} in {c}"))
}

/// The numbers in a sentence, in order (digits, a decimal part, an exponent; signs ignored).
fn numbers(s: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'e' && (b[i + 1].is_ascii_digit() || b[i + 1] == b'-') {
                i += 2;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            out.push(s[start..i].trim_end_matches('.').parse().unwrap_or(f64::NAN));
        } else {
            i += 1;
        }
    }
    out
}

fn column(run: &Path, name: &str) -> Vec<f64> {
    let mut r = csv::Reader::from_path(run.join("metrics.csv")).unwrap();
    let k = r.headers().unwrap().iter().position(|h| h == name).unwrap_or_else(|| panic!("{name} in {}", run.display()));
    r.records().map(|rec| rec.unwrap()[k].parse::<f64>().unwrap_or(f64::NAN)).collect()
}

#[test]
fn the_report_is_complete_in_both_languages_and_opens_from_its_folder() {
    let dir = &report().0;
    assert_eq!(report().1.len(), gdlab::commands::lecture::CLAIM_COUNT);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.len() < 1 << 20, "index.html is {} bytes", html.len());
    assert!(html.contains("<math") && html.contains("lang-ko") && html.contains("lang-en"));
    // Every file it loads is a figure in the folder.
    for src in html.split("src=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]) {
        assert!(src.starts_with("figures/") && dir.join(src).exists(), "{src}");
    }
    let (md, ko) = (std::fs::read_to_string(dir.join("REPORT.md")).unwrap(), std::fs::read_to_string(dir.join("REPORT.ko.md")).unwrap());
    for c in &report().1 {
        assert!(md.contains(c["verdict"]["en"].as_str().unwrap()));
        assert!(ko.contains(c["verdict"]["ko"].as_str().unwrap()));
        assert!(!c["quote"].as_str().unwrap().is_empty() && !c["points"].as_array().unwrap().is_empty());
        for f in c["figures"].as_array().unwrap() {
            let f = f.as_str().unwrap();
            assert!(dir.join(format!("{f}.png")).exists() && dir.join(format!("{f}.svg")).exists(), "{f}");
        }
    }
}

#[test]
fn both_languages_state_the_same_numbers() {
    for c in &report().1 {
        for part in ["verdict", "statement"] {
            let mut ko = numbers(c[part]["ko"].as_str().unwrap());
            let mut en = numbers(c[part]["en"].as_str().unwrap());
            ko.sort_by(f64::total_cmp);
            en.sort_by(f64::total_cmp);
            assert_eq!(ko, en, "{} {part}: the Korean and English sentences disagree on their numbers", c["id"]);
        }
    }
}

/// All 34 teaching points of the lecture (../shared/lecture/README.md) are named by a claim,
/// and the claims come in the lecture's order (by their first point after the general one).
#[test]
fn every_teaching_point_is_shown_in_lecture_order() {
    let points: Vec<Vec<u64>> =
        report().1.iter().map(|c| c["points"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).collect()).collect();
    let mut all: Vec<u64> = points.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all, (1..=34).collect::<Vec<u64>>(), "teaching points not shown");
    let firsts: Vec<u64> = points.iter().map(|p| *p.iter().find(|&&k| k > 1).unwrap()).collect();
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "claims out of lecture order: {firsts:?}");
}

#[test]
fn claim_descent_reaches_the_vertex_from_both_sides() {
    let dir = report().0.join("4_parabola");
    for (run, grows) in [("descent", true), ("from_the_right", false)] {
        let b = column(&dir.join(run), "b");
        assert!(b.windows(2).all(|w| if grows { w[1] >= w[0] } else { w[1] <= w[0] }), "{run}: every step moves toward 3");
        assert!((b.last().unwrap() - 3.0).abs() < 1e-3, "{run}: {b:?}");
    }
    // Point 17: secant slopes tend to the tangent's, which autodiff measured at step 0
    // (C(b) = (3 - b)^2 at b0 = -2: dC/db = -10, the secant over h is -10 + h).
    let c = claim("parabola");
    let b0 = column(&dir.join("descent"), "b")[0];
    let tangent = -2.0 * (3.0 - b0);
    let secants: Vec<f64> = c["numbers"]["secant_slopes"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for (s, h) in secants.iter().zip([1.0, 0.1, 0.01]) {
        assert!((s - (tangent + h)).abs() < 1e-9, "secant over {h}: {s}");
    }
    let autodiff = column(&dir.join("descent"), "grad_norm")[0];
    assert!((autodiff - tangent.abs()).abs() < 1e-4, "autodiff |dC/db| {autodiff} vs {tangent}");
}

/// Point 33: the plateau-then-fall runs and their shares, recomputed from each solved XOR run's
/// own metrics.csv.
#[test]
fn claim_sudden_falls_are_made_of_small_steps() {
    let c = claim("local_minima");
    let sweep = report().0.join("9_local_minima/sweep/runs");
    let (mut plateaus, mut w_lo, mut w_hi, mut s_hi) = (0, f64::INFINITY, 0.0f64, 0.0f64);
    for entry in std::fs::read_dir(&sweep).unwrap() {
        let run = entry.unwrap().path();
        if summary(&run)["final_accuracy"].as_f64() != Some(1.0) {
            continue;
        }
        let loss = column(&run, "loss");
        let total = loss[0] - loss[loss.len() - 1];
        let start = (0..loss.len() - 100).max_by(|&a, &b| (loss[a] - loss[a + 100]).total_cmp(&(loss[b] - loss[b + 100]))).unwrap();
        if start <= 20 {
            continue;
        }
        let fall = loss[start] - loss[start + 100];
        let step = (start + 1..=start + 100).map(|i| loss[i - 1] - loss[i]).fold(0.0, f64::max);
        plateaus += 1;
        (w_lo, w_hi, s_hi) = (w_lo.min(fall / total), w_hi.max(fall / total), s_hi.max(step / fall));
    }
    assert_eq!(plateaus as f64, num(c, &["numbers", "plateau_runs"]));
    let shares = &c["numbers"]["steepest_window_share"];
    assert!(
        (shares[0].as_f64().unwrap() - w_lo).abs() < 1e-9 && (shares[1].as_f64().unwrap() - w_hi).abs() < 1e-9,
        "{shares} vs {w_lo} {w_hi}"
    );
    assert!((num(c, &["numbers", "largest_step_share_in_window"]) - s_hi).abs() < 1e-9);
    // The claim's words: a plateau then a steep fall exists, and no single update makes it.
    assert!(plateaus > 0 && w_lo > 0.2 && s_hi < 0.05, "plateaus {plateaus}, window share {w_lo}, largest step {s_hi}");
}

#[test]
fn claim_oscillation_is_a_sign_change_and_the_fastest_rate_is_one_over_lambda() {
    let c = claim("learning_rate");
    assert!((num(c, &["numbers", "parabola", "theory_lr"]) - 1.0).abs() < 1e-12, "(a − b)² has Hessian 2");
    let runs = report().0.join("5_learning_rate/parabola/runs");
    let b_of = |lr: &str| column(&runs.join(lr), "b");
    // η = 0.5 = 1/λ lands on b* = 3 in one step (f32: to 1e-6).
    assert!((b_of("03_lr=0.5")[1] - 3.0).abs() < 1e-6);
    let flips = |b: &[f64]| b.windows(2).filter(|w| (w[0] - 3.0) * (w[1] - 3.0) < 0.0).count();
    // 0.2 never crosses b*; 0.7 and 0.95 cross on every step while |b − 3| shrinks; 1.05 grows.
    assert_eq!(flips(&b_of("02_lr=0.2")), 0);
    for lr in ["04_lr=0.7", "05_lr=0.95"] {
        let b = b_of(lr);
        let moving: Vec<f64> = b.iter().copied().take_while(|v| (v - 3.0).abs() > 1e-5).collect();
        assert_eq!(flips(&moving), moving.len() - 1, "{lr} zigzags");
        assert!((b.last().unwrap() - 3.0).abs() < (b[0] - 3.0).abs(), "{lr} converges");
    }
    let b = b_of("06_lr=1.05");
    assert!((b[10] - 3.0).abs() > (b[0] - 3.0).abs(), "1.05 diverges");
    assert_eq!(num(c, &["numbers", "parabola", "fastest_factor"]), 0.5);
}

#[test]
fn claim_a_bias_reaches_the_target_loss_and_no_bias_cannot() {
    let dir = report().0.join("1_bias");
    let best = |run: &str| column(&dir.join(run), "loss").into_iter().fold(f64::INFINITY, f64::min);
    assert!(best("with_bias") <= 0.1);
    assert!(best("without_bias") > 0.5, "without a bias the boundary stays at x = 0");
}

#[test]
fn claim_cross_entropy_escapes_a_saturated_start_faster_than_mse() {
    let dir = report().0.join("3_cross_entropy");
    let to90 = |run: &str| column(&dir.join(run), "accuracy").iter().position(|a| *a >= 0.9);
    let (bce, mse) = (to90("bce").expect("bce reaches 90%"), to90("mse"));
    assert!(mse.is_none_or(|m| bce * 5 <= m), "bce {bce} mse {mse:?}");
}

#[test]
fn claim_mae_resists_outliers_that_pull_mse() {
    let c = claim("mse_mae");
    assert!(num(c, &["numbers", "mae_distance"]) < 0.1, "{c}");
    assert!(num(c, &["numbers", "mse_distance"]) > 1.0, "{c}");
    assert!((num(c, &["numbers", "squared_error"]) - 0.01).abs() < 1e-12);
}

/// Points 6 and 7: the squares on the errors are the MSE (n x loss, read from the run's own
/// metrics.csv), and their total falls with every update shown.
#[test]
fn claim_the_errors_drawn_as_squares_are_the_mse_and_shrink() {
    let c = claim("mse_mae");
    let run = report().0.join("2_mse_mae/areas");
    let (steps, loss) = (column(&run, "step"), column(&run, "loss"));
    let areas: Vec<f64> = c["numbers"]["square_areas"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let at: Vec<f64> = c["numbers"]["area_steps"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert_eq!(at, [0.0, 1.0, *steps.last().unwrap()]);
    for (area, step) in areas.iter().zip(&at) {
        let row = steps.iter().position(|s| s == step).unwrap();
        // 8 points; the loss is an f32 mean, the area an f64 sum: 1e-5 relative covers rounding.
        assert!((area / 8.0 - loss[row]).abs() <= 1e-5 * loss[row], "step {step}: area {area} vs 8 x loss {}", loss[row]);
    }
    assert!(loss.windows(2).all(|w| w[1] < w[0]), "the loss (the mean square) falls at every update: {loss:?}");
    assert!(areas[2] < 0.2 * areas[0], "{areas:?}");
    let bars: Vec<f64> = c["numbers"]["bar_lengths"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(bars[1] < bars[0] && bars[2] < bars[1], "{bars:?}");
}

#[test]
fn claim_the_sigmoid_mse_surface_is_not_a_parabola() {
    let c = claim("not_a_parabola");
    assert!(num(c, &["numbers", "negative_curvature_fraction"]) > 0.1, "{c}");
    assert!(num(c, &["numbers", "plateau_fraction"]) > 0.02, "{c}");
    // Least squares has a closed form, and gradient descent ends on it (f32 run against an
    // f64 solve: within 1e-3).
    let closed = c["numbers"]["normal_equations"].as_array().unwrap();
    let descended = c["numbers"]["least_squares_descent"].as_array().unwrap();
    assert_eq!(closed.len(), 3);
    for (a, b) in closed.iter().zip(descended) {
        assert!((a.as_f64().unwrap() - b.as_f64().unwrap()).abs() < 1e-3, "{a} vs {b}");
    }
}

#[test]
fn claim_first_order_holds_for_small_steps_and_the_gradient_is_steepest() {
    let c = claim("taylor");
    let r: Vec<f64> = c["numbers"]["first_ratios"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!((r[0] - 1.0).abs() < 0.01 && (r[4] - 1.0).abs() > 0.5, "{r:?}");
    assert_eq!(c["numbers"]["random_directions_beating_gradient"], 0);
    let len: Vec<f64> = c["numbers"]["step_lengths"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    assert!(len.windows(2).all(|w| w[1] > w[0]), "step length grows with η: {len:?}");
}

#[test]
fn claim_both_rules_learn_and_and_or_neither_learns_xor() {
    let dir = report().0.join("8_perceptron");
    let last_accuracy = |run: &str| *column(&dir.join(run), "accuracy").last().unwrap();
    for gate in ["and", "or"] {
        assert_eq!(last_accuracy(&format!("perceptron_{gate}")), 1.0, "{gate}");
        assert_eq!(last_accuracy(&format!("gd_{gate}")), 1.0, "{gate}");
    }
    assert!(last_accuracy("perceptron_xor") < 1.0 && last_accuracy("gd_xor") < 1.0);
    assert!(last_accuracy("gd_noisy_blobs") > 0.9);
    // The gradient-descent runs are the sigmoid + BCE neuron the report names.
    let config = std::fs::read_to_string(dir.join("gd_xor/config.toml")).unwrap();
    assert!(config.contains("activation = \"sigmoid\"") && config.contains("kind = \"bce\""), "{config}");
}

#[test]
fn claim_every_end_point_is_classified_by_what_gradcheck_measures() {
    let c = claim("local_minima");
    let solved = num(c, &["numbers", "solved"]);
    assert!(solved > 0.0 && solved < 20.0, "{c}");
    let runs = report().0.join("9_local_minima/sweep/runs");
    let config = report().0.join("configs/xor_mlp.toml");
    for (k, e) in c["numbers"]["end_points"].as_array().unwrap().iter().enumerate() {
        // The gradient at the end point from burn's autodiff (gdlab gradcheck), not from the
        // report's f64 formula: f32 against f64 agree to a few percent at |∇C| ~ 1e-3.
        let run = runs.join(format!("{:02}_seed={}", k + 1, k + 1));
        let o = gdlab(&["gradcheck", config.to_str().unwrap(), "--at", run.to_str().unwrap(), "--json"]);
        let rows: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        let norm = rows.iter().map(|r| r["autodiff"].as_f64().unwrap().powi(2)).sum::<f64>().sqrt();
        let reported = e["grad_norm"].as_f64().unwrap();
        assert!((norm - reported).abs() <= 0.05 * reported, "run {k}: autodiff |∇C| {norm}, reported {reported}");
        match e["kind"].as_str().unwrap() {
            "minimum" => assert!(norm < 1e-4 && e["min_eigenvalue"].as_f64().unwrap() > 0.0, "run {k}: {e}"),
            "saddle" => assert!(norm < 1e-4 && e["min_eigenvalue"].as_f64().unwrap() < 0.0, "run {k}: {e}"),
            "flat" => assert!(norm < 1e-4, "run {k}: {e}"),
            "moving" => assert!(norm >= 1e-4 * 0.95, "run {k}: {e}"),
            other => panic!("{other}"),
        }
    }
}

#[test]
fn the_committed_report_matches_a_fresh_run() {
    // artifacts/lecture is regenerated with `gdlab lecture` whenever an experiment changes.
    // Compared by verdict, holds, and measured numbers: each within 2% (or 1e-3), so a step
    // count near a threshold on another CPU does not fail it, while a changed result does.
    let committed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root().join("artifacts/lecture/lecture.json")).expect("committed report")).unwrap();
    let fresh = &report().1;
    assert_eq!(committed.len(), fresh.len());
    for (a, b) in committed.iter().zip(fresh) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["holds"], b["holds"]);
        for lang in ["ko", "en"] {
            let (x, y) = (numbers(a["verdict"][lang].as_str().unwrap()), numbers(b["verdict"][lang].as_str().unwrap()));
            assert_eq!(x.len(), y.len(), "{} {lang}: regenerate artifacts/lecture with `gdlab lecture`", a["id"]);
            for (u, v) in x.iter().zip(&y) {
                assert!((u - v).abs() <= 1e-3 + 0.02 * v.abs() || (u.is_nan() && v.is_nan()), "{} {lang}: {u} vs {v}", a["id"]);
            }
        }
    }
}
