//! The real binary on the shipped configs: results, run folders, reproducibility, backends.

use crate::common::*;
use std::path::PathBuf;

/// Least squares by the normal equations in f64: solves (A^T A) theta = A^T y, A = [X | 1].
fn least_squares(x: &[f64], y: &[f64], d: usize) -> Vec<f64> {
    let n = y.len();
    let k = d + 1;
    let mut m = vec![vec![0.0; k + 1]; k];
    for i in 0..n {
        let row: Vec<f64> = x[i * d..(i + 1) * d].iter().copied().chain([1.0]).collect();
        for a in 0..k {
            for b in 0..k {
                m[a][b] += row[a] * row[b];
            }
            m[a][k] += row[a] * y[i];
        }
    }
    // Gauss-Jordan with partial pivoting.
    for c in 0..k {
        let p = (c..k).max_by(|&a, &b| m[a][c].abs().total_cmp(&m[b][c].abs())).unwrap();
        m.swap(c, p);
        for r in 0..k {
            if r != c {
                let f = m[r][c] / m[c][c];
                let pivot = m[c].clone();
                for (v, p) in m[r][c..=k].iter_mut().zip(&pivot[c..=k]) {
                    *v -= f * p;
                }
            }
        }
    }
    (0..k).map(|r| m[r][k] / m[r][r]).collect()
}

fn linear_data() -> (Vec<f64>, Vec<f64>, usize) {
    let l = gdlab::config::load(&root().join("configs/linear_regression.toml"), &[]).unwrap();
    let d = gdlab::data::load(&l.spec.data.source, l.spec.seed, &l.base_dir).unwrap();
    let dims = d.dims();
    (d.x, d.y, dims)
}

#[test]
fn linear_regression_reaches_the_normal_equations_solution() {
    let (x, y, d) = linear_data();
    let exact = least_squares(&x, &y, d);
    // f64: gradient descent converges to the minimiser up to rounding; 1e-9 leaves room for
    // the ~1e-13 contraction residue after 500 steps and summation order.
    // f32: parameters are stored in f32 (eps 1.2e-7) and the gradient is summed in f32 over
    // 200 rows, so agreement to 1e-4 absolute (values of order 1) is what f32 can promise.
    for (dtype, tol) in [("f64", 1e-9), ("f32", 1e-4)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let s = train_ok("configs/linear_regression.toml", &out, &[&format!("backend.dtype=\"{dtype}\"")]);
        let (w, b) = params(&s);
        let learned: Vec<f64> = w.into_iter().chain(b).collect();
        assert_eq!(learned.len(), exact.len());
        for (l, e) in learned.iter().zip(&exact) {
            assert!((l - e).abs() < tol, "{dtype}: learned {learned:?} vs normal equations {exact:?}");
        }
        assert_eq!(s["stop_reason"], "completed");
    }
}

#[test]
fn breast_cancer_reaches_95_percent_validation_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let s = train_ok("configs/breast_cancer.toml", &out, &[]);
    let acc = s["final_val_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.95, "validation accuracy {acc}");
    assert_eq!(s["validation_rows"], 114);
    assert!(column(&out, "val_accuracy").len() > 1);
}

#[test]
fn run_folder_is_complete_and_starts_at_the_starting_loss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let s = train_ok("configs/quadratic.toml", &out, &[]);
    for f in ["config.toml", "metrics.csv", "summary.json", "model.bpk", "loss.svg", "loss.png"] {
        let len = std::fs::metadata(out.join(f)).map(|m| m.len()).unwrap_or(0);
        assert!(len > 0, "{f} missing or empty");
    }
    // No temporary files left behind.
    for e in std::fs::read_dir(&out).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.'), "leftover {name}");
    }
    // C(b) = (3 - b)^2 at b = -2 is 25; row k is the loss after k updates.
    let loss = column(&out, "loss");
    assert_eq!(loss[0], 25.0);
    assert_eq!(column(&out, "step")[..3], [0.0, 1.0, 2.0]);
    // b_{k+1} = b_k + 2 lr (3 - b_k): the error shrinks by (1 - 2 lr) = 0.8 per step.
    assert!((loss[1] - 25.0 * 0.64).abs() < 1e-4, "{}", loss[1]);
    let (_, b) = params(&s);
    assert!((b.unwrap() - 3.0).abs() < 1e-4, "{b:?}");
    assert_eq!(column(&out, "b")[0], -2.0);
    for key in ["final_loss", "steps", "stop_reason", "backend", "dtype", "seed", "wall_time_s", "gdlab_version", "burn_version"] {
        assert!(!s[key].is_null(), "summary lacks {key}");
    }
    assert!(s["burn_version"].as_str().unwrap().starts_with("0.22"));
    let png = std::fs::read(out.join("loss.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
}

#[test]
fn same_config_gives_byte_identical_metrics_and_stored_config_reproduces() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    for out in [&a, &b] {
        train_ok("configs/logistic_regression.toml", out, &["optimizer.steps=200"]);
    }
    let ma = std::fs::read(a.join("metrics.csv")).unwrap();
    assert_eq!(ma, std::fs::read(b.join("metrics.csv")).unwrap());
    // The stored, resolved config reproduces the run on its own.
    let stored = a.join("config.toml");
    train_ok(stored.to_str().unwrap(), &c, &[]);
    assert_eq!(ma, std::fs::read(c.join("metrics.csv")).unwrap());
}

#[test]
fn csv_runs_reproduce_from_their_stored_config() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    train_ok("configs/diabetes.toml", &a, &["optimizer.steps=50"]);
    train_ok(a.join("config.toml").to_str().unwrap(), &b, &[]);
    assert_eq!(std::fs::read(a.join("metrics.csv")).unwrap(), std::fs::read(b.join("metrics.csv")).unwrap());
}

#[test]
fn mini_batches_log_once_per_epoch_and_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let sets = ["optimizer.batch_size=32", "optimizer.epochs=6", "optimizer.lr=0.05"];
    // linear_regression sets `steps`; a mini-batch variant counts epochs instead.
    let cfg = dir.path().join("mb.toml");
    let text = std::fs::read_to_string(root().join("configs/linear_regression.toml")).unwrap().replace("steps = 500", "");
    std::fs::write(&cfg, text).unwrap();
    for out in [&a, &b] {
        train_ok(cfg.to_str().unwrap(), out, &sets);
    }
    assert_eq!(std::fs::read(a.join("metrics.csv")).unwrap(), std::fs::read(b.join("metrics.csv")).unwrap());
    let epochs = column(&a, "epoch");
    assert_eq!(epochs, [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    // 200 rows in batches of 32 = 7 updates per epoch.
    assert_eq!(column(&a, "step"), [0.0, 7.0, 14.0, 21.0, 28.0, 35.0, 42.0]);
    let loss = column(&a, "loss");
    assert!(loss[6] < loss[0] / 10.0, "{loss:?}");
}

/// Relative difference, with an absolute floor for values near zero.
fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-3)
}

#[test]
fn flex_and_ndarray_follow_the_same_trajectory_and_f64_agrees_with_f32() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, sets: &[&str]| -> PathBuf {
        let out = dir.path().join(name);
        train_ok("configs/logistic_regression.toml", &out, &[&["optimizer.steps=300"], sets].concat());
        out
    };
    let flex = run("flex", &[]);
    let nd = run("ndarray", &["backend.name=\"ndarray\""]);
    let f64run = run("f64", &["backend.dtype=\"f64\""]);
    // Same f32 arithmetic in a different order per backend: rounding differences of a few
    // ulps per step, compounded over 300 steps, stay well inside 1e-4 relative.
    for col in ["loss", "w_x1", "w_x2", "b", "grad_norm"] {
        let (a, b, c) = (column(&flex, col), column(&nd, col), column(&f64run, col));
        assert_eq!(a.len(), b.len());
        for i in 0..a.len() {
            assert!(close(a[i], b[i], 1e-4), "{col} step {i}: flex {} ndarray {}", a[i], b[i]);
            assert!(close(a[i], c[i], 1e-4), "{col} step {i}: f32 {} f64 {}", a[i], c[i]);
        }
    }
    assert_eq!(summary(&nd)["backend"], "ndarray");
    assert_eq!(summary(&f64run)["dtype"], "f64");
}

#[test]
fn divergence_stops_at_once_keeps_files_and_exits_3() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // On (3 - b)^2 the error is multiplied by (1 - 2 lr) each step: lr = 1.5 doubles it. (The
    // relative rule is off here: this checks the ceiling.)
    let o = train("configs/quadratic.toml", &out, &["optimizer.lr=1.5", "optimizer.steps=1000", "optimizer.diverge_factor=inf"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let s = summary(&out);
    assert_eq!(s["stop_reason"], "diverged");
    // The error e_k = (b_k - 3) = (-2)^k e_0 with e_0 = -5, so C_k = 25 4^k (exact in f32:
    // 25 times a power of two); 25 4^17 = 4.3e11 <= 1e12 < 25 4^18 = 1.7e12.
    let at = s["diverged_at_step"].as_u64().unwrap();
    assert_eq!(at, 18);
    assert_eq!(column(&out, "loss")[18], 25.0 * 4f64.powi(18));
    assert!(stdout(&o).contains("learning rate"), "{}", stdout(&o));
    assert_eq!(column(&out, "step").len() as u64, at + 1);
    assert_figure(&out.join("loss.png"));
    let e = gdlab(&["eval", out.to_str().unwrap()]);
    assert!(e.status.success() && stdout(&e).contains("diverged"), "eval on the diverged run: {}{}", stdout(&e), stderr(&e));
}

#[test]
fn a_loss_that_grows_past_the_factor_is_divergence_not_completion() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    // C_k = 25 4^k as above; the default factor 1000 is passed when 4^k > 1000: k = 5 (1024).
    let o = train("configs/quadratic.toml", &out, &["optimizer.lr=1.5", "optimizer.steps=1000"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(summary(&out)["diverged_at_step"], 5);
    // A BCE run whose loss climbs from 0.69 to thousands is no longer "completed".
    let out = dir.path().join("bce");
    let o = train("configs/logistic_regression.toml", &out, &["optimizer.lr=1e6", "optimizer.steps=50"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let loss = column(&out, "loss");
    assert!(loss[loss.len() - 1] > 1000.0 * loss[0], "{loss:?}");
}

#[test]
fn eval_reloads_the_checkpoint_and_matches_the_final_loss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let s = train_ok("configs/breast_cancer.toml", &out, &["optimizer.steps=100"]);
    let o = gdlab(&["eval", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let val_line = text.lines().find(|l| l.starts_with("validation")).expect(&text);
    let loss: f64 = val_line.split_whitespace().nth(4).unwrap().parse().unwrap();
    let expected = s["final_val_loss"].as_f64().unwrap();
    assert!((loss - expected).abs() <= 1e-6 * expected.max(1.0), "{loss} vs {expected}");
    // Another CSV with the same columns: the whole data file.
    let o = gdlab(&["eval", out.to_str().unwrap(), "--data", "data/breast_cancer.csv"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("rows   569"), "{}", stdout(&o));
    assert!(stdout(&o).contains("accuracy"));
}

#[test]
fn list_shows_every_shipped_config() {
    let o = gdlab(&["list"]);
    assert!(o.status.success());
    let text = stdout(&o);
    for name in ["linear_regression", "logistic_regression", "quadratic", "diabetes", "breast_cancer"] {
        assert!(text.contains(&format!("configs/{name}.toml")), "{text}");
    }
}

#[test]
fn default_run_uses_output_dir_and_a_time_sorted_run_id() {
    let dir = tempfile::tempdir().unwrap();
    let root_out = dir.path().join("art");
    let o = gdlab(&["train", "--quiet", "--set", &format!("output.dir=\"{}\"", root_out.display()), "--set", "optimizer.steps=5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let experiment = root_out.join("linear_regression");
    let mut names: Vec<String> = std::fs::read_dir(&experiment).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    assert_eq!(names.len(), 2, "the run and the link to it: {names:?}");
    let id = &names[0];
    assert!(id.starts_with("20") && id.len() >= 19, "{id}");
    assert_eq!(names[1], "latest");
    assert_eq!(std::fs::read_link(experiment.join("latest")).unwrap(), std::path::Path::new(id), "latest names the run");
}

#[test]
fn sharded_runs_reproduce_exactly_and_follow_the_unsplit_trajectory() {
    let dir = tempfile::tempdir().unwrap();
    let (one, a, b, c) = (dir.path().join("one"), dir.path().join("a"), dir.path().join("b"), dir.path().join("c"));
    let cfg = "configs/logistic_regression.toml";
    train_ok(cfg, &one, &["optimizer.steps=100", "backend.shards=1"]);
    for out in [&a, &b] {
        train_ok(cfg, out, &["optimizer.steps=100", "backend.shards=3"]);
    }
    let ma = std::fs::read(a.join("metrics.csv")).unwrap();
    assert_eq!(ma, std::fs::read(b.join("metrics.csv")).unwrap(), "a sharded run is not repeatable");
    // The stored config keeps the shard count, so it reproduces the sharded run.
    assert!(std::fs::read_to_string(a.join("config.toml")).unwrap().contains("shards = 3"));
    train_ok(a.join("config.toml").to_str().unwrap(), &c, &[]);
    assert_eq!(ma, std::fs::read(c.join("metrics.csv")).unwrap());
    // Splitting changes only the order of f32 sums: every row stays within f32 rounding of
    // the unsplit run (1e-5 relative after 100 steps).
    for key in ["loss", "grad_norm"] {
        let (u, s) = (column(&one, key), column(&a, key));
        assert_eq!(u.len(), s.len());
        for (x, y) in u.iter().zip(&s) {
            assert!(close(*x, *y, 1e-5), "{key}: {x} unsplit vs {y} in 3 shards");
        }
    }
}

/// `b` after each update of a bias-only model on C(b) = (3 - b)^2 from b = -2 (f64), read from
/// metrics.csv, and the summary.
fn quadratic_path(sets: &[&str]) -> (Vec<f64>, serde_json::Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut all = vec!["backend.dtype=\"f64\""];
    all.extend(sets);
    let s = train_ok("configs/quadratic.toml", &out, &all);
    (column(&out, "b"), s)
}

/// Heavy-ball momentum, derived by hand: v_1 = g_0, v_k+1 = m v_k + g_k, b_k+1 = b_k - lr v_k+1,
/// with g = dC/db = 2 (b - 3). burn keeps the momentum coefficient as an f32 (burn-optim's
/// `Momentum { momentum: f32 }`), so 0.9 acts as 0.8999999761581421 even on an f64 device.
#[test]
fn momentum_follows_the_heavy_ball_recursion() {
    let (lr, m) = (0.1, f64::from(0.9f32));
    let (b, _) = quadratic_path(&["optimizer.momentum=0.9", "optimizer.steps=6"]);
    let (mut want, mut v) = (vec![-2.0f64], 0.0);
    for k in 0..6 {
        let g = 2.0 * (want[k] - 3.0);
        v = if k == 0 { g } else { m * v + g };
        want.push(want[k] - lr * v);
    }
    assert_eq!(b.len(), want.len());
    for (k, (got, want)) in b.iter().zip(&want).enumerate() {
        assert!((got - want).abs() < 1e-12, "step {k}: b = {got}, by hand {want}");
    }
    // Momentum overshoots the vertex, which plain descent (error x 0.8 per step) never does.
    assert!(b.iter().any(|&b| b > 3.0), "{b:?}");
}

/// Weight decay adds lambda * theta to the gradient (burn applies it to the bias too):
/// b_k+1 = b_k - lr (2 (b_k - 3) + lambda b_k), whose fixed point is 6 / (2 + lambda).
#[test]
fn weight_decay_adds_lambda_theta_to_the_gradient() {
    let (lr, lambda) = (0.1, 0.5);
    let (b, s) = quadratic_path(&["optimizer.weight_decay=0.5", "optimizer.steps=200"]);
    assert_eq!(b.len(), 201);
    let mut want = -2.0f64;
    for (k, got) in b.iter().enumerate() {
        assert!((got - want).abs() < 1e-12, "step {k}: b = {got}, by hand {want}");
        want -= lr * (2.0 * (want - 3.0) + lambda * want);
    }
    assert!((s["parameters"]["bias"].as_f64().unwrap() - 6.0 / (2.0 + lambda)).abs() < 1e-9);
}

/// Early stop: a row counts as stalled when the loss fell by less than tol since the previous
/// row; `patience` stalled rows in a row stop the run. With lr = 0.01 the loss is exactly
/// C_k = 25 (1 - 2 lr)^(2k), so the stopping step follows from the closed form.
#[test]
fn tol_and_patience_stop_where_the_closed_form_says() {
    let (lr, tol, patience) = (0.01f64, 0.05, 3);
    let (b, s) = quadratic_path(&["optimizer.lr=0.01", "optimizer.tol=0.05", "optimizer.patience=3", "optimizer.steps=1000"]);
    let loss = |k: i32| 25.0 * (1.0 - 2.0 * lr).powi(2 * k);
    let (mut stall, mut k) = (0, 0);
    while stall < patience {
        k += 1;
        stall = if loss(k - 1) - loss(k) < tol { stall + 1 } else { 0 };
    }
    // Decreases shrink geometrically: the first stalled row is 75, the third (the stop) 77.
    assert_eq!(k, 77);
    assert_eq!(s["stop_reason"], "converged");
    assert_eq!(s["steps"], k);
    assert_eq!(b.len(), k as usize + 1);
}
