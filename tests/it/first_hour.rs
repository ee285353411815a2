//! What a new user meets in the first hour (issue 28), through the real binary: help with
//! examples, hints for habits from other tools, an experiment folder read as its newest run,
//! a running run told apart from a killed one by its lock, colour only where asked, the
//! classifier columns of a sweep's table, and READMEs whose links stay inside the repository.

use crate::common::{gdlab, root, stderr, stdout};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The subcommands `gdlab --help` lists.
fn subcommands() -> Vec<String> {
    let help = stdout(&gdlab(&["--help"]));
    let list = help.split("Commands:").nth(1).expect("a Commands section").split("\n\n").next().unwrap().to_string();
    list.lines().filter_map(|l| l.split_whitespace().next()).filter(|c| *c != "help").map(str::to_string).collect()
}

#[test]
fn every_subcommand_has_examples_and_every_argument_a_description() {
    let commands = subcommands();
    assert!(commands.len() >= 18, "{commands:?}");
    for c in &commands {
        let o = gdlab(&[c, "--help"]);
        assert!(o.status.success(), "{c} --help: {}", stderr(&o));
        let help = stdout(&o);
        let examples = help.split("Examples:").nth(1).unwrap_or_else(|| panic!("{c} --help has no examples:\n{help}"));
        assert!(examples.lines().filter(|l| l.trim_start().starts_with("gdlab ") || l.contains(" gdlab ")).count() >= 2, "{c}: {examples}");
        // An argument's description follows its spec on the same line after two spaces, or (in
        // clap's long form) on the next line, indented deeper.
        let lines: Vec<&str> = help.lines().collect();
        for (k, l) in lines.iter().enumerate() {
            let spec = l.trim_start();
            let is_arg =
                l.starts_with("  ") && !l.starts_with("   ") && (spec.starts_with('<') || spec.starts_with('-') || spec.starts_with('['));
            if is_arg && !spec.starts_with("-h, --help") && !spec.starts_with("-V, --version") {
                let same_line = spec.split_once("  ").is_some_and(|(_, d)| !d.trim().is_empty());
                let next_line = lines.get(k + 1).is_some_and(|n| n.starts_with("          ") && !n.trim().is_empty());
                let described = same_line || next_line;
                assert!(described, "{c} --help: `{spec}` has no description:\n{help}");
            }
        }
    }
    // Value lists are shown, and sweep's CONFIG is not shown as optional.
    assert!(stdout(&gdlab(&["gradcheck", "--help"])).contains("f32"), "gradcheck --dtype lists its values");
    let sweep = stdout(&gdlab(&["sweep", "--help"]));
    assert!(sweep.contains("Usage: gdlab sweep <CONFIG>"), "{sweep}");
}

#[test]
fn a_bare_override_suggests_set() {
    let o = gdlab(&["train", "linear_regression", "optimizer.lr=0.1"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("hint: to change a config key, write it after -s (or --set): -s optimizer.lr=0.1"), "{}", stderr(&o));
    // The same token as the value of -s is not bare.
    let o = gdlab(&["train", "nosuch", "-s", "optimizer.lr=0.1"]);
    assert!(!stderr(&o).contains("write it after -s"), "{}", stderr(&o));
    // Where the config belongs, it is not a config name either.
    let o = gdlab(&["train", "optimizer.lr=0.5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("gdlab train CONFIG -s optimizer.lr=0.5"), "{}", stderr(&o));
}

#[test]
fn show_names_the_command_that_runs_a_config() {
    let gates = stdout(&gdlab(&["show", "lecture/gates"]));
    assert!(gates.contains("run it with: gdlab perceptron lecture/gates"), "{gates}");
    let xor = stdout(&gdlab(&["show", "xor_mlp"]));
    assert!(xor.contains("run it with: gdlab train xor_mlp"), "{xor}");
}

#[test]
fn an_experiment_folder_means_its_newest_run_and_latest_points_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = format!("output.dir={:?}", dir.path().to_str().unwrap());
    let mut runs = Vec::new();
    for steps in ["20", "30"] {
        let o = gdlab(&["train", "linear_regression", "-q", "--json", "-s", &out, "-s", &format!("optimizer.steps={steps}")]);
        assert!(o.status.success(), "{}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        runs.push(j["dir"].as_str().unwrap().to_string());
    }
    let experiment = dir.path().join("linear_regression");
    let latest = experiment.join("latest");
    let link = std::fs::read_link(&latest).expect("latest is a link");
    assert_eq!(experiment.join(link), Path::new(&runs[1]), "latest names the newest run");
    let o = gdlab(&["eval", experiment.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("reading its newest") && stderr(&o).contains(&runs[1]), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["state"], "completed after 30 steps", "{j}");
    // The link reads as the run it names.
    let o = gdlab(&["eval", latest.to_str().unwrap(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stderr(&o).contains("reading its newest"), "a run folder is read as itself");
}

#[test]
fn a_running_run_is_reported_running_and_a_killed_one_killed() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["train", "linear_regression", "-q", "-o", run.to_str().unwrap()])
        .args(["-s", "optimizer.steps=50000000", "-s", "output.checkpoint_every=200", "-s", "optimizer.tol=0"])
        .current_dir(root())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // The first checkpoint (step 0) can land before the first metrics row is written: wait for
    // both, or `eval` rightly says "no step logged yet" (seen once under load).
    let logged = || std::fs::read_to_string(run.join("metrics.csv")).is_ok_and(|t| t.lines().count() >= 2);
    while !run.join("checkpoint.bin").exists() || !logged() {
        assert!(started.elapsed() < Duration::from_secs(60), "no checkpoint and logged step within 60 s");
        assert!(child.try_wait().unwrap().is_none(), "the run ended early");
        std::thread::sleep(Duration::from_millis(50));
    }
    let eval = |what: &str| {
        let o = gdlab(&["eval", run.to_str().unwrap(), "--json"]);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        j["state"].as_str().unwrap().to_string()
    };
    let compare = |what: &str| {
        let o = gdlab(&["compare", run.to_str().unwrap(), "--json", "-o", dir.path().join(what).to_str().unwrap()]);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        j["runs"][0]["stop_reason"].as_str().unwrap().to_string()
    };
    let running = eval("running");
    let table = compare("compare-running");
    // SAFETY: kill(2) on our own child.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
    child.wait().unwrap();
    assert!(running.starts_with("running, step ") && running.contains("last checkpoint at step"), "{running}");
    assert_eq!(table, "running");
    let killed = eval("killed");
    assert!(killed.starts_with("interrupted (killed), last checkpoint at step"), "{killed}");
    assert_eq!(compare("compare-killed"), "killed");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], no_color: bool| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_gdlab"));
        c.args(args).current_dir(root());
        if no_color {
            c.env("NO_COLOR", "1");
        } else {
            c.env_remove("NO_COLOR");
        }
        c.output().unwrap()
    };
    let diverge = |k: &str| {
        let out = dir.path().join(k);
        vec!["train".to_string(), "linear_regression".into(), "-s".into(), "optimizer.lr=1".into(), "-o".into(), out.display().to_string()]
    };
    let args = diverge("a");
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>(), false);
    assert_eq!(o.status.code(), Some(3));
    assert!(!stdout(&o).contains('\x1b'), "a pipe gets no escape codes: {}", stdout(&o));
    let mut args = diverge("b");
    args.push("--color=always".into());
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>(), true);
    assert!(stdout(&o).contains("\x1b[1;31mDIVERGED\x1b[0m"), "--color always wins over NO_COLOR: {}", stdout(&o));
    let mut args = diverge("c");
    args.push("--color=never".into());
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>(), false);
    assert!(!stdout(&o).contains('\x1b'));
}

#[test]
fn a_classifier_sweep_tabulates_accuracy_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = gdlab(&[
        "sweep",
        "logistic_regression",
        "-s",
        "optimizer.lr=0.1,1",
        "-s",
        "optimizer.steps=100",
        "--until-loss",
        "0.4",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = stdout(&o);
    let head = table.lines().next().unwrap();
    for column in [
        "final loss",
        "validation loss",
        "accuracy",
        "validation accuracy",
        "steps to loss <= 0.4",
        "steps / those of the first run to reach it",
    ] {
        assert!(head.contains(column), "no `{column}` column: {head}");
    }
    let row = table.lines().nth(2).unwrap();
    assert!(row.matches('%').count() == 2, "both accuracies as percentages: {row}");
    // The file keeps the same table, without colour; sweep.csv the same columns, last.
    let md = std::fs::read_to_string(out.join("sweep.md")).unwrap();
    assert!(md.starts_with(head) && !md.contains('\x1b'), "{md}");
    let csv = std::fs::read_to_string(out.join("sweep.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",run,final_val_loss,final_accuracy,final_val_accuracy"), "{csv}");
    let cells: Vec<&str> = csv.lines().nth(1).unwrap().split(',').collect();
    let accuracy: f64 = cells[cells.len() - 2].parse().unwrap();
    assert!((0.0..=1.0).contains(&accuracy), "{csv}");
    // compare labels a sweep's run folders by their whole names (lr=0.1 keeps its dot).
    let mut runs: Vec<String> = std::fs::read_dir(out.join("runs")).unwrap().map(|e| e.unwrap().path().display().to_string()).collect();
    runs.sort();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let o = gdlab(&["compare", &runs[0], &runs[1], "-q", "--json", "-o", dir.path().join("cmp").to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let label = j["runs"][0]["label"].as_str().unwrap();
    let name = Path::new(&runs[0]).file_name().unwrap().to_str().unwrap();
    assert!(name.contains('.') && label.ends_with(&format!("({name})")), "the label keeps the whole folder name {name}: {label}");
}

#[test]
fn a_missing_csv_names_the_key_and_the_path_tried() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mine.toml");
    std::fs::write(&config, "[data]\nsource = \"csv\"\npath = \"missing.csv\"\ntarget = \"y\"\n").unwrap();
    let o = gdlab(&["train", config.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("key `data.path`") && err.contains(&dir.path().join("missing.csv").display().to_string()), "{err}");
    assert!(err.contains("data.dataset"), "{err}");
    let o = gdlab(&["train", "linear_regression", "-s", "model.bias=no"]);
    assert!(stderr(&o).contains("`true` or `false`"), "{}", stderr(&o));
}

/// Every Markdown link in the READMEs, CONTRIBUTING.md and docs/ is a path inside the
/// repository that exists (with its #anchor, when it names one); none leaves it.
#[test]
fn readme_and_docs_links_resolve_inside_the_repository() {
    let mut files = vec![root().join("README.md"), root().join("README.ko.md"), root().join("CONTRIBUTING.md")];
    for e in std::fs::read_dir(root().join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(!text.contains("](http"), "{}: a link leaves the repository", file.display());
        let mut rest = text.as_str();
        while let Some(at) = rest.find("](") {
            rest = &rest[at + 2..];
            let end = rest.find(')').expect("a closed link");
            let target = &rest[..end];
            rest = &rest[end..];
            let (path, anchor) = target.split_once('#').unwrap_or((target, ""));
            let resolved = if path.is_empty() { file.clone() } else { file.parent().unwrap().join(path) };
            assert!(resolved.exists(), "{}: link to `{target}` does not resolve", file.display());
            let inside = std::fs::canonicalize(&resolved).unwrap();
            assert!(inside.starts_with(std::fs::canonicalize(root()).unwrap()), "{}: `{target}` is outside the repository", file.display());
            if !anchor.is_empty() && resolved.extension().is_some_and(|x| x == "md") {
                let heads = std::fs::read_to_string(&resolved).unwrap();
                let found = heads.lines().filter(|l| l.starts_with('#')).any(|h| slug(h.trim_start_matches('#').trim()) == anchor);
                assert!(found, "{}: `{target}`: no heading with that anchor", file.display());
            }
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} links found");
}

/// GitHub's heading anchor: lowercase, spaces to dashes, punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}
