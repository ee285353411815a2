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
