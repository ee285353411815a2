//! `gdlab sweep --launcher slurm` on a real one-node Slurm cluster, through the real binary.
//!
//! These need the cluster that `scripts/slurm.sh` starts (SLURM_CONF points at it), so they are
//! marked ignored and `scripts/test.sh` runs them there with `--ignored`. Run by hand:
//!   scripts/slurm.sh cargo test --profile ci --features wgpu,remote --test it slurm:: -- --ignored
//! Without a cluster they fail; they never pass by skipping. Every wait is bounded and says
//! what it waited for.

use crate::common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn cluster() {
    assert!(std::env::var_os("SLURM_CONF").is_some(), "no Slurm cluster (SLURM_CONF is not set): run these through scripts/slurm.sh");
}

/// gdlab with `args` in the repository root, killed (and the test failed) after `limit`.
fn gdlab_within(args: &[&str], limit: Duration) -> std::process::Output {
    let child = Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    finish_within(child, limit, &format!("gdlab {}", args.join(" ")))
}

fn slurm_cmd(program: &str, args: &[&str]) -> String {
    let o = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(o.status.success(), "{program} {args:?}: {}", stderr(&o));
    stdout(&o)
}

/// The sweep's first Slurm job array.
fn job(dir: &Path) -> u64 {
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("sweep.json")).unwrap()).unwrap();
    plan["slurm"]["submissions"][0]["job"].as_u64().unwrap()
}

fn status(dir: &Path) -> serde_json::Value {
    let o = gdlab_within(&["sweep", "--status", dir.to_str().unwrap(), "--json"], Duration::from_secs(30));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn states(s: &serde_json::Value) -> Vec<String> {
    s["runs"].as_array().unwrap().iter().map(|r| r["state"].as_str().unwrap().to_string()).collect()
}

/// Waits until `runs` of the sweep's run folders hold a checkpoint and 2,000 logged steps:
/// those tasks are well into training.
fn wait_for_checkpoints(dir: &Path, runs: usize) {
    let started = Instant::now();
    let training = |run: &Path| {
        run.join("checkpoint.bin").exists()
            && std::fs::read(run.join("metrics.csv")).is_ok_and(|m| m.iter().filter(|b| **b == b'\n').count() > 2000)
    };
    let count = || std::fs::read_dir(dir.join("runs")).map_or(0, |d| d.filter(|e| e.as_ref().is_ok_and(|e| training(&e.path()))).count());
    while count() < runs {
        assert!(started.elapsed() < Duration::from_secs(90), "{runs} Slurm tasks did not start training within 90 s");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A requeued task waits for a begin time Slurm sets about two minutes ahead; once task `k`
/// of `job` is back in the queue, it may start now (as an operator would let it).
fn start_requeued_now(job: u64, k: usize) {
    let id = format!("{job}_{k}");
    let started = Instant::now();
    loop {
        let q = slurm_cmd("squeue", &["-h", "-r", "-j", &job.to_string(), "-o", "%i %T"]);
        if q.lines().any(|l| l.trim() == format!("{id} PENDING")) {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "task {id} was not requeued within 60 s: {q}");
        std::thread::sleep(Duration::from_millis(100));
    }
    slurm_cmd("scontrol", &["update", &format!("JobId={id}"), "StartTime=now"]);
}

/// Each run's metrics.csv in `a` equals the same run's in `b`, byte for byte.
fn same_metrics(a: &Path, b: &Path, runs: &[&str]) {
    for r in runs {
        let x = std::fs::read(a.join("runs").join(r).join("metrics.csv")).unwrap();
        let y = std::fs::read(b.join("runs").join(r).join("metrics.csv")).unwrap();
        assert!(x == y, "{r}: metrics.csv differs between {} and {}", a.display(), b.display());
    }
}

/// The sweep's runs `NN_lr=LR_steps=12000_tol=0` (number, learning rate) against the same
/// runs trained here in one go, into `scratch`: metrics.csv byte for byte.
fn equals_runs_done_in_one_go(sweep: &Path, scratch: &Path, runs: &[(usize, &str)]) {
    for (k, lr) in runs {
        let name = format!("{k:02}_lr={lr}_steps=12000_tol=0");
        let lr = format!("optimizer.lr={lr}");
        train_ok("configs/linear_regression.toml", &scratch.join("runs").join(&name), &[&lr, "optimizer.steps=12000", "optimizer.tol=0"]);
        same_metrics(sweep, scratch, &[&name]);
    }
}

fn run_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir.join("runs")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// sweep.csv without its `run` column (where each run's folder is, which differs by design).
fn table_without_paths(dir: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(dir.join("sweep.csv")).unwrap();
    let at = r.headers().unwrap().iter().position(|h| h == "run").unwrap();
    r.records().map(|x| x.unwrap().iter().enumerate().filter(|(i, _)| *i != at).map(|(_, v)| v.to_string()).collect()).collect()
}

const LR: [&str; 7] =
    ["configs/linear_regression.toml", "-s", "optimizer.lr=0.2,0.1,0.05", "-s", "experiment.seed=1,2", "-s", "optimizer.steps=3000"];

/// Six combinations, at most two at once: each run is byte for byte the local sweep's, and so
/// are the tables.
#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm.sh runs these (scripts/test.sh does)"]
fn a_slurm_sweep_equals_the_local_sweep_byte_for_byte() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let (local, remote) = (dir.path().join("local"), dir.path().join("slurm"));
    let mut args = vec!["sweep"];
    args.extend(LR);
    let o = gdlab_within(&[&args[..], &["--jobs", "2", "--out", local.to_str().unwrap(), "--quiet"]].concat(), Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let submit = [&args[..], &["--launcher", "slurm", "--jobs", "2", "--wait", "--json", "--out", remote.to_str().unwrap()]].concat();
    let o = gdlab_within(&submit, Duration::from_secs(180));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["runs"].as_array().unwrap().len(), 6, "{v}");
    let names = run_names(&local);
    assert_eq!(names, run_names(&remote));
    same_metrics(&local, &remote, &names.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(table_without_paths(&local), table_without_paths(&remote));
    assert_eq!(std::fs::read(local.join("sweep.md")).unwrap(), std::fs::read(remote.join("sweep.md")).unwrap());
    assert_figure(&remote.join("sweep_loss.png"));
    // The script Slurm ran: one task per combination, requeueable, warned before its limit.
    let script = std::fs::read_to_string(remote.join("slurm/sweep.sbatch")).unwrap();
    for line in ["#SBATCH --array=0-5", "#SBATCH --requeue", "#SBATCH --signal=B:USR1@120", "6) ", "5) run='runs/06_"] {
        assert_eq!(script.contains(line), line != "6) ", "{line:?} in\n{script}");
    }
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(remote.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(plan["slurm"]["options"]["max_running"], 2);
    assert_eq!(plan["slurm"]["submissions"][0]["tasks"].as_array().unwrap().len(), 6);
}

const LONG: [&str; 8] = [
    "sweep",
    "configs/linear_regression.toml",
    "-s",
    "optimizer.lr=0.1,0.05,0.02,0.01",
    "-s",
    "optimizer.steps=12000",
    "-s",
    "optimizer.tol=0",
];

/// scancel while two tasks train and two wait: --status shows the two killed at their
/// checkpoints and two never started; --resume --launcher slurm submits exactly those four,
/// and the resumed runs end byte for byte as runs done in one go.
#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm.sh runs these (scripts/test.sh does)"]
fn a_cancelled_sweep_shows_its_killed_runs_and_resume_finishes_it() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let submit = [&LONG[..], &["--launcher", "slurm", "--jobs", "2", "--out", out.to_str().unwrap()]].concat();
    let o = gdlab_within(&submit, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("submitted 4 runs to Slurm as job array"), "{}", stdout(&o));
    wait_for_checkpoints(&out, 2);
    slurm_cmd("scancel", &[&job(&out).to_string()]);
    let started = Instant::now();
    let s = loop {
        let s = status(&out);
        if s["settled"] == true {
            break s;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "the cancelled tasks did not leave the queue within 60 s: {s}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(states(&s), ["killed", "killed", "not_run", "not_run"], "{s}");
    for r in &s["runs"].as_array().unwrap()[..2] {
        let step = r["step"].as_u64().unwrap_or_else(|| panic!("a killed run's checkpoint step: {r}"));
        assert!((2000..12_000).contains(&step), "{r}");
        assert!(r["loss"].as_f64().is_some(), "the loss at the checkpoint: {r}");
    }
    // What a user reads (the closing note quotes it).
    let text = gdlab_within(&["sweep", "--status", out.to_str().unwrap()], Duration::from_secs(30));
    eprintln!("--status after scancel:\n{}", stdout(&text));
    assert!(stdout(&text).contains("its checkpoint is at step"), "{}", stdout(&text));
    assert!(stdout(&text).contains(&format!("gdlab sweep --resume {} --launcher slurm", out.display())), "{}", stdout(&text));

    let resume = ["sweep", "--resume", out.to_str().unwrap(), "--launcher", "slurm", "--wait", "--json"];
    let o = gdlab_within(&resume, Duration::from_secs(240));
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    let plan: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    assert_eq!(plan["slurm"]["submissions"][1]["tasks"], serde_json::json!([0, 1, 2, 3]), "{plan}");
    let s = status(&out);
    assert_eq!(states(&s), ["finished"; 4], "{s}");
    assert!(s["runs"].as_array().unwrap().iter().all(|r| r["stop_reason"] == "completed" && r["steps"] == 12_000), "{s}");
    // A killed-and-resumed run, and one that ran in one go, against local runs.
    equals_runs_done_in_one_go(&out, &dir.path().join("local"), &[(1, "0.1"), (3, "0.02")]);
}

/// A task requeued by Slurm (`scontrol requeue`, as preemption does) and one told its time
/// limit is near (USR1, the signal the script asks Slurm for) both stop at a checkpoint, go
/// back to the queue and continue their run folders: byte for byte an uninterrupted run.
#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm.sh runs these (scripts/test.sh does)"]
fn requeued_and_time_limited_tasks_resume_from_their_checkpoints() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let submit = [
        "sweep",
        "configs/linear_regression.toml",
        "-s",
        "optimizer.lr=0.1,0.05",
        "-s",
        "optimizer.steps=12000",
        "-s",
        "optimizer.tol=0",
        "--launcher",
        "slurm",
        "--time",
        "10",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = gdlab_within(&submit, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let job = job(&out);
    wait_for_checkpoints(&out, 2);
    slurm_cmd("scontrol", &["requeue", &format!("{job}_0")]);
    slurm_cmd("scancel", &["--signal=USR1", "--batch", &format!("{job}_1")]);
    start_requeued_now(job, 0);
    start_requeued_now(job, 1);
    let o = gdlab_within(&["sweep", "--status", out.to_str().unwrap(), "--wait", "--json"], Duration::from_secs(180));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(states(&s), ["finished", "finished"], "{s}");
    for k in 0..2 {
        let info = slurm_cmd("scontrol", &["show", "job", &format!("{job}_{k}")]);
        assert!(info.contains("Restarts=1"), "task {k} was not requeued once:\n{info}");
    }
    equals_runs_done_in_one_go(&out, &dir.path().join("local"), &[(1, "0.1"), (2, "0.05")]);
}

/// A combination that diverges and one whose data file is gone by the time its task runs
/// (found only then): --status and the tables show each with its reason.
#[test]
#[ignore = "needs a Slurm cluster: scripts/slurm.sh runs these (scripts/test.sh does)"]
fn failing_combinations_show_with_their_reasons() {
    cluster();
    let dir = tempfile::tempdir().unwrap();
    let data = "x,y\n0,1\n1,3\n2,5\n3,7\n";
    std::fs::write(dir.path().join("a.csv"), data).unwrap();
    std::fs::write(dir.path().join("b.csv"), data).unwrap();
    let cfg = dir.path().join("line.toml");
    std::fs::write(
        &cfg,
        "[experiment]\nname = \"line\"\n[data]\nsource = \"csv\"\npath = \"a.csv\"\ntarget = \"y\"\n[optimizer]\nsteps = 200\n",
    )
    .unwrap();
    let out = dir.path().join("sweep");
    // Held, so the data file can go before any task starts.
    let submit = [
        "sweep",
        cfg.to_str().unwrap(),
        "-s",
        "data.path=\"a.csv\",\"b.csv\"",
        "-s",
        "optimizer.lr=0.01,50",
        "--launcher",
        "slurm",
        "--sbatch-arg=--hold",
        "--out",
        out.to_str().unwrap(),
    ];
    let o = gdlab_within(&submit, Duration::from_secs(60));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s = status(&out);
    assert_eq!(states(&s), ["pending"; 4], "{s}");
    std::fs::remove_file(dir.path().join("b.csv")).unwrap();
    slurm_cmd("scontrol", &["release", &job(&out).to_string()]);
    let o = gdlab_within(&["sweep", "--status", out.to_str().unwrap(), "--wait", "--json"], Duration::from_secs(120));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let s: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(states(&s), ["finished", "finished", "failed", "failed"], "{s}");
    assert_eq!(s["runs"][0]["stop_reason"], "completed", "{s}");
    assert_eq!(s["runs"][1]["stop_reason"], "diverged", "{s}");
    for r in &s["runs"].as_array().unwrap()[2..] {
        assert_eq!(r["exit_code"], 2, "{r}");
        assert!(r["stderr"].as_str().unwrap().contains("b.csv"), "the reason names the missing file: {r}");
    }
    let mut table = csv::Reader::from_path(out.join("sweep.csv")).unwrap();
    let stops: Vec<(String, String)> = table.records().map(|r| r.unwrap()).map(|r| (r[5].to_string(), r[6].to_string())).collect();
    assert_eq!(
        stops,
        [("completed", "0"), ("diverged", "3"), ("failed", "2"), ("failed", "2")].map(|(a, b)| (a.to_string(), b.to_string())),
        "stop_reason and exit_code columns"
    );
    let o = gdlab_within(&["sweep", "--status", out.to_str().unwrap()], Duration::from_secs(30));
    assert!(stdout(&o).contains("b.csv"), "{}", stdout(&o));
}
