//! The installed binary on its own: copied into an empty folder with HOME there and no
//! repository around it, every shipped experiment runs by name (its data generated or
//! embedded), its run folder reproduces, and a name that is not shipped says what is.

use crate::common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Alone {
    _dir: tempfile::TempDir,
    bin: PathBuf,
    work: PathBuf,
}

impl Alone {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("bin").join("gdlab");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::copy(env!("CARGO_BIN_EXE_gdlab"), &bin).unwrap();
        let work = dir.path().join("work");
        std::fs::create_dir(&work).unwrap();
        Alone { bin, work, _dir: dir }
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.bin).args(args).current_dir(&self.work).env("HOME", &self.work).output().unwrap()
    }
}

fn names(a: &Alone) -> Vec<String> {
    let o = a.run(&["list", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["configs"].as_array().unwrap())
        .map(|c| c["run"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn every_shipped_experiment_runs_by_name_from_an_empty_folder_and_reproduces() {
    let a = Alone::new();
    let list = a.run(&["list"]);
    assert!(stdout(&list).contains("xor_mlp") && stdout(&list).contains("lecture/parabola"), "{}", stdout(&list));
    let names = names(&a);
    assert!(names.len() >= 15, "{names:?}");
    for name in &names {
        let out = format!("runs/{}", name.replace('/', "_"));
        // A step neuron (the logic gates) is the perceptron rule's, not gradient descent's.
        let text = std::fs::read_to_string(root().join("configs").join(format!("{name}.toml"))).unwrap();
        let command = if text.contains("activation = \"step\"") { "perceptron" } else { "train" };
        let o = a.run(&[command, name, "--quiet", "--out", &out]);
        assert!(matches!(o.status.code(), Some(0 | 3)), "gdlab {command} {name}: {}", stderr(&o));
        let again = format!("{out}-again");
        let config = format!("{out}/config.toml");
        let r = a.run(&[command, &config, "--quiet", "--out", &again]);
        assert_eq!(r.status.code(), o.status.code(), "gdlab train {config}: {}", stderr(&r));
        let metrics = |d: &str| std::fs::read(a.work.join(d).join("metrics.csv")).unwrap();
        assert!(metrics(&out) == metrics(&again), "{name}: the stored config does not reproduce its metrics");
    }
    // Only the run folders were written: no data or config files were needed beside them.
    let mut top: Vec<String> = std::fs::read_dir(&a.work).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    top.sort();
    assert_eq!(top, ["runs"]);
}

#[test]
fn an_unknown_name_or_data_set_is_bad_input_with_a_suggestion() {
    let a = Alone::new();
    let o = a.run(&["train", "xor_mpl"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot read config `xor_mpl`: no such file, and no shipped experiment has that name; did you mean xor_mlp"),
        "{}",
        stderr(&o)
    );
    let o = a.run(&["gradcheck", "configs/nothing_here.toml"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot read config `configs/nothing_here.toml`: no such file, and no shipped experiment"),
        "{}",
        stderr(&o)
    );
    let o = a.run(&["train", "breast_cancer", "--set", "data.dataset=\"cancer\""]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no shipped data set named `cancer`") && stderr(&o).contains("breast_cancer, diabetes"), "{}", stderr(&o));
    // A file path always wins over a shipped name.
    std::fs::write(a.work.join("xor_mlp"), "[optimizer]\nsteps = 3\n").unwrap();
    let o = a.run(&["train", "xor_mlp", "--quiet", "--out", "mine"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(summary(&a.work.join("mine"))["experiment"], "experiment", "the file's (default-named) experiment ran");
    assert!(Path::new(&a.work.join("mine/metrics.csv")).exists());
}

/// `gdlab serve` started in an empty folder runs the shipped configs that read real data.
#[test]
fn serve_from_an_empty_folder_runs_the_shipped_data_sets() {
    use std::io::{BufRead, Read, Write};
    let a = Alone::new();
    let mut child = Command::new(&a.bin)
        .args(["serve", "--port", "0", "--runs", "runs"])
        .current_dir(&a.work)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("gdlab serve: http://").unwrap().trim_end_matches('/').to_string();
    for name in ["breast_cancer", "iris_mlp", "digits_mlp", "diabetes"] {
        let body = std::fs::read_to_string(root().join("configs").join(format!("{name}.toml"))).unwrap();
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(60))).unwrap();
        write!(s, "POST /api/sessions HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}", body.len())
            .unwrap();
        let mut answer = String::new();
        s.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 201"), "{name}: {answer}");
    }
    let _ = child.kill();
    let _ = child.wait();
}

const SUBCOMMANDS: [&str; 18] = [
    "train",
    "eval",
    "gradcheck",
    "taylor",
    "perceptron",
    "surface",
    "sweep",
    "compare",
    "serve",
    "device-server",
    "devices",
    "lecture",
    "bench",
    "list",
    "show",
    "new",
    "completions",
    "man",
];

/// `show` prints a shipped config, `new` writes one to edit (never over a file) that then
/// trains; completions for four shells and the man page name every subcommand; `--version`
/// names burn and the compiled backends.
#[test]
fn show_new_completions_man_and_version() {
    let a = Alone::new();
    let o = a.run(&["show", "xor_mlp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = stdout(&o);
    assert!(shown.starts_with("# xor_mlp (shipped with gdlab") && shown.contains("run it with: gdlab train xor_mlp"), "{shown}");
    assert!(shown.ends_with(&std::fs::read_to_string(root().join("configs/xor_mlp.toml")).unwrap()));
    assert_eq!(a.run(&["show", "xor"]).status.code(), Some(2));

    let o = a.run(&["new", "mine.toml", "--from", "lecture/parabola"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("run it with: gdlab train mine.toml"), "{}", stdout(&o));
    let text = std::fs::read_to_string(a.work.join("mine.toml")).unwrap();
    assert!(text.contains("run it with: gdlab train mine.toml"), "{text}");
    let again = a.run(&["new", "mine.toml"]);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert_eq!(std::fs::read_to_string(a.work.join("mine.toml")).unwrap(), text, "new overwrote a file");
    let edited: String =
        text.lines().map(|l| if l.starts_with("steps = ") { "steps = 7\n".to_string() } else { format!("{l}\n") }).collect();
    assert_ne!(edited, text);
    std::fs::write(a.work.join("mine.toml"), edited).unwrap();
    let o = a.run(&["train", "mine.toml", "--quiet", "--out", "run"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(summary(&a.work.join("run"))["steps"], 7);

    for shell in ["bash", "zsh", "fish", "powershell"] {
        let o = a.run(&["completions", shell]);
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        for sub in SUBCOMMANDS {
            assert!(script.contains(sub), "{shell} completions lack `{sub}`");
        }
    }
    let o = a.run(&["man"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.starts_with(".ie") || page.contains(".TH gdlab"), "{}", &page[..page.len().min(200)]);
    for sub in SUBCOMMANDS {
        assert!(page.contains(&sub.replace('-', "\\-")) || page.contains(sub), "the man page lacks `{sub}`");
    }
    let v = stdout(&a.run(&["--version"]));
    assert!(v.starts_with("gdlab 0.") && v.contains("(burn 0.22") && v.contains("backends: flex, ndarray"), "{v}");
}
