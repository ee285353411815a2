//! Resume: a run stopped at any step and continued from its checkpoint ends exactly where the
//! uninterrupted run ends (every metrics row and every parameter bit), in the library and
//! through the real binary (SIGKILL at random moments, extension of a finished run).

use crate::common::*;
use gdlab::train::Record;
use proptest::prelude::*;
use std::time::Duration;

/// Records and final parameters of a run of `exp`, optionally stopped after `stop_after`
/// iterations, checkpointed, and continued in a fresh trainer from that checkpoint.
fn run(exp: &gdlab::train::experiment::Experiment, stop_after: Option<usize>) -> (Vec<Record>, Vec<u64>) {
    let fresh = || exp.trainer();
    let mut t = fresh();
    let mut records = Vec::new();
    let mut iterations = 0;
    loop {
        if Some(iterations) == stop_after {
            let c = t.checkpoint().unwrap();
            t = fresh();
            t.restore(&c).unwrap();
        }
        let s = t.step(false);
        records.extend(s.record);
        iterations += 1;
        if s.stop.is_some() {
            break;
        }
    }
    let params = gdlab::gradient::params::values(t.model()).iter().map(|v| v.to_bits()).collect();
    (records, params)
}

fn bits(r: &[Record]) -> Vec<String> {
    // Debug prints f64 in shortest round-trip form: equal strings mean equal bits.
    r.iter().map(|r| format!("{r:?}")).collect()
}

proptest! {
    #![proptest_config(crate::seeded::config(24))]

    /// Random configs: neuron and mlp, full batch and mini-batch, with and without momentum,
    /// every backend that runs on this machine's CPU, logging every row or every third;
    /// stopped after a random k of N. A device (lavapipe here) compiles kernels for each new
    /// shape, seconds per case: `resuming_on_a_device_changes_nothing` gives it fixed ones.
    #[test]
    fn resuming_after_any_step_changes_nothing(
        config in prop::sample::select(vec!["configs/linear_regression.toml", "configs/logistic_regression.toml", "configs/xor_mlp.toml", "configs/iris_mlp.toml"]),
        batch in prop::sample::select(vec![None, Some(16usize)]),
        momentum in prop::sample::select(vec![0.0, 0.9]),
        backend in prop::sample::select(host_backends()).prop_map(|b| gdlab::config::name(&b)),
        log_every in prop::sample::select(vec![1usize, 3]),
        steps in 1usize..40,
        k_frac in 0.0f64..1.0,
    ) {
        let mut sets = vec![
            format!("backend.name=\"{backend}\""),
            format!("optimizer.momentum={momentum}"),
            format!("output.log_every={log_every}"),
            format!("optimizer.steps={steps}"),
        ];
        if let Some(b) = batch {
            sets.push(format!("optimizer.batch_size={b}"));
        }
        let loaded = gdlab::config::load(&root().join(config), &sets).unwrap();
        let exp = gdlab::train::experiment::prepare(loaded).unwrap();
        let k = (k_frac * steps as f64) as usize;
        let (whole, p_whole) = run(&exp, None);
        let (resumed, p_resumed) = run(&exp, Some(k));
        prop_assert_eq!(bits(&whole), bits(&resumed), "stopped after {} of {} ({:?})", k, steps, sets);
        prop_assert_eq!(p_whole, p_resumed);
    }
}

fn host_backends() -> Vec<gdlab::config::BackendName> {
    gdlab::backend::compiled().into_iter().filter(|b| b.info().host).collect()
}

/// The property above on each compiled backend with a device of its own, through the real
/// binary (so this test binary opens no device in-process), on two fixed cases: a neuron with
/// momentum in full batch, and one in mini-batches logging every third row (on lavapipe a
/// process takes about 2.5 s for these; an mlp's kernels take 25 s or more to compile). Each is trained
/// k steps, then resumed to n, and must equal the n-step run row for row and bit for bit.
#[test]
fn resuming_on_a_device_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let devices: Vec<_> = gdlab::backend::compiled().into_iter().filter(|b| b.info().on_device).collect();
    for backend in devices {
        let name = gdlab::config::name(&backend);
        let on = format!("backend.name=\"{name}\"");
        for (config, sets, key, k, n) in [
            ("configs/linear_regression.toml", ["optimizer.momentum=0.9", "output.log_every=1"], "optimizer.steps", 5, 12),
            ("configs/logistic_regression.toml", ["optimizer.batch_size=16", "output.log_every=3"], "optimizer.steps", 4, 9),
        ] {
            let stem = std::path::Path::new(config).file_stem().unwrap().to_str().unwrap();
            let (part, whole) = (dir.path().join(format!("{stem}-{name}-part")), dir.path().join(format!("{stem}-{name}-whole")));
            let set = |v: usize| -> Vec<String> { sets.iter().map(|s| s.to_string()).chain([on.clone(), format!("{key}={v}")]).collect() };
            let (sp, sw) = (set(k), set(n));
            train_ok(config, &part, &sp.iter().map(String::as_str).collect::<Vec<_>>());
            train_ok(config, &whole, &sw.iter().map(String::as_str).collect::<Vec<_>>());
            let r = gdlab(&["train", "--resume", part.to_str().unwrap(), "--quiet", "--set", &format!("{key}={n}")]);
            assert!(r.status.success(), "{config} on {name}: {}", stderr(&r));
            let (a, b) = (std::fs::read(part.join("metrics.csv")).unwrap(), std::fs::read(whole.join("metrics.csv")).unwrap());
            assert!(a == b, "{config} on {name}: resumed after {k} of {n}, metrics.csv differs");
            assert_eq!(summary(&part)["parameters"], summary(&whole)["parameters"], "{config} on {name}");
        }
    }
}

/// How far a run has got, as the test sees it from outside.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// checkpoint.bin exists (the first is written at step 0).
    FirstCheckpoint,
    /// metrics.csv holds at least this share of the uninterrupted run's bytes.
    Metrics(f64),
}

/// Starts `gdlab args` and sends SIGKILL once the run in `out` has reached `moment`, polling
/// every millisecond; the moment comes from the run's own files, not from a clock, so it is
/// the same on a slow machine and a fast one. Returns whether the kill landed (the run had not
/// ended by itself).
fn kill_at(args: &[&str], out: &std::path::Path, moment: Moment, whole_len: u64) -> bool {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab")).args(args).current_dir(root()).spawn().unwrap();
    let reached = || match moment {
        Moment::FirstCheckpoint => out.join("checkpoint.bin").exists(),
        Moment::Metrics(share) => std::fs::metadata(out.join("metrics.csv")).is_ok_and(|m| m.len() as f64 >= share * whole_len as f64),
    };
    let started = std::time::Instant::now();
    while !reached() {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{args:?}: {moment:?} not reached in 120 s");
        std::thread::sleep(Duration::from_millis(1));
    }
    let _ = child.kill(); // SIGKILL
    child.wait().unwrap().code().is_none()
}

fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()?.file_name().into_string().ok()).filter(|n| n.contains(".tmp-")).collect()
}

/// The real binary killed with SIGKILL at three moments of its own progress (its first
/// checkpoint, 30% and 70% of its metrics) on three configs: `eval` reads the killed folder,
/// `--resume` finishes it with a metrics.csv byte-identical to the uninterrupted run's, the
/// same parameters, and no temp file left. A folder killed before its first checkpoint (made
/// by taking a killed folder's checkpoint away) reads as such and runs again from the start.
#[test]
fn sigkill_then_resume_gives_the_uninterrupted_run() {
    let cases: [(&str, &[&str]); 3] = [
        // Each run takes one to two seconds here: long enough for a kill polled every
        // millisecond to land before the end, short enough that the twelve runs of a config
        // (whole, and three killed and resumed) stay within 10 s.
        ("configs/linear_regression.toml", &["optimizer.steps=6000", "output.checkpoint_every=100"]),
        (
            "configs/iris_mlp.toml",
            &["optimizer.epochs=150", "optimizer.batch_size=8", "optimizer.momentum=0.9", "output.checkpoint_every=113"],
        ),
        ("configs/xor_mlp.toml", &["optimizer.steps=4000", "output.log_every=7", "output.checkpoint_every=199"]),
    ];
    for (config, sets) in cases {
        let dir = tempfile::tempdir().unwrap();
        let whole = dir.path().join("whole");
        train_ok(config, &whole, sets);
        let expected = std::fs::read(whole.join("metrics.csv")).unwrap();
        let moments = [Moment::FirstCheckpoint, Moment::Metrics(0.3), Moment::Metrics(0.7)];
        for (i, moment) in moments.into_iter().enumerate() {
            let out = dir.path().join(format!("killed{i}"));
            let mut args = vec!["train", config, "--quiet", "--out", out.to_str().unwrap()];
            for s in sets {
                args.extend(["--set", s]);
            }
            let landed = kill_at(&args, &out, moment, expected.len() as u64);
            assert!(landed, "{config}: the run ended before the kill at {moment:?}: lengthen it");
            assert!(!out.join("summary.json").exists());
            let e = gdlab(&["eval", out.to_str().unwrap()]);
            assert!(e.status.success(), "eval on a folder killed at {moment:?}: {}", stderr(&e));
            let text = stdout(&e);
            let at: u64 = text
                .split("interrupted (killed), last checkpoint at step ")
                .nth(1)
                .and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok())
                .unwrap_or_else(|| panic!("{text}"));
            // 30% and 70% of the rows lie past a later checkpoint than the first, so the resume
            // below must continue from the middle of the run, not from its start.
            assert!(matches!(moment, Moment::FirstCheckpoint) || at > 0, "{config}: killed at {moment:?}, checkpoint at step {at}");
            if i == 0 {
                std::fs::remove_file(out.join("checkpoint.bin")).unwrap();
                let e = gdlab(&["eval", out.to_str().unwrap()]);
                // Nothing to evaluate: a runtime failure (1), not bad input; the message says why.
                assert_eq!(e.status.code(), Some(1), "{}", stderr(&e));
                assert!(stderr(&e).contains("before its first checkpoint"), "{}", stderr(&e));
            }
            let r = gdlab(&["train", "--resume", out.to_str().unwrap(), "--quiet"]);
            assert!(r.status.success(), "resume {config} after a kill at {moment:?}: {}", stderr(&r));
            assert!(
                std::fs::read(out.join("metrics.csv")).unwrap() == expected,
                "{config}: metrics.csv differs after a kill at {moment:?} and --resume"
            );
            assert_eq!(summary(&out)["parameters"], summary(&whole)["parameters"]);
            assert_eq!(summary(&out)["steps"], summary(&whole)["steps"]);
            assert!(temp_files(&out).is_empty(), "temp files left: {:?}", temp_files(&out));
        }
    }
}

/// Extending a finished N-step run to 2N steps gives the 2N-step run from scratch, and the
/// change is recorded in the folder's history.
#[test]
fn extending_a_finished_run_equals_the_longer_run() {
    let dir = tempfile::tempdir().unwrap();
    for (config, n) in [("configs/linear_regression.toml", 37), ("configs/digits_mlp.toml", 3)] {
        let key = if config.contains("digits") { "optimizer.epochs" } else { "optimizer.steps" };
        let short = dir.path().join(format!("short-{n}"));
        let long = dir.path().join(format!("long-{n}"));
        train_ok(config, &short, &[&format!("{key}={n}"), "output.log_every=3"]);
        train_ok(config, &long, &[&format!("{key}={}", 2 * n), "output.log_every=3"]);
        let r = gdlab(&["train", "--resume", short.to_str().unwrap(), "--quiet", "--set", &format!("{key}={}", 2 * n)]);
        assert!(r.status.success(), "{}", stderr(&r));
        assert!(std::fs::read(short.join("metrics.csv")).unwrap() == std::fs::read(long.join("metrics.csv")).unwrap(), "{config}");
        assert_eq!(summary(&short)["parameters"], summary(&long)["parameters"]);
        let history: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(short.join("history.json")).unwrap()).unwrap();
        assert_eq!(history[0]["changes"][0]["key"], key);
        assert_eq!(history[0]["changes"][0]["now"], (2 * n).to_string());
    }
}

/// Changing the model, the data or the loss on --resume is refused, naming the key; the
/// folder is left as it was.
#[test]
fn resume_refuses_a_changed_model_data_or_loss() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    train_ok("configs/linear_regression.toml", &out, &["optimizer.steps=5"]);
    let before = std::fs::read(out.join("metrics.csv")).unwrap();
    for (set, key) in [
        ("model.bias=false", "model.bias"),
        ("data.n=50", "data.n"),
        ("loss.kind=\"mae\"", "loss.kind"),
        ("optimizer.momentum=0.5", "optimizer.momentum"),
    ] {
        let r = gdlab(&["train", "--resume", out.to_str().unwrap(), "--set", set]);
        assert_eq!(r.status.code(), Some(2), "{set}: {}", stderr(&r));
        assert!(stderr(&r).contains(&format!("key `{key}`")), "{set}: {}", stderr(&r));
        assert!(out.join("summary.json").exists());
    }
    assert_eq!(std::fs::read(out.join("metrics.csv")).unwrap(), before);
    let r = gdlab(&["train", "--resume", dir.path().join("nothing").to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(stderr(&r).contains("not a gdlab run folder"), "{}", stderr(&r));
}

/// A run on a CSV whose file changes before the resume is refused (exit 2, naming the data),
/// and the folder is left as it was.
#[test]
fn resume_refuses_changed_data() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("d.csv");
    std::fs::write(&csv, "x,y\n1,2\n2,4\n3,6.5\n").unwrap();
    let cfg = dir.path().join("exp.toml");
    std::fs::write(&cfg, "[data]\nsource = \"csv\"\npath = \"d.csv\"\ntarget = \"y\"\n[optimizer]\nlr = 0.01\nsteps = 5\n").unwrap();
    let out = dir.path().join("run");
    train_ok(cfg.to_str().unwrap(), &out, &[]);
    let before = std::fs::read(out.join("checkpoint.bin")).unwrap();
    std::fs::write(&csv, "x,y\n1,2\n2,4\n3,6.6\n").unwrap();
    let r = gdlab(&["train", "--resume", out.to_str().unwrap(), "--set", "optimizer.steps=10"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("key `data`") && stderr(&r).contains("data differ"), "{}", stderr(&r));
    assert!(out.join("summary.json").exists() && !out.join("history.json").exists());
    assert_eq!(std::fs::read(out.join("checkpoint.bin")).unwrap(), before);
}

/// SIGTERM and SIGHUP stop a run like Ctrl-C: every file written (summary.json says
/// interrupted), exit 128 + the signal (143, 129), and `--resume` finishes it exactly.
#[test]
fn sigterm_and_sighup_stop_like_ctrl_c() {
    let dir = tempfile::tempdir().unwrap();
    let sets = ["optimizer.steps=200000", "output.log_every=100"];
    for (signal, number, code) in [("TERM", libc::SIGTERM, 143), ("HUP", libc::SIGHUP, 129), ("INT", libc::SIGINT, 130)] {
        let out = dir.path().join(signal);
        let mut args = vec!["train", "configs/linear_regression.toml", "--quiet", "--out", out.to_str().unwrap()];
        for s in sets {
            args.extend(["--set", s]);
        }
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(&args)
            .current_dir(root())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Wait until training has begun (the first checkpoint is written at step 0) and some
        // rows are logged.
        let started = std::time::Instant::now();
        while std::fs::metadata(out.join("metrics.csv")).map_or(0, |m| m.len()) < 4096 || !out.join("checkpoint.bin").exists() {
            assert!(started.elapsed() < Duration::from_secs(30), "SIG{signal}: the run did not start within 30 s");
            std::thread::sleep(Duration::from_millis(5));
        }
        // SAFETY: kill(2) on the pid of a child this test spawned and has not yet waited for.
        let sent = unsafe { libc::kill(child.id() as libc::pid_t, number) };
        assert_eq!(sent, 0);
        let o = finish_within(child, Duration::from_secs(60), &format!("gdlab train after SIG{signal}"));
        assert_eq!(o.status.code(), Some(code), "SIG{signal}: {}", stderr(&o));
        let s = summary(&out);
        assert_eq!(s["stop_reason"], "interrupted", "SIG{signal}");
        assert!(s["steps"].as_u64().unwrap() < 200000);
        let e = gdlab(&["eval", out.to_str().unwrap(), "--json"]);
        assert!(e.status.success(), "eval after SIG{signal}: {}", stderr(&e));
        assert_figure(&out.join("loss.png"));
    }
}
