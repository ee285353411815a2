//! Nothing lost, nothing silently wrong: diverged folders stay readable, one process per
//! folder, damaged parameters are refused, near-constant features stay harmless.

use crate::common::*;
use std::path::Path;
use std::process::{Command, Stdio};

#[test]
fn a_run_that_diverges_to_inf_is_readable_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("div");
    let o = train("configs/linear_regression.toml", &run, &["optimizer.lr=1e30"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let s = summary(&run);
    assert_eq!(s["final_loss"], "inf", "non-finite numbers are written as strings: {s}");
    assert_eq!(s["stop_reason"], "diverged");
    let run_s = run.to_str().unwrap();
    let e = gdlab(&["eval", run_s]);
    assert_eq!(e.status.code(), Some(0), "{}", stderr(&e));
    assert!(stdout(&e).contains("diverged"), "{}", stdout(&e));
    let compare_out = dir.path().join("cmp");
    let c = gdlab(&["compare", run_s, "configs/quadratic.toml", "--out", compare_out.to_str().unwrap()]);
    assert_eq!(c.status.code(), Some(0), "{}", stderr(&c));
    assert!(stdout(&c).contains("**diverged**"), "{}", stdout(&c));
    let g = gdlab(&["gradcheck", "configs/linear_regression.toml", "--at", run_s]);
    // At an infinite loss there is no gradient, so nothing can disagree: not a failed check (4).
    assert_eq!(g.status.code(), Some(0), "gradcheck --at a diverged run: {}", stderr(&g));
    assert!(stdout(&g).contains("the run diverged"), "{}", stdout(&g));
    let surface_out = dir.path().join("surf");
    let f =
        gdlab(&["surface", "configs/linear_regression.toml", "--params", "w_x1,b", "--run", run_s, "--out", surface_out.to_str().unwrap()]);
    assert_eq!(f.status.code(), Some(0), "{}", stderr(&f));
    // In a sweep, an lr that overflows is "diverged", like one that merely passes the ceiling.
    let sweep_out = dir.path().join("sweep");
    let w = gdlab(&[
        "sweep",
        "configs/linear_regression.toml",
        "--set",
        "optimizer.lr=0.1,1e10,1e30",
        "--out",
        sweep_out.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    assert_eq!(w.status.code(), Some(0), "{}", stderr(&w));
    let md = std::fs::read_to_string(sweep_out.join("sweep.md")).unwrap();
    assert_eq!(md.matches("**diverged**").count(), 2, "{md}");
    assert!(md.contains("optimizer.lr=1e30"), "{md}");
}

/// The lr column of metrics.csv and the lr in config.toml come from one run.
fn one_run(dir: &Path) -> bool {
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let lr: f64 = config.lines().find_map(|l| l.strip_prefix("lr = ")).unwrap().parse().unwrap();
    column(dir, "lr").iter().all(|v| *v == lr) && dir.join("summary.json").exists()
}

#[test]
fn two_runs_started_on_one_folder_never_mix() {
    for k in 0..6 {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let start = |lr: &str| {
            Command::new(env!("CARGO_BIN_EXE_gdlab"))
                .args(["train", "configs/linear_regression.toml", "--quiet", "--out", out.to_str().unwrap()])
                .args(["--set", &format!("optimizer.lr={lr}")])
                .current_dir(root())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (start("0.1"), start("0.0001"));
        let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
        let mut codes = [a.status.code(), b.status.code()];
        codes.sort();
        assert_eq!(codes, [Some(0), Some(2)], "try {k}: exactly one run may claim the folder: {} {}", stderr(&a), stderr(&b));
        let loser = if a.status.code() == Some(2) { &a } else { &b };
        assert!(stderr(loser).contains(&*out.display().to_string()), "{}", stderr(loser));
        assert!(one_run(&out), "try {k}: files from two runs");
    }
}

/// A linear regression of 10^8 steps into `out`, running in the background.
fn endless_run(out: &Path, set: &str) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["train", "configs/linear_regression.toml", "--quiet", "--out", out.to_str().unwrap()])
        .args(["--set", "optimizer.steps=100000000", "--set", "optimizer.tol=0", "--set", set])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_resume_of_a_folder_in_use_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let mut first = endless_run(&out, "output.log_every=1000");
    let started = std::time::Instant::now();
    while !out.join("checkpoint.bin").exists() && started.elapsed() < std::time::Duration::from_secs(30) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = gdlab(&["train", "--resume", out.to_str().unwrap(), "--quiet"]);
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("in use by another gdlab process"), "{}", stderr(&o));
    // Once the holder is gone (even by SIGKILL), the folder can be resumed.
    let o = gdlab(&["train", "--resume", out.to_str().unwrap(), "--quiet", "--set", "optimizer.steps=2000"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn damaged_parameters_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_ok("configs/linear_regression.toml", &run, &[]);
    let path = run.join("model.bpk");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 3; // inside the last parameter's value
    bytes[at] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let o = gdlab(&["eval", run.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stderr(&o).contains("model.bpk") && stderr(&o).contains("damaged"), "{}", stderr(&o));
    // The same for the checkpoint a resume would continue from.
    let path = run.join("checkpoint.bin");
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() - 3;
    bytes[at] ^= 1;
    std::fs::write(&path, &bytes).unwrap();
    let o = gdlab(&["train", "--resume", run.to_str().unwrap(), "--quiet", "--set", "optimizer.steps=600"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("checkpoint.bin") && stderr(&o).contains("damaged"), "{}", stderr(&o));
}

#[test]
fn a_near_constant_feature_is_centred_not_blown_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut train_csv = String::from("a,c,y\n");
    let mut other_csv = String::from("a,c,y\n");
    for i in 0..100 {
        let a = (i as f64 * 0.37).sin() * 2.0;
        train_csv += &format!("{a},1.0,{}\n", 2.0 * a + 0.5);
        other_csv += &format!("{a},1.001,{}\n", 2.0 * a + 0.5);
    }
    std::fs::write(dir.path().join("train.csv"), train_csv).unwrap();
    std::fs::write(dir.path().join("other.csv"), other_csv).unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[data]\nsource = \"csv\"\npath = \"train.csv\"\ntarget = \"y\"\nstandardise = true\n").unwrap();
    let run = dir.path().join("run");
    let s = train_ok(cfg.to_str().unwrap(), &run, &[]);
    assert_eq!(s["constant_features"], serde_json::json!(["c"]), "{s}");
    assert_eq!(s["standardiser"]["std"][1], 1.0);
    let o = gdlab(&["eval", run.to_str().unwrap(), "--data", dir.path().join("other.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The fit is near exact (train loss ~1e-5): a 0.001 shift of a constant column must not
    // change that by more than a little; dividing by its rounding-noise std gave 1e22.
    let loss: f64 = stdout(&o).lines().find(|l| l.contains("other.csv")).unwrap().split("loss").nth(1).unwrap().trim().parse().unwrap();
    assert!(loss < 1e-2, "loss {loss}");
}

/// Peak resident memory (KiB) of `gdlab train` on linear regression for `steps` updates, as
/// the run records it of its own process (summary.json `peak_rss_mib`, the kernel's VmHWM). A
/// parent's `wait4` figure would not do: it also counts this test process's memory, which the
/// child shares until its exec, and so hides the child's own growth.
fn peak_kib(out: &Path, steps: usize) -> i64 {
    let s = train_ok("configs/linear_regression.toml", out, &[&format!("optimizer.steps={steps}"), "optimizer.tol=0"]);
    (s["peak_rss_mib"].as_f64().unwrap_or_else(|| panic!("no peak_rss_mib in {s}")) * 1024.0) as i64
}

#[test]
fn peak_memory_does_not_grow_with_the_steps() {
    let dir = tempfile::tempdir().unwrap();
    let short = peak_kib(&dir.path().join("short"), 5_000);
    let long = peak_kib(&dir.path().join("long"), 100_000);
    // Every row is in metrics.csv (100,001 rows, 12 MB), but none is held in memory: holding
    // them, or reading them back whole for the plot, grew the peak by 11 MiB (measured: 13.8 MB
    // at 10,000 steps, 47 MB at 300,000). A row held in memory costs at least what its CSV
    // line does (a dozen f64s and a Vec), so the bound is a quarter of the extra rows' bytes,
    // measured here: a leak of every row is 4x over it, allocator noise (under 1 MiB) is not.
    assert_eq!(column(&dir.path().join("long"), "step").len(), 100_001);
    let csv = |run: &str| std::fs::metadata(dir.path().join(run).join("metrics.csv")).unwrap().len() as i64;
    let extra_rows_kib = (csv("long") - csv("short")) / 1024;
    assert!(extra_rows_kib > 8 * 1024, "the long run's metrics.csv: {extra_rows_kib} KiB more than the short one's");
    assert!(
        long - short < extra_rows_kib / 4,
        "peak {short} KiB at 5,000 steps, {long} KiB at 100,000 (bound: a quarter of the {extra_rows_kib} KiB of extra rows)"
    );
    let svg = std::fs::metadata(dir.path().join("long/loss.svg")).unwrap().len();
    assert!(svg < 200_000, "the plot draws a decimated curve: {svg} bytes");
}

#[test]
fn compare_reads_a_killed_folder_as_killed_at_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("killed");
    let mut child = endless_run(&run, "output.checkpoint_every=200");
    let started = std::time::Instant::now();
    // Wait for a checkpoint past the first one (written at step 0).
    while gdlab(&["eval", run.to_str().unwrap()]).stdout.windows(10).all(|w| w != b"at step 20") && started.elapsed().as_secs() < 30 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let out = dir.path().join("cmp");
    let o = gdlab(&["compare", run.to_str().unwrap(), "configs/quadratic.toml", "--out", out.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let killed = &j["runs"][0];
    assert_eq!(killed["stop_reason"], "killed", "{j}");
    let steps = killed["steps"].as_u64().unwrap();
    assert!(steps > 0 && steps.is_multiple_of(200), "steps = the last checkpoint: {steps}");
    assert!(killed["final_loss"].as_f64().is_some_and(|l| l < 1.0), "{killed}");
}
