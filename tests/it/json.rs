//! `--json` on the commands a script reads: the output parses and says what the files say.

use crate::common::*;
use serde_json::Value;

fn json(args: &[&str]) -> Value {
    let o = gdlab(args);
    assert!(o.status.success(), "gdlab {args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("gdlab {args:?} printed no JSON ({e}): {}", stdout(&o)))
}

#[test]
fn train_eval_and_list_print_json_that_matches_the_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let t = json(&["train", "configs/quadratic.toml", "--quiet", "--json", "--out", out.to_str().unwrap()]);
    assert_eq!(t["dir"], out.to_str().unwrap());
    assert_eq!(t["summary"], summary(&out));
    assert_eq!(t["summary"]["stop_reason"], "completed");

    let e = json(&["eval", out.to_str().unwrap(), "--json"]);
    assert_eq!(e["state"], format!("completed after {} steps", t["summary"]["steps"]));
    assert_eq!(e["scores"][0]["part"], "train");
    assert_eq!(e["scores"][0]["loss"], t["summary"]["final_loss"]);

    let l = json(&["list", "--json"]);
    let paths: Vec<&str> = l["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["configs"].as_array().unwrap().iter().map(|c| c["path"].as_str().unwrap()))
        .collect();
    for p in ["configs/xor_mlp.toml", "configs/digits_mlp.toml", "configs/lecture/parabola.toml"] {
        assert!(paths.contains(&p), "{p} missing from {paths:?}");
    }
}

#[test]
fn compare_json_lists_each_run_with_its_stop_reason() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    train_ok("configs/quadratic.toml", &a, &[]);
    let o = train("configs/quadratic.toml", &b, &["optimizer.lr=1.5"]);
    assert_eq!(o.status.code(), Some(3), "lr 1.5 on (3 - b)^2 diverges: {}", stderr(&o));
    let c = json(&["compare", a.to_str().unwrap(), b.to_str().unwrap(), "--json", "--out", dir.path().join("cmp").to_str().unwrap()]);
    assert_eq!(c["kind"], "compare");
    let runs = c["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["stop_reason"], "completed");
    assert_eq!(runs[1]["stop_reason"], "diverged");
}
