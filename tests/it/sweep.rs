//! `gdlab sweep` and `gdlab compare` through the real binary.

use crate::common::*;

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
    for f in ["sweep_loss.png", "sweep_loss.svg"] {
        assert_figure(&out.join(f));
    }
    // sweep.md: a table row per run (sweep.json, the plan, is checked in promises.rs).
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    assert_eq!(md.lines().filter(|l| l.starts_with("| ") && l.contains("optimizer.lr=")).count(), 6, "{md}");
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
    assert_figure(&out.join("compare_loss.png"));
}

#[test]
fn compare_trains_configs_it_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cmp");
    let o = gdlab(&["compare", "configs/quadratic.toml", "configs/linear_regression.toml", "--out", out.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Each config was trained into the compare folder as an ordinary run, and the table reports
    // that run's own summary.
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    for (k, name) in ["01_quadratic", "02_linear_regression"].iter().enumerate() {
        let run = out.join("runs").join(name);
        let s = summary(&run);
        let row = &j["runs"][k];
        assert_eq!(row["final_loss"], s["final_loss"], "{name}: {j}");
        assert_eq!(row["steps"], s["steps"], "{name}: {j}");
        assert_eq!(row["stop_reason"], s["stop_reason"], "{name}: {j}");
    }
}

/// Processes whose command line mentions `needle` (other than this test).
fn processes_mentioning(needle: &str) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| std::fs::read(e.ok()?.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains(needle))
        .count()
}

fn start_sweep(out: &std::path::Path, steps: usize) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["sweep", "configs/linear_regression.toml", "--jobs", "2", "--out", out.to_str().unwrap()])
        .args(["--set", &format!("optimizer.steps={steps}"), "--set", "optimizer.tol=0", "--set", "optimizer.lr=0.1,0.05,0.02,0.01"])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits until the first runs have checkpointed (they are training).
fn wait_for_runs(out: &std::path::Path) {
    let started = std::time::Instant::now();
    while std::fs::read_dir(out.join("runs"))
        .map_or(0, |d| d.filter(|e| e.as_ref().is_ok_and(|e| e.path().join("checkpoint.bin").exists())).count())
        < 2
    {
        assert!(started.elapsed().as_secs() < 30, "the runs did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// SIGINT, SIGTERM or SIGHUP to the sweep alone (not its process group): it passes the stop on
/// to its runs, starts nothing new, writes the tables and exits 128 + the signal.
#[test]
fn a_stopped_sweep_stops_its_runs_and_reports_what_finished() {
    for (signal, number, code) in [("INT", libc::SIGINT, 130), ("TERM", libc::SIGTERM, 143), ("HUP", libc::SIGHUP, 129)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sweep");
        let child = start_sweep(&out, 400_000);
        wait_for_runs(&out);
        // SAFETY: a signal to our own child process, not yet waited for.
        unsafe { libc::kill(child.id() as libc::pid_t, number) };
        let o = finish_within(child, std::time::Duration::from_secs(120), &format!("the sweep after SIG{signal}"));
        assert_eq!(o.status.code(), Some(code), "SIG{signal}: {}", stderr(&o));
        assert!(stdout(&o).contains("continue with gdlab sweep --resume"), "SIG{signal}: {}", stdout(&o));
        assert_eq!(processes_mentioning(out.to_str().unwrap()), 0, "SIG{signal}: runs outlived the sweep");
        let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
        let stops: Vec<String> = r.records().map(|r| r.unwrap()[6].to_string()).collect();
        assert_eq!(stops, ["interrupted", "interrupted", "not run", "not run"], "SIG{signal}");
    }
}

/// `compare` given configs trains them as its runs; a stop to `compare` alone reaches the run
/// it is training, which writes its folder as interrupted, and compare exits 143.
#[test]
fn a_stopped_compare_stops_the_run_it_trains() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("long.toml");
    std::fs::write(&cfg, "[experiment]\nname = \"long\"\n[optimizer]\nsteps = 400000\ntol = 0.0\n").unwrap();
    let out = dir.path().join("cmp");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["compare", cfg.to_str().unwrap(), "configs/quadratic.toml", "--out", out.to_str().unwrap()])
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let run = out.join("runs/01_long");
    let started = std::time::Instant::now();
    while !run.join("checkpoint.bin").exists() {
        assert!(started.elapsed().as_secs() < 30, "compare's first run did not start");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    // SAFETY: a signal to our own child process, not yet waited for.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let o = finish_within(child, std::time::Duration::from_secs(120), "compare after SIGTERM");
    assert_eq!(o.status.code(), Some(143), "{}{}", stdout(&o), stderr(&o));
    assert_eq!(processes_mentioning(out.to_str().unwrap()), 0, "the run outlived compare");
    let s = summary(&run);
    assert_eq!(s["stop_reason"], "interrupted", "{s}");
    assert!(s["steps"].as_u64().unwrap() < 400_000);
}

#[test]
fn a_killed_sweep_takes_its_runs_with_it_and_resume_finishes_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let mut child = start_sweep(&out, 30_000);
    wait_for_runs(&out);
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let started = std::time::Instant::now();
    while processes_mentioning(out.to_str().unwrap()) > 0 {
        assert!(started.elapsed().as_secs() < 10, "runs outlived a killed sweep");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = gdlab(&["sweep", "--resume", out.to_str().unwrap(), "--jobs", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    assert!(rows.iter().all(|r| &r[4] == "30000" && &r[6] == "completed"), "{rows:?}");
    // A resumed run equals the same run done in one go (metrics.csv bytes).
    let single = dir.path().join("single");
    train_ok("configs/linear_regression.toml", &single, &["optimizer.steps=30000", "optimizer.tol=0", "optimizer.lr=0.1"]);
    let resumed = std::fs::read(out.join("runs").join("01_steps=30000_tol=0_lr=0.1").join("metrics.csv")).unwrap();
    assert!(resumed == std::fs::read(single.join("metrics.csv")).unwrap());
}

#[test]
fn a_sweep_with_a_missing_data_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = gdlab(&["sweep", "configs/diabetes.toml", "--set", "data.dataset=\"nowhere\",\"diabetes\"", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no shipped data set named `nowhere`"), "{}", stderr(&o));
    assert!(!out.exists(), "a sweep folder was left behind");
}

/// `--launcher slurm` where Slurm is not installed: exit 2 saying so, nothing written; a
/// launcher file with a misspelt key: exit 2 naming its line.
#[test]
fn a_slurm_sweep_without_sbatch_or_with_a_bad_launcher_file_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let args = ["sweep", "configs/quadratic.toml", "-s", "optimizer.lr=0.1,0.2", "--launcher", "slurm", "--out", out.to_str().unwrap()];
    let o =
        std::process::Command::new(env!("CARGO_BIN_EXE_gdlab")).args(args).env("PATH", dir.path()).current_dir(root()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("`sbatch` is not on the PATH") && stderr(&o).contains("--launcher local"), "{}", stderr(&o));
    assert!(!out.exists(), "a sweep folder was left behind");
    let file = dir.path().join("slurm.toml");
    std::fs::write(&file, "[slurm]\npartition = \"short\"\ntime_limit = \"10\"\n").unwrap();
    let o = gdlab(&[&args[..], &["--launcher-config", file.to_str().unwrap()]].concat());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("slurm.toml:3") && stderr(&o).contains("time_limit"), "{}", stderr(&o));
    assert!(!out.exists(), "a sweep folder was left behind");
    // The Slurm options go with the Slurm launcher only.
    let o = gdlab(&["sweep", "configs/quadratic.toml", "-s", "optimizer.lr=0.1", "--partition", "short", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--launcher slurm"), "{}", stderr(&o));
    assert!(!out.exists());
}
