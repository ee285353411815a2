//! `gdlab sweep` and `gdlab compare` through the real binary.

mod common;
use common::*;

#[test]
fn sweep_runs_the_product_in_parallel_with_results_identical_to_single_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = gdlab(&[
        "sweep",
        "configs/quadratic.toml",
        "--set",
        "optimizer.lr=0.1,0.9,1.1",
        "--set",
        "model.start.bias=-2.0,10.0",
        "--until-loss",
        "1e-3",
        "--jobs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    // lr = 1.1 on (3 - b)^2 multiplies the error by -1.2 per step: never reaches the threshold.
    let lr11: Vec<_> = rows.iter().filter(|r| &r[0] == "1.1").collect();
    assert!(lr11.iter().all(|r| r[4].is_empty()), "{lr11:?}");
    // Each run equals the same run made alone.
    let single = dir.path().join("single");
    train_ok("configs/quadratic.toml", &single, &["optimizer.lr=0.9", "model.start.bias=10.0"]);
    let swept = rows.iter().find(|r| &r[0] == "0.9" && &r[1] == "10.0").unwrap();
    let run_dir = std::path::PathBuf::from(&swept[7]);
    assert_eq!(std::fs::read(run_dir.join("metrics.csv")).unwrap(), std::fs::read(single.join("metrics.csv")).unwrap());
    for f in ["sweep.md", "sweep_loss.png", "sweep_loss.svg"] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn sweep_marks_diverged_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = gdlab(&[
        "sweep",
        "configs/quadratic.toml",
        "--set",
        "optimizer.lr=0.1,3",
        "--set",
        "optimizer.steps=200",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text.lines().find(|l| l.contains("optimizer.lr=3")).unwrap();
    assert!(line.contains("**diverged**"), "{text}");
}

#[test]
fn sweep_rejects_a_bad_value_before_running_anything() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = gdlab(&["sweep", "configs/quadratic.toml", "--set", "optimizer.lr=0.1,-1", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("optimizer.lr"));
    assert!(!out.exists());
}

#[test]
fn compare_reports_steps_to_a_loss_and_their_ratio() {
    let dir = tempfile::tempdir().unwrap();
    let fast = dir.path().join("fast");
    train_ok("configs/quadratic.toml", &fast, &["optimizer.lr=0.4"]);
    let slow = dir.path().join("slow");
    train_ok("configs/quadratic.toml", &slow, &["optimizer.lr=0.1"]);
    let out = dir.path().join("cmp");
    let o = gdlab(&["compare", fast.to_str().unwrap(), slow.to_str().unwrap(), "--until-loss", "1e-3", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Error factor per step: |1 - 2 lr| = 0.2 vs 0.8; loss 25 * f^(2k) <= 1e-3 at k = 4 vs k = 23.
    let text = stdout(&o);
    let fast_line = text.lines().find(|l| l.contains("(fast)")).unwrap();
    let slow_line = text.lines().find(|l| l.contains("(slow)")).unwrap();
    assert!(fast_line.contains("| 4 | 1.00 |"), "{text}");
    assert!(slow_line.contains("| 23 | 5.75 |"), "{text}");
    assert!(out.join("compare_loss.png").exists());
}

#[test]
fn compare_trains_configs_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let o = gdlab(&["compare", "configs/quadratic.toml", "configs/linear_regression.toml", "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("runs/01_quadratic/summary.json").exists());
    assert!(out.join("runs/02_linear_regression/summary.json").exists());
}
