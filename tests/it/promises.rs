//! Promises of the docs (docs/cli.md, docs/resume.md) that no other test checks, through the real binary: `--resume` with a new
//! learning rate, logging or checkpoint interval; a closed pipe ends a command quietly; the
//! lecture's `--lang` and its exit 4; the memory estimate against the measured peak; gradcheck at
//! a diverged run; sweep.json as the plan.

use crate::common::*;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const LINEAR: &str = "configs/linear_regression.toml";
const GDLAB: &str = env!("CARGO_BIN_EXE_gdlab");

/// Runs gdlab with `args` in the repository root, killed (and the test failed) after `limit`.
fn gdlab_within(args: &[&str], limit: Duration) -> Output {
    let child = Command::new(GDLAB).args(args).current_dir(root()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    finish_within(child, limit, &format!("gdlab {args:?}"))
}

/// metrics.csv's lines (header first).
fn lines(run: &Path) -> Vec<String> {
    std::fs::read_to_string(run.join("metrics.csv")).unwrap().lines().map(str::to_string).collect()
}

/// The one history.json entry of a run resumed once with changes: (resumed_at_step, changes by
/// key as (was, now)).
fn history(run: &Path) -> (u64, std::collections::BTreeMap<String, (String, String)>) {
    let text = std::fs::read_to_string(run.join("history.json")).expect("history.json after a --resume that changed settings");
    let h: Value = serde_json::from_str(&text).unwrap();
    let entries = h.as_array().unwrap_or_else(|| panic!("history.json is a list: {h}"));
    assert_eq!(entries.len(), 1, "one resume, one entry: {h}");
    let e = &entries[0];
    assert!(e["time"].as_str().is_some_and(|t| t.len() >= 20), "the time of the resume: {e}");
    let changes = e["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["key"].as_str().unwrap().to_string(), (c["was"].as_str().unwrap().to_string(), c["now"].as_str().unwrap().to_string())))
        .collect();
    (e["resumed_at_step"].as_u64().unwrap_or_else(|| panic!("resumed_at_step: {e}")), changes)
}

fn change(was: &str, now: &str) -> (String, String) {
    (was.to_string(), now.to_string())
}

/// A cell of a metrics row by column name.
fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    &row[header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"))]
}

#[test]
fn resume_with_a_new_lr_updates_with_it_from_the_resume_step_on() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_ok(LINEAR, &run, &["optimizer.steps=20"]);
    let before = lines(&run);
    let o = gdlab(&[
        "train",
        "--resume",
        run.to_str().unwrap(),
        "--quiet",
        "--json",
        "--set",
        "optimizer.steps=40",
        "--set",
        "optimizer.lr=0.05",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(j["lr"], 0.05, "the continued run's lr: {j}");
    assert_eq!(j["summary"]["steps"], 40, "{j}");
    let after = lines(&run);
    // The header and rows 0..19 are the first part's, byte for byte.
    assert_eq!(after[..21], before[..21], "rows before the resume step changed");
    let (h, rows) = metrics(&run);
    let steps = column(&run, "step");
    assert_eq!(steps, (0..=40).map(f64::from).collect::<Vec<_>>());
    let lr = column(&run, "lr");
    assert!(lr[..20].iter().all(|&v| v == 0.1) && lr[20..].iter().all(|&v| v == 0.05), "lr column: {lr:?}");
    // Row 20 is the state the first part reached (its loss, parameters and the Taylor check of
    // the update 19 -> 20, made at 0.1): only its lr, the rate of the next update, is new.
    let old20: Vec<&str> = before[21].split(',').collect();
    for (k, name) in h.iter().enumerate() {
        if name != "lr" {
            assert_eq!(rows[20][k], old20[k], "row 20, column {name}");
        }
    }
    // Every update from step 20 on is made with 0.05: the rest of the run is exactly a fresh
    // run at lr 0.05 started from row 20's parameters (plain SGD keeps no state).
    let (w1, w2, b) = (cell(&h, &rows[20], "w_x1"), cell(&h, &rows[20], "w_x2"), cell(&h, &rows[20], "b"));
    let fresh = dir.path().join("fresh");
    let weights = format!("model.start.weights=[{w1},{w2}]");
    let bias = format!("model.start.bias={b}");
    train_ok(LINEAR, &fresh, &["optimizer.steps=20", "optimizer.lr=0.05", &weights, &bias]);
    let (fh, frows) = metrics(&fresh);
    assert_eq!(frows.len(), 21);
    for k in 0..=20 {
        for name in ["loss", "grad_norm", "w_x1", "w_x2", "b", "lr"] {
            assert_eq!(cell(&h, &rows[20 + k], name), cell(&fh, &frows[k], name), "resumed row {}, column {name}", 20 + k);
        }
        if k > 0 {
            for name in ["predicted_dc", "actual_dc"] {
                assert_eq!(cell(&h, &rows[20 + k], name), cell(&fh, &frows[k], name), "resumed row {}, column {name}", 20 + k);
            }
        }
    }
    let (at, changes) = history(&run);
    assert_eq!(at, 20);
    assert_eq!(changes.get("optimizer.lr"), Some(&change("0.1", "0.05")), "{changes:?}");
    assert_eq!(changes.get("optimizer.steps"), Some(&change("20", "40")), "{changes:?}");
    assert_eq!(changes.len(), 2, "{changes:?}");
    let config = std::fs::read_to_string(run.join("config.toml")).unwrap();
    assert!(config.lines().any(|l| l == "lr = 0.05"), "config.toml takes the change:\n{config}");
}

#[test]
fn resume_with_a_new_log_every_logs_at_the_new_interval_from_the_resume_step_on() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_ok(LINEAR, &run, &["optimizer.steps=25"]);
    let before = lines(&run);
    let o = gdlab(&["train", "--resume", run.to_str().unwrap(), "--quiet", "--set", "optimizer.steps=100", "--set", "output.log_every=10"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = lines(&run);
    assert_eq!(after[..26], before[..26], "rows 0..24 (before the resume step) changed");
    // From step 25 on, a row every 10 steps (step 25 itself is not on that grid) and the last.
    let steps: Vec<u64> = after[1..].iter().map(|l| l.split(',').next().unwrap().parse().unwrap()).collect();
    let want: Vec<u64> = (0..25).chain((30..=100).step_by(10)).collect();
    assert_eq!(steps, want, "logged steps");
    // Logging does not change the updates: those rows are the rows of the uninterrupted
    // 100-step run at the same steps, byte for byte (Taylor columns included).
    let reference = dir.path().join("reference");
    train_ok(LINEAR, &reference, &["optimizer.steps=100"]);
    let whole = lines(&reference);
    let picked: Vec<&String> = std::iter::once(&whole[0])
        .chain(whole[1..].iter().filter(|l| want.contains(&l.split(',').next().unwrap().parse::<u64>().unwrap())))
        .collect();
    assert_eq!(after.iter().collect::<Vec<_>>(), picked);
    let (at, changes) = history(&run);
    assert_eq!(at, 25);
    assert_eq!(changes.get("output.log_every"), Some(&change("1", "10")), "{changes:?}");
    assert_eq!(changes.get("optimizer.steps"), Some(&change("25", "100")), "{changes:?}");
}

/// The step recorded in `run`'s checkpoint.bin (None while there is none). The file is renamed
/// into place whole, so every read must parse.
fn checkpoint_step(run: &Path) -> Option<u64> {
    let bytes = std::fs::read(run.join("checkpoint.bin")).ok()?;
    assert!(bytes.starts_with(b"GDLABCK2\n") && bytes.len() >= 17, "checkpoint.bin: {} bytes, no header", bytes.len());
    let len = u64::from_le_bytes(bytes[9..17].try_into().unwrap()) as usize;
    let header: Value =
        serde_json::from_slice(bytes.get(17..17 + len).expect("a whole header")).unwrap_or_else(|e| panic!("checkpoint header: {e}"));
    Some(header["step"].as_u64().unwrap_or_else(|| panic!("step in {header}")))
}

#[test]
fn resume_with_a_new_checkpoint_every_checkpoints_at_the_new_interval() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    // Default interval 1000: checkpoints at steps 0 and 50 only.
    train_ok(LINEAR, &run, &["optimizer.steps=50"]);
    assert_eq!(checkpoint_step(&run), Some(50));
    let mut child = Command::new(GDLAB)
        .args(["train", "--resume", run.to_str().unwrap(), "--quiet"])
        .args(["--set", "optimizer.steps=5950", "--set", "output.checkpoint_every=300"])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Every checkpoint the resumed run writes (watched as it runs): the resume step, multiples
    // of 300 (the old interval would give 1000, 2000, ...) and the last step.
    let mut seen = BTreeSet::new();
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("the resumed run did not finish within 120 s; checkpoints seen: {seen:?}");
        }
        seen.extend(checkpoint_step(&run));
        std::thread::sleep(Duration::from_millis(1));
    };
    assert!(status.success(), "{status:?}");
    seen.extend(checkpoint_step(&run));
    let off_grid: Vec<&u64> = seen.iter().filter(|&&s| s != 50 && s != 5950 && s % 300 != 0).collect();
    assert!(off_grid.is_empty(), "checkpoints off the new interval: {off_grid:?} (all seen: {seen:?})");
    let on_grid = seen.iter().filter(|&&s| s > 50 && s < 5950).count();
    assert!(on_grid >= 3, "too few checkpoints seen to tell the interval: {seen:?}");
    assert_eq!(checkpoint_step(&run), Some(5950));
    let (at, changes) = history(&run);
    assert_eq!(at, 50);
    assert_eq!(changes.get("output.checkpoint_every"), Some(&change("1000", "300")), "{changes:?}");
}

/// Runs gdlab with stdout into a pipe whose reading end is already closed, started ignoring
/// SIGPIPE as some parents leave it (Rust programs, nohup): gdlab must end quietly all the same,
/// by restoring SIGPIPE's default or by handling the broken pipe (an unhandled one is a panic
/// on stderr). Returns how it ended and its stderr.
fn into_closed_pipe(args: &[&str]) -> (std::process::ExitStatus, String) {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::os::unix::process::CommandExt;
    let mut fds = [0; 2];
    // SAFETY: pipe2 fills two fresh descriptors; the reading one is closed at once and the
    // writing one is owned by `write` from here on.
    let write = unsafe {
        assert_eq!(libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC), 0);
        libc::close(fds[0]);
        OwnedFd::from_raw_fd(fds[1])
    };
    let mut cmd = Command::new(GDLAB);
    cmd.args(args).current_dir(root()).stdout(Stdio::from(write)).stderr(Stdio::piped());
    // SAFETY: signal(2) is async-signal-safe; it runs in the child between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            Ok(())
        });
    }
    let o = finish_within(cmd.spawn().unwrap(), Duration::from_secs(60), &format!("gdlab {args:?} into a closed pipe"));
    (o.status, stderr(&o))
}

#[test]
fn output_into_a_closed_pipe_ends_the_process_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_ok("configs/quadratic.toml", &run, &[]);
    let run_s = run.to_str().unwrap();
    for args in [&["list"][..], &["list", "--json"], &["eval", run_s], &["eval", run_s, "--json"]] {
        let (status, err) = into_closed_pipe(args);
        // README names no exit status for this: quiet (nothing on stderr, no panic), ended by
        // SIGPIPE as `yes | head -1` is, or exit 0.
        assert!(err.is_empty(), "gdlab {args:?} into a closed pipe wrote to stderr ({status:?}): {err}");
        assert!(status.signal() == Some(libc::SIGPIPE) || status.code() == Some(0), "gdlab {args:?} into a closed pipe: {status:?}");
    }
    // `gdlab eval RUN | head -1`: the reader takes one line and goes.
    let mut child =
        Command::new(GDLAB).args(["eval", run_s]).current_dir(root()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().unwrap()), &mut first).unwrap();
    assert!(first.starts_with("run: completed"), "first line: {first:?}");
    let o = finish_within(child, Duration::from_secs(60), "gdlab eval RUN | head -1");
    assert!(o.stderr.is_empty(), "{}", stderr(&o));
    assert!(o.status.signal() == Some(libc::SIGPIPE) || o.status.code() == Some(0), "{:?}", o.status);
}

/// Hangul syllables and jamo in `s`.
fn hangul(s: &str) -> usize {
    s.chars().filter(|c| matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{3130}'..='\u{318F}')).count()
}

/// Hangul's share of the letters in `s` (Hangul and Latin).
fn hangul_share(s: &str) -> f64 {
    let h = hangul(s) as f64;
    h / (h + s.chars().filter(char::is_ascii_alphabetic).count() as f64)
}

/// A report's claim headings and verdict lines.
fn headings_and_verdicts<'a>(md: &'a str, verdict: &str) -> Vec<&'a str> {
    // A claim's heading is numbered ("## 3. ..."); the contents and the glossary are not claims.
    let claim_heading = |l: &str| l.strip_prefix("## ").is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()));
    md.lines().filter(|l| claim_heading(l) || l.starts_with(verdict)).collect()
}

fn claims(out: &Path) -> Vec<Value> {
    serde_json::from_str(&std::fs::read_to_string(out.join("lecture.json")).unwrap()).unwrap()
}

#[test]
fn lecture_in_english_writes_the_english_report_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lecture");
    let o = gdlab_within(&["lecture", "--out", out.to_str().unwrap(), "--lang", "en"], Duration::from_secs(600));
    assert_eq!(o.status.code(), Some(0), "{}\n{}", stdout(&o), stderr(&o));
    for f in ["REPORT.md", "index.html", "lecture.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(!out.join("REPORT.ko.md").exists(), "--lang en wrote the Korean report");
    let claims = claims(&out);
    let md = std::fs::read_to_string(out.join("REPORT.md")).unwrap();
    let lines = headings_and_verdicts(&md, "**Verdict:**");
    assert_eq!(lines.len(), 2 * claims.len(), "a heading and a verdict per claim:\n{md}");
    for l in &lines {
        assert_eq!(hangul(l), 0, "Korean in an English heading or verdict: {l}");
    }
    // Only the lecture's quotes (and a term or two it names) are Korean.
    assert!(hangul_share(&md) < 0.02, "REPORT.md is {:.0}% Hangul", 100.0 * hangul_share(&md));
    for c in &claims {
        assert!(md.contains(c["verdict"]["en"].as_str().unwrap()), "{}: English verdict missing", c["id"]);
        assert!(!md.contains(c["verdict"]["ko"].as_str().unwrap()), "{}: Korean verdict in REPORT.md", c["id"]);
    }
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<html lang=\"en\">") && html.contains("<body class=\"en\">"), "index.html is not declared English");
    assert!(html.contains("<section lang=\"en\"") && !html.contains("<section lang=\"ko\""), "index.html's sections");
    assert!(!html.contains("<nav"), "a language switch with one language");
    let shown = stdout(&o);
    assert!(shown.lines().filter(|l| l.starts_with(char::is_numeric)).all(|l| hangul(l) == 0), "the terminal in Korean:\n{shown}");
    assert!(shown.contains(&format!("report: {}", out.join("REPORT.md").display())), "{shown}");
}

/// The Korean report, with the lecture's last claim made to fail: claim 9 ("different starts
/// end in different places: some XOR starts stall") is measured on xor_mlp.toml, given here
/// through `--configs` as AND (which one neuron separates) for 150 steps, so every start solves
/// it: the claim does not hold, and the lecture must say so and exit 4.
#[test]
fn lecture_in_korean_writes_the_korean_report_only_and_exits_4_when_a_claim_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("lecture");
    let own = dir.path().join("configs");
    std::fs::create_dir_all(&own).unwrap();
    let text = std::fs::read_to_string(root().join("configs/xor_mlp.toml")).unwrap();
    assert!(
        text.contains("gate = \"xor\"") && text.contains("steps = 3000"),
        "configs/xor_mlp.toml is not the shipped XOR config:\n{text}"
    );
    std::fs::write(own.join("xor_mlp.toml"), text.replace("gate = \"xor\"", "gate = \"and\"").replace("steps = 3000", "steps = 150"))
        .unwrap();
    let child = Command::new(GDLAB)
        .args(["lecture", "--out", out.to_str().unwrap(), "--lang", "ko", "--configs", own.to_str().unwrap(), "--json"])
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let o = finish_within(child, Duration::from_secs(600), "gdlab lecture --lang ko");
    assert_eq!(o.status.code(), Some(4), "a claim that does not hold is exit 4\n{}\n{}", stdout(&o), stderr(&o));
    // The report's copy is the one given, so its folder says what it ran.
    assert!(std::fs::read_to_string(out.join("configs/xor_mlp.toml")).unwrap().contains("gate = \"and\""));
    let claims = claims(&out);
    // --json prints the same claims (both languages) and the report's path, and nothing else.
    let printed: Value = serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{e}: {}", stdout(&o)));
    assert_eq!(printed["claims"].as_array().unwrap(), &claims, "the printed claims are lecture.json's");
    assert_eq!(printed["report"].as_str().map(Path::new), Some(out.join("REPORT.ko.md").as_path()));
    assert!(printed["seconds"].as_f64().is_some_and(|s| s > 0.0), "{printed}");
    let failed: Vec<&str> = claims.iter().filter(|c| c["holds"] != true).map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(failed, ["local_minima"], "only the edited claim fails");
    for f in ["REPORT.ko.md", "index.html", "lecture.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(!out.join("REPORT.md").exists(), "--lang ko wrote the English report");
    let md = std::fs::read_to_string(out.join("REPORT.ko.md")).unwrap();
    let lines = headings_and_verdicts(&md, "**판정:**");
    assert_eq!(lines.len(), 2 * claims.len(), "a heading and a verdict per claim:\n{md}");
    for l in &lines {
        assert!(hangul(l) > 0, "no Korean in a Korean heading or verdict: {l}");
    }
    assert!(hangul_share(&md) > 0.5, "REPORT.ko.md is only {:.0}% Hangul", 100.0 * hangul_share(&md));
    for c in &claims {
        assert!(md.contains(c["verdict"]["ko"].as_str().unwrap()), "{}: Korean verdict missing", c["id"]);
        assert!(!md.contains(c["verdict"]["en"].as_str().unwrap()), "{}: English verdict in REPORT.ko.md", c["id"]);
    }
    let verdict9 = lines.last().unwrap();
    assert!(verdict9.starts_with("**판정:** 이번 실행에서는 강의의 말이 성립하지 않습니다. "), "claim 9's verdict: {verdict9}");
    assert_eq!(lines.iter().filter(|l| l.contains("성립하지 않습니다.")).count(), 1, "one claim fails");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<html lang=\"ko\">") && html.contains("<section lang=\"ko\""), "index.html is not Korean");
    assert!(!html.contains("<section lang=\"en\"") && !html.contains("<nav"), "English in a Korean-only index.html");
    assert_eq!(html.matches("class=\"v x\"").count(), 1, "the failed verdict is marked, once");
    // (The terminal's plain text is checked in English above; here it was --json.)
    assert_eq!(printed["claims"].as_array().unwrap().iter().filter(|c| c["holds"] == false).count(), 1, "{printed}");
}

/// Peak resident memory (MiB) of `gdlab train CONFIG --set ...`: what the run records of its
/// own process (summary.json `peak_rss_mib`, the kernel's VmHWM), which a parent's `wait4`
/// cannot give: that one also counts the test process's memory, shared with the child until
/// its exec.
fn peak_mib(config: &Path, sets: &[&str]) -> f64 {
    let out = config.with_file_name(format!("run-{}", sets.join("-").replace(['/', '"'], "")));
    let s = train_ok(config.to_str().unwrap(), &out, sets);
    s["peak_rss_mib"].as_f64().unwrap_or_else(|| panic!("no peak_rss_mib in {s}"))
}

/// The estimate gdlab names when it refuses `config` under a budget of `limit` MiB, in MiB.
fn estimate_mib(config: &Path, sets: &[&str], limit: u64) -> f64 {
    let budget = format!("backend.memory_limit_mib={limit}");
    let mut all = sets.to_vec();
    all.push(&budget);
    let o = train(config.to_str().unwrap(), &config.with_file_name("refused"), &all);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "refused under {limit} MiB: {err}");
    let named = err.split("would need about ").nth(1).unwrap_or_else(|| panic!("no estimate in: {err}"));
    let (value, unit) = named.split_once(' ').unwrap();
    assert!(unit.starts_with("MiB of memory"), "estimate in MiB: {err}");
    assert!(!config.with_file_name("refused").exists(), "a refused run wrote its folder");
    value.parse().unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// The estimate must cover what a run's data add to its peak memory (or the budget check lets
/// through runs that do not fit), and stay within MEMORY_FACTOR of it (or it refuses runs that
/// fit). It counts every copy a run may hold (the host rows twice in f64, the device upload
/// twice, each layer's activations forward, backward and for the full-set evaluation), not all
/// of which are alive at once: measured 2.0x (the CSV) and 2.9x (the mlp) here. 4 leaves room for
/// allocator noise and still catches a dropped term or a unit slip (bytes vs values, 4x or 8x).
const MEMORY_FACTOR: f64 = 4.0;

#[test]
fn the_memory_estimate_covers_the_measured_peak_within_a_factor() {
    let dir = tempfile::tempdir().unwrap();
    // 100,000 rows of 8 features and a target, standardised, 20% held out.
    let csv_rows = |n: usize| {
        let mut text = String::from("x1,x2,x3,x4,x5,x6,x7,x8,y\n");
        for i in 0..n {
            let x: Vec<f64> = (0..8).map(|j| ((i * 8 + j) as f64 * 0.618).sin() * 2.0).collect();
            let y = x.iter().enumerate().map(|(j, v)| v * (j as f64 - 3.5)).sum::<f64>() + 0.5;
            text += &format!("{},{y:.6}\n", x.iter().map(|v| format!("{v:.6}")).collect::<Vec<_>>().join(","));
        }
        text
    };
    let csv_dir = dir.path().join("csv");
    std::fs::create_dir(&csv_dir).unwrap();
    std::fs::write(csv_dir.join("big.csv"), csv_rows(100_000)).unwrap();
    std::fs::write(csv_dir.join("small.csv"), csv_rows(1_000)).unwrap();
    let csv = csv_dir.join("c.toml");
    std::fs::write(
        &csv,
        "[data]\nsource = \"csv\"\npath = \"big.csv\"\ntarget = \"y\"\nstandardise = true\nvalidation = 0.2\n[optimizer]\nlr = 0.1\nsteps = 20\n",
    )
    .unwrap();
    // A 16-64-1 tanh net on 100,000 generated rows, mini-batches of 256, one epoch.
    let mlp_dir = dir.path().join("mlp");
    std::fs::create_dir(&mlp_dir).unwrap();
    let mlp = mlp_dir.join("m.toml");
    std::fs::write(
        &mlp,
        "[data]\nsource = \"logistic\"\nn = 100000\ndims = 16\n[model]\nkind = \"mlp\"\nlayers = [16, 64, 1]\nactivation = \"tanh\"\noutput_activation = \"sigmoid\"\n[loss]\nkind = \"bce\"\n[optimizer]\nlr = 0.1\nbatch_size = 256\nepochs = 1\n",
    )
    .unwrap();
    // (config, overrides of the tiny baseline, a budget between the file size and the estimate)
    for (config, tiny, limit) in [(&csv, "data.path=\"small.csv\"", 10), (&mlp, "data.n=1000", 1)] {
        let estimate = estimate_mib(config, &[], limit);
        let peak = peak_mib(config, &[]);
        // The process without the data (binary, libraries, threads): the same run on 1,000 rows.
        let baseline = peak_mib(config, &[tiny]);
        let growth = peak - baseline;
        let what = format!(
            "{}: estimate {estimate} MiB; peak RSS {peak:.1} MiB, {baseline:.1} MiB on 1,000 rows: the data add {growth:.1} MiB",
            config.display()
        );
        assert!(growth > 10.0, "{what}: too small to measure");
        assert!(estimate >= growth, "{what}: the estimate is below what the run holds");
        assert!(estimate <= MEMORY_FACTOR * growth, "{what}: over {MEMORY_FACTOR}x what the run holds");
    }
}

#[test]
fn gradcheck_at_a_run_that_diverged_to_inf_says_so_and_checks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("inf");
    let o = train(LINEAR, &run, &["optimizer.lr=1e30"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(summary(&run)["final_loss"], "inf");
    let run_s = run.to_str().unwrap();
    // The loss is inf there: no derivative exists, so the three gradients cannot disagree.
    // Exit 4 ("a check failed") would blame the gradient code; the folder is read and the
    // divergence named, as eval and compare do.
    let g = gdlab(&["gradcheck", LINEAR, "--at", run_s]);
    assert_eq!(g.status.code(), Some(0), "{}\n{}", stdout(&g), stderr(&g));
    let text = stdout(&g);
    assert!(text.contains("loss inf"), "{text}");
    assert!(text.contains("verdict: not checked") && text.contains("the run diverged"), "{text}");
    assert!(!stderr(&g).contains("FAILED"), "{}", stderr(&g));
    let g = gdlab(&["gradcheck", LINEAR, "--at", run_s, "--json"]);
    assert_eq!(g.status.code(), Some(0), "{}", stderr(&g));
    let rows: Vec<Value> = serde_json::from_str(&stdout(&g)).unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["verdict"] == "undefined"), "{rows:?}");
    let written: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(run.join("gradcheck.json")).unwrap()).unwrap();
    assert!(written.iter().all(|r| r["verdict"] == "undefined"), "gradcheck.json: {written:?}");
    // A run stopped at the ceiling (diverged, its loss still finite) is checked as usual: a
    // broken formula there still fails.
    let ceiling = dir.path().join("ceiling");
    let o = train(LINEAR, &ceiling, &["optimizer.lr=1e10"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(summary(&ceiling)["final_loss"].as_f64().is_some_and(f64::is_finite), "{}", summary(&ceiling));
    let g = gdlab(&["gradcheck", LINEAR, "--at", ceiling.to_str().unwrap(), "--perturb-analytic", "b"]);
    assert_eq!(g.status.code(), Some(4), "{}\n{}", stdout(&g), stderr(&g));
    assert!(stderr(&g).contains("gradcheck FAILED for b"), "{}", stderr(&g));
}

#[test]
fn sweep_json_is_the_plan_one_entry_per_combination_with_its_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = gdlab_within(
        &[
            "sweep",
            "configs/quadratic.toml",
            "--set",
            "optimizer.lr=0.1,0.5",
            "--set",
            "model.start.bias=-2.0,8,1e1",
            "--set",
            "optimizer.steps=20",
            "--until-loss",
            "1e-3",
            "--jobs",
            "2",
            "--out",
            out.to_str().unwrap(),
            "--json",
        ],
        Duration::from_secs(300),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let result: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let plan: Value = serde_json::from_str(&std::fs::read_to_string(out.join("sweep.json")).unwrap()).unwrap();
    let config = std::fs::canonicalize(root().join("configs/quadratic.toml")).unwrap();
    assert_eq!(plan["config"], config.to_str().unwrap());
    assert_eq!(
        plan["axes"],
        json!([["optimizer.lr", ["0.1", "0.5"]], ["model.start.bias", ["-2.0", "8", "1e1"]], ["optimizer.steps", ["20"]]])
    );
    assert_eq!(plan["until_loss"], 1e-3);
    // The cartesian product, first axis outermost, each with its overrides and its own folder.
    let combos: Vec<(&str, &str, f64)> =
        ["0.1", "0.5"].iter().flat_map(|lr| [("-2.0", -2.0), ("8", 8.0), ("1e1", 10.0)].map(|(b, v)| (*lr, b, v))).collect();
    let runs = plan["runs"].as_array().unwrap();
    assert_eq!(runs.len(), combos.len(), "{plan}");
    let mut folders = BTreeSet::new();
    for (k, ((lr, b, start), entry)) in combos.iter().zip(runs).enumerate() {
        let sets = vec![format!("optimizer.lr={lr}"), format!("model.start.bias={b}"), "optimizer.steps=20".to_string()];
        assert_eq!(entry["sets"], json!(sets), "run {k}: {entry}");
        assert_eq!(entry["config"], config.to_str().unwrap());
        let rel = entry["out"].as_str().unwrap();
        assert!(rel.starts_with("runs/") && folders.insert(rel.to_string()), "run {k}'s folder: {rel}");
        // The folder holds that combination's run.
        let run = out.join(rel);
        let lrs = column(&run, "lr");
        assert_eq!(lrs.len(), 21, "{rel}: 20 steps");
        assert!(lrs.iter().all(|v| *v == lr.parse::<f64>().unwrap()), "{rel}: lr {lrs:?}");
        assert_eq!(column(&run, "b")[0], *start, "{rel}: starting bias");
        assert_eq!(summary(&run)["steps"], 20);
        // And the result lists it under the same folder and label, in the plan's order.
        assert_eq!(result["runs"][k]["dir"], run.to_str().unwrap(), "{result}");
        assert_eq!(result["runs"][k]["label"], sets.join(" "), "{result}");
    }
    let on_disk: BTreeSet<String> =
        std::fs::read_dir(out.join("runs")).unwrap().map(|e| format!("runs/{}", e.unwrap().file_name().to_str().unwrap())).collect();
    assert_eq!(on_disk, folders, "run folders on disk against the plan");
}
