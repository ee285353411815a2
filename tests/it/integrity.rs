//! A run folder whose files no longer agree is refused, naming the file, before anything is
//! written: the whole checkpoint is hashed, metrics.csv is checked against the checkpoint and
//! summary.json, config.toml against the config the checkpoint was made with, and a resume
//! cannot shrink the budget below the step reached. gdlab's own temp files do not make a
//! folder a run.

use crate::common::*;
use std::path::Path;

const LINEAR: &str = "configs/linear_regression.toml";

/// A finished 60-step run with checkpoints every 20 steps, turned into a killed one (no
/// summary.json): its last checkpoint is at step 60, and `--resume --set optimizer.steps=80`
/// would continue it.
fn killed_run(dir: &Path) -> std::path::PathBuf {
    let run = dir.join("run");
    train_ok(LINEAR, &run, &["optimizer.steps=60", "output.checkpoint_every=20"]);
    std::fs::remove_file(run.join("summary.json")).unwrap();
    run
}

/// Every file of `run`, by name, for "nothing was touched" checks.
fn snapshot(run: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(run)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_file())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), std::fs::read(e.path()).unwrap()))
        .collect();
    files.sort();
    files
}

fn resume(run: &Path, sets: &[&str]) -> std::process::Output {
    let mut args = vec!["train", "--resume", run.to_str().unwrap(), "--quiet"];
    for s in sets {
        args.extend(["--set", s]);
    }
    gdlab(&args)
}

#[test]
fn a_changed_byte_anywhere_in_the_checkpoint_is_refused_by_eval_and_resume() {
    let dir = tempfile::tempdir().unwrap();
    let run = killed_run(dir.path());
    let path = run.join("checkpoint.bin");
    let good = std::fs::read(&path).unwrap();
    // The attack the header allowed: the step changed in both places it is written.
    let text = String::from_utf8_lossy(&good).into_owned();
    assert_eq!(text.matches("\"step\":60").count(), 2, "the header names the step twice");
    let edited = text.replace("\"step\":60", "\"step\":70");
    assert_eq!(edited.len(), text.len());
    let mut forged = good.clone();
    for (k, b) in edited.bytes().enumerate() {
        if b != text.as_bytes()[k] {
            forged[k] = b;
        }
    }
    // And a spread of single-byte changes over the whole file, header and trailer included.
    let mut damaged = vec![forged];
    damaged.extend((0..good.len()).step_by(good.len() / 24 + 1).map(|at| {
        let mut b = good.clone();
        b[at] ^= 0x04;
        b
    }));
    for (k, bytes) in damaged.iter().enumerate() {
        std::fs::write(&path, bytes).unwrap();
        let before = snapshot(&run);
        let e = gdlab(&["eval", run.to_str().unwrap()]);
        assert_eq!(e.status.code(), Some(1), "eval, damage {k}: {}{}", stdout(&e), stderr(&e));
        assert!(stderr(&e).contains("checkpoint.bin") && stderr(&e).contains("damaged"), "{}", stderr(&e));
        let r = resume(&run, &["optimizer.steps=80"]);
        assert_eq!(r.status.code(), Some(1), "resume, damage {k}: {}", stderr(&r));
        assert!(stderr(&r).contains("checkpoint.bin"), "{}", stderr(&r));
        assert_eq!(snapshot(&run), before, "a refused resume touched the folder");
    }
    // The undamaged file still resumes.
    std::fs::write(&path, &good).unwrap();
    let r = resume(&run, &["optimizer.steps=80"]);
    assert!(r.status.success(), "{}", stderr(&r));
}

#[test]
fn a_cut_edited_or_missing_metrics_csv_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let run = killed_run(dir.path());
    let path = run.join("metrics.csv");
    let good = std::fs::read(&path).unwrap();
    let header_end = good.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut edited = good.clone();
    let digit = good.len() / 2 + edited[good.len() / 2..].iter().position(|b| b.is_ascii_digit() && *b != b'9').unwrap();
    edited[digit] += 1;
    let cases: Vec<(&str, Option<Vec<u8>>)> = vec![
        ("cut to half", Some(good[..good.len() / 2].to_vec())),
        ("header only", Some(good[..header_end].to_vec())),
        ("emptied", Some(Vec::new())),
        ("one digit changed", Some(edited)),
        ("deleted", None),
    ];
    for (what, bytes) in &cases {
        match bytes {
            Some(b) => std::fs::write(&path, b).unwrap(),
            None => std::fs::remove_file(&path).unwrap(),
        }
        let before = snapshot(&run);
        let r = resume(&run, &["optimizer.steps=80"]);
        assert_eq!(r.status.code(), Some(1), "{what}: {}", stderr(&r));
        assert!(stderr(&r).contains("metrics.csv") && stderr(&r).contains("checkpoint.bin recorded"), "{what}: {}", stderr(&r));
        assert_eq!(snapshot(&run), before, "{what}: a refused resume touched the folder");
        let e = gdlab(&["eval", run.to_str().unwrap()]);
        assert_eq!(e.status.code(), Some(1), "eval, {what}: {}", stderr(&e));
        assert!(stderr(&e).contains("metrics.csv"), "{}", stderr(&e));
    }
    // Rows written after the checkpoint (a run killed between checkpoints) are not damage:
    // the resume drops them.
    let mut longer = good.clone();
    longer.extend_from_slice(b"61,61,0.5,,,,,0.1,,,\n");
    std::fs::write(&path, &longer).unwrap();
    let r = resume(&run, &["optimizer.steps=80"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let reference = dir.path().join("reference");
    train_ok(LINEAR, &reference, &["optimizer.steps=80", "output.checkpoint_every=20"]);
    assert!(std::fs::read(&path).unwrap() == std::fs::read(reference.join("metrics.csv")).unwrap());
}

#[test]
fn eval_and_compare_refuse_a_finished_run_whose_metrics_changed() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_ok(LINEAR, &run, &["optimizer.steps=30"]);
    assert!(gdlab(&["eval", run.to_str().unwrap()]).status.success());
    let path = run.join("metrics.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.truncate(text.len() / 2);
    text.truncate(text.rfind('\n').unwrap() + 1);
    std::fs::write(&path, &text).unwrap();
    let e = gdlab(&["eval", run.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(1), "{}", stderr(&e));
    assert!(stderr(&e).contains("metrics.csv") && stderr(&e).contains("summary.json recorded"), "{}", stderr(&e));
    let c = gdlab(&["compare", run.to_str().unwrap(), "--out", dir.path().join("cmp").to_str().unwrap()]);
    assert_eq!(c.status.code(), Some(1), "{}", stderr(&c));
    assert!(stderr(&c).contains("metrics.csv"), "{}", stderr(&c));
    assert!(!dir.path().join("cmp").exists(), "compare wrote a folder for input it refused");
}

/// A hand-edited config.toml is held against the config the checkpoint recorded: a key a
/// resume keeps is refused (exit 2, naming it and the file); one `--set` may change is taken,
/// and history.json says it came from the file.
#[test]
fn an_edited_config_is_refused_unless_the_key_may_change_on_resume() {
    let dir = tempfile::tempdir().unwrap();
    let run = killed_run(dir.path());
    let path = run.join("config.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    for (from, to, key) in [
        ("activation = \"identity\"", "activation = \"sigmoid\"", "model.activation"),
        ("momentum = 0.0", "momentum = 0.5", "optimizer.momentum"),
        ("weight_decay = 0.0", "weight_decay = 0.01", "optimizer.weight_decay"),
        ("init = \"zeros\"", "init = \"uniform\"", "model.init"),
        ("diverge_above = 1000000000000.0", "diverge_above = 10.0", "optimizer.diverge_above"),
        ("[optimizer]\n", "[optimizer]\nbatch_size = 10\n", "optimizer.batch_size"),
    ] {
        assert!(good.contains(from), "{from}");
        std::fs::write(&path, good.replace(from, to)).unwrap();
        let before = snapshot(&run);
        let r = resume(&run, &["optimizer.steps=80"]);
        assert_eq!(r.status.code(), Some(2), "{key}: {}", stderr(&r));
        let err = stderr(&r);
        assert!(err.contains(&format!("key `{key}`")) && err.contains("config.toml") && err.contains("changed after"), "{key}: {err}");
        assert_eq!(snapshot(&run), before, "{key}: a refused resume touched the folder");
        // eval would score another model than the one the checkpoint holds: refused too.
        let e = gdlab(&["eval", run.to_str().unwrap()]);
        assert_eq!(e.status.code(), Some(2), "eval, {key}: {}", stderr(&e));
        assert!(stderr(&e).contains(&format!("key `{key}`")), "eval, {key}: {}", stderr(&e));
    }
    std::fs::write(&path, good.replace("lr = 0.1", "lr = 0.05")).unwrap();
    let r = resume(&run, &["optimizer.steps=80"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let history: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(run.join("history.json")).unwrap()).unwrap();
    let changes = history[0]["changes"].as_array().unwrap();
    let by = |key: &str| changes.iter().find(|c| c["key"] == key).map(|c| c["by"].as_str().unwrap().to_string());
    assert_eq!(by("optimizer.lr").as_deref(), Some("config.toml"), "{history}");
    assert_eq!(by("optimizer.steps").as_deref(), Some("--set"), "{history}");
    assert_eq!(column(&run, "lr").last().copied(), Some(0.05));
}

/// A budget below the step reached is refused before anything is touched, on a killed and on
/// a finished run; the folder still resumes afterwards.
#[test]
fn a_budget_below_the_step_reached_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let run = killed_run(dir.path());
    let before = snapshot(&run);
    let r = resume(&run, &["optimizer.steps=10"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("key `optimizer.steps`") && stderr(&r).contains("60"), "{}", stderr(&r));
    assert_eq!(snapshot(&run), before);
    let r = resume(&run, &[]);
    assert!(r.status.success(), "a plain resume after the refusal: {}", stderr(&r));
    let finished = snapshot(&run);
    let r = resume(&run, &["optimizer.steps=59"]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert_eq!(snapshot(&run), finished);
    assert_eq!(summary(&run)["steps"], 60);
}

/// A folder a killed gdlab left holding only its temp file counts as empty: `--out` takes it,
/// `--resume` says what to do, and `sweep --resume` trains that run again.
#[test]
fn a_folder_with_only_gdlab_temp_files_counts_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    std::fs::write(run.join(".config.toml.tmp-12345"), "[experim").unwrap();
    let r = resume(&run, &[]);
    assert_eq!(r.status.code(), Some(2), "{}", stderr(&r));
    assert!(stderr(&r).contains("before it wrote its config.toml") && stderr(&r).contains("--out"), "{}", stderr(&r));
    train_ok(LINEAR, &run, &["optimizer.steps=5"]);
    assert!(!run.join(".config.toml.tmp-12345").exists());
    // Anything else still makes the folder not empty.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join(".notes.tmp-x1"), "mine").unwrap();
    assert_eq!(train(LINEAR, &other, &[]).status.code(), Some(2));

    let sweep = dir.path().join("sweep");
    let s = gdlab(&[
        "sweep",
        LINEAR,
        "--set",
        "optimizer.lr=0.1,0.2",
        "--set",
        "optimizer.steps=5",
        "--jobs",
        "1",
        "--out",
        sweep.to_str().unwrap(),
    ]);
    assert!(s.status.success(), "{}", stderr(&s));
    let csv = std::fs::read_to_string(sweep.join("sweep.csv")).unwrap();
    let runs: Vec<_> = std::fs::read_dir(sweep.join("runs")).unwrap().map(|e| e.unwrap().path()).collect();
    let victim = runs.iter().min().unwrap();
    std::fs::remove_dir_all(victim).unwrap();
    std::fs::create_dir(victim).unwrap();
    std::fs::write(victim.join(".config.toml.tmp-999"), "").unwrap();
    let s = gdlab(&["sweep", "--resume", sweep.to_str().unwrap(), "--jobs", "1"]);
    assert!(s.status.success(), "{}", stderr(&s));
    assert_eq!(summary(victim)["stop_reason"], "completed");
    // The run that had finished keeps its exit code in the table.
    assert_eq!(std::fs::read_to_string(sweep.join("sweep.csv")).unwrap(), csv);
}
