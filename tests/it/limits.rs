//! Sizes are bounded before any work or allocation, bad numbers are bad input before a folder
//! is made, and stop signals end a command that is still reading its data.

use crate::common::*;
use std::path::Path;
use std::time::Duration;

const LINEAR: &str = "configs/linear_regression.toml";

fn assert_refused(args: &[&str], needle: &str) {
    let o = gdlab(args);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
    assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
}

#[test]
fn sizes_are_refused_with_their_limit_before_any_work() {
    assert_refused(&["surface", LINEAR, "--params", "w_x1,b", "--grid", "100000"], "3..=1001");
    assert_refused(&["taylor", LINEAR, "--directions", "100000000"], "1..=100000");
    assert_refused(&["taylor", LINEAR, "--steps", "0"], "1..=10000");
    assert_refused(&["bench", "--rows", "100000000000"], "1..=4194304");
    assert_refused(&["bench", "--repeat", "1000"], "1..=100");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let o = train(LINEAR, &out, &["backend.shards=100000"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("backend.shards") && stderr(&o).contains("at most 256"), "{}", stderr(&o));
    assert!(!out.exists());
}

#[test]
fn gradcheck_refuses_to_perturb_a_parameter_that_does_not_exist() {
    assert_refused(&["gradcheck", LINEAR, "--perturb-analytic", "zz"], "no such parameter");
    let o = gdlab(&["gradcheck", LINEAR, "--perturb-analytic", "b"]);
    assert_eq!(o.status.code(), Some(4), "a real parameter perturbed still fails the check: {}", stderr(&o));
}

/// NaN or infinity in generated data or a start point, and a name no folder can have, are
/// exit 2 with the key, and nothing is created.
#[test]
fn non_finite_numbers_and_unusable_names_are_bad_input_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for (set, key) in [
        ("data.noise=nan", "data.noise"),
        ("data.true_weights=[2.0, inf]", "data.true_weights"),
        ("data.true_bias=-inf", "data.true_bias"),
        ("model.start.weights=[nan, 1.0]", "model.start.weights"),
        ("model.start.bias=nan", "model.start.bias"),
        ("experiment.name=\"a\\u0000b\"", "experiment.name"),
    ] {
        let root = dir.path().join("artifacts");
        let o = gdlab(&["train", LINEAR, "--quiet", "--set", set, "--set", &format!("output.dir=\"{}\"", root.display())]);
        assert_eq!(o.status.code(), Some(2), "{set}: {}", stderr(&o));
        assert!(stderr(&o).contains(&format!("key `{key}`")), "{set}: {}", stderr(&o));
        assert!(!root.exists(), "{set}: the artifacts folder was created");
    }
}

/// A config whose data is a FIFO nobody writes: `train` and `sweep` block reading it, and a
/// stop signal still ends them with 128 + the signal, leaving no folder behind.
#[test]
fn stop_signals_end_a_command_that_is_still_reading_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("data.csv");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo(3) on a path we own, with a valid C string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let config = dir.path().join("fifo.toml");
    std::fs::write(&config, "[data]\nsource = \"csv\"\npath = \"data.csv\"\ntarget = \"y\"\n[optimizer]\nsteps = 5\n").unwrap();
    let artifacts = dir.path().join("artifacts");
    let out_dir = format!("output.dir=\"{}\"", artifacts.display());
    for (args, signal, code) in [
        (vec!["train", config.to_str().unwrap(), "--quiet", "--set", &out_dir], libc::SIGTERM, 143),
        (vec!["train", config.to_str().unwrap(), "--quiet", "--set", &out_dir], libc::SIGHUP, 129),
        (vec!["sweep", config.to_str().unwrap(), "--set", "optimizer.lr=0.1,0.2", "--set", &out_dir], libc::SIGINT, 130),
        (
            vec!["perceptron", config.to_str().unwrap(), "--quiet", "--set", "model.activation=\"step\"", "--set", &out_dir],
            libc::SIGTERM,
            143,
        ),
    ] {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(&args)
            .current_dir(root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Blocked in open(2) of the FIFO (waiting for a writer) once /proc shows it opening it;
        // the stop handlers are installed before the data is read.
        wait_for_open(child.id(), &fifo);
        // SAFETY: kill(2) on our own child, still running (it waits for the FIFO).
        unsafe { libc::kill(child.id() as libc::pid_t, signal) };
        let o = finish_within(child, Duration::from_secs(10), "a command stopped while reading its data");
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("stopped by a signal while reading the data"), "{}", stderr(&o));
        assert!(!artifacts.exists() || is_empty_tree(&artifacts), "{args:?}: something was written under {}", artifacts.display());
    }
}

/// Waits (at most 20 s) until process `pid` has `path` open, or one of its threads is blocked
/// opening a FIFO (the kernel's `wait_for_partner` in /proc/PID/task/*/wchan).
fn wait_for_open(pid: u32, path: &Path) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let opening = || {
        std::fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten().any(|t| {
            let fds = std::fs::read_dir(t.path().join("fd")).into_iter().flatten().flatten();
            let has = fds.filter_map(|f| std::fs::read_link(f.path()).ok()).any(|l| l == path);
            has || std::fs::read_to_string(t.path().join("wchan")).is_ok_and(|w| w.contains("wait_for_partner") || w.contains("fifo"))
        })
    };
    while !opening() {
        assert!(std::time::Instant::now() < deadline, "gdlab never started reading {}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_empty_tree(p: &Path) -> bool {
    std::fs::read_dir(p).unwrap().all(|e| {
        let e = e.unwrap();
        e.path().is_dir() && is_empty_tree(&e.path())
    })
}
