//! Every bad input: exit code 2, one message naming the problem, no panic, no run folder.

use crate::common::*;
use std::path::Path;

/// Runs `gdlab train CONFIG` with output under a fresh folder and checks the failure contract.
fn rejects(config: &Path, sets: &[&str], expect: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let art = dir.path().join("art");
    let mut args = vec!["train".to_string(), config.to_str().unwrap().to_string()];
    for s in [&[format!("output.dir=\"{}\"", art.display())][..], &sets.iter().map(|s| s.to_string()).collect::<Vec<_>>()].concat() {
        args.push("--set".into());
        args.push(s);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = gdlab(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "expected exit 2 for {expect:?}, got {:?}: {err}", o.status.code());
    assert!(!err.contains("panicked"), "panic: {err}");
    for e in expect {
        assert!(err.contains(e), "stderr lacks {e:?}:\n{err}");
    }
    assert_eq!(err.lines().filter(|l| l.starts_with("error:")).count(), 1, "{err}");
    assert!(!art.exists(), "a run folder was left behind for {expect:?}");
}

/// Writes a config (and optionally a CSV beside it) into a temp dir.
fn setup(config: &str, csv: Option<&str>) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("exp.toml");
    std::fs::write(&path, config).unwrap();
    if let Some(c) = csv {
        std::fs::write(dir.path().join("d.csv"), c).unwrap();
    }
    (dir, path)
}

const CSV_CFG: &str = "[data]\nsource = \"csv\"\npath = \"d.csv\"\ntarget = \"y\"\n";

#[test]
fn unknown_key_names_it_and_the_nearest_valid_one() {
    let (_d, p) = setup("[optimizer]\nlr = 0.1\nlearning_rate = 0.2\n", None);
    rejects(&p, &[], &["exp.toml:3", "learning_rate", "did you mean `lr`"]);
    let (_d, p) = setup("[modle]\nbias = true\n", None);
    rejects(&p, &[], &["modle", "did you mean `model`"]);
}

#[test]
fn wrong_type_names_the_line() {
    let (_d, p) = setup("[experiment]\nname = \"x\"\nseed = \"many\"\n", None);
    rejects(&p, &[], &["exp.toml:3", "seed"]);
}

#[test]
fn non_positive_learning_rate() {
    let (_d, p) = setup("[optimizer]\nlr = 0.0\n", None);
    rejects(&p, &[], &["optimizer.lr", "exp.toml:2", "> 0"]);
    rejects(&root().join("configs/quadratic.toml"), &["optimizer.lr=-1"], &["optimizer.lr", "> 0"]);
}

#[test]
fn zero_shards() {
    rejects(&root().join("configs/quadratic.toml"), &["backend.shards=0"], &["backend.shards", "at least 1"]);
}

#[test]
fn missing_config_and_missing_csv() {
    rejects(Path::new("/nonexistent/exp.toml"), &[], &["cannot read config", "/nonexistent/exp.toml"]);
    let (_d, p) = setup(CSV_CFG, None);
    rejects(&p, &[], &["key `data.path`: cannot read `d.csv`", "data.dataset"]);
}

#[test]
fn non_numeric_and_empty_cells_name_row_and_column() {
    let (_d, p) = setup(CSV_CFG, Some("a,b,y\n1,2,3\n4,five,6\n"));
    rejects(&p, &[], &["d.csv:3", "column `b`", "`five` is not a number"]);
    let (_d, p) = setup(CSV_CFG, Some("a,b,y\n1,2,3\n4,5,\n"));
    rejects(&p, &[], &["d.csv:3", "column `y`", "empty cell"]);
    // Rust's parser reads these words as floats; they are not data.
    for bad in ["nan", "NaN", "inf", "-inf", "1e999"] {
        let (_d, p) = setup(CSV_CFG, Some(&format!("a,b,y\n1,2,3\n4,{bad},6\n")));
        rejects(&p, &[], &["d.csv:3", "column `b`", &format!("`{bad}` is not a finite number")]);
    }
}

#[test]
fn unknown_column() {
    let (_d, p) = setup(&CSV_CFG.replace("target = \"y\"", "target = \"why\""), Some("a,b,y\n1,2,3\n"));
    rejects(&p, &[], &["no column named `why`", "columns: a, b, y"]);
    let (_d, p) = setup(&format!("{CSV_CFG}features = [\"a\", \"c\"]\n"), Some("a,b,y\n1,2,3\n"));
    rejects(&p, &[], &["no column named `c`", "data.features"]);
}

#[test]
fn bce_target_not_binary_names_the_row() {
    let cfg = format!("{CSV_CFG}[model]\nactivation = \"sigmoid\"\n[loss]\nkind = \"bce\"\n");
    let (_d, p) = setup(&cfg, Some("a,y\n1,0\n2,1\n3,2\n"));
    rejects(&p, &[], &["line 4", "target is 2", "0 or 1", "data.positive"]);
}

#[test]
fn step_activation_points_at_the_perceptron() {
    let (_d, p) = setup("[model]\nactivation = \"step\"\n", None);
    rejects(&p, &[], &["step", "no gradient", "gdlab perceptron"]);
}

#[test]
fn bce_without_sigmoid() {
    let (_d, p) = setup("[data]\nsource = \"blobs\"\n[loss]\nkind = \"bce\"\n", None);
    rejects(&p, &[], &["loss.kind", "sigmoid"]);
}

#[test]
fn empty_data() {
    let (_d, p) = setup(CSV_CFG, Some("a,b,y\n"));
    rejects(&p, &[], &["no rows"]);
}

#[test]
fn start_of_the_wrong_length() {
    let (_d, p) = setup("[data]\ndims = 2\n[model.start]\nweights = [1.0, 2.0, 3.0]\n", None);
    rejects(&p, &[], &["model.start.weights", "3 values for 2 input features"]);
}

#[test]
fn bad_override_and_bad_cli_usage() {
    rejects(&root().join("configs/quadratic.toml"), &["optimizer.lr=fast"], &["--set optimizer.lr=fast"]);
    let o = gdlab(&["train", "--bogus"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn eval_of_a_folder_that_is_not_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let o = gdlab(&["eval", dir.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("not a gdlab run folder"), "{}", stderr(&o));
}

#[test]
fn mlp_start_of_the_wrong_shape_names_the_layer() {
    let cfg = "[data]\nsource = \"gates\"\ngate = \"xor\"\n[model]\nkind = \"mlp\"\nlayers = [2, 2, 1]\n[[model.start.layers]]\nweights = [[1.0, 2.0], [3.0, 4.0]]\nbias = [0.0, 0.0]\n[[model.start.layers]]\nweights = [[1.0, 2.0], [3.0]]\nbias = [0.0]\n";
    let (_d, p) = setup(cfg, None);
    rejects(&p, &[], &["model.start.layers", "layer 2", "row 1 has 2 values"]);
}

#[test]
fn mlp_layer_sizes_must_match_the_data() {
    let (_d, p) = setup("[data]\nsource = \"gates\"\n[model]\nkind = \"mlp\"\nlayers = [3, 2, 1]\n", None);
    rejects(&p, &[], &["model.layers", "first size is 3", "2 input features"]);
}

#[test]
fn cross_entropy_target_must_be_a_class_index() {
    let cfg =
        format!("{CSV_CFG}[model]\nkind = \"mlp\"\nlayers = [1, 3]\noutput_activation = \"softmax\"\n[loss]\nkind = \"cross_entropy\"\n");
    let (_d, p) = setup(&cfg, Some("a,y\n1,0\n2,3\n"));
    rejects(&p, &[], &["line 3", "class index"]);
}

#[test]
fn duplicate_csv_columns_name_the_column_and_line() {
    // `a,a,y` would train on both `a`s but map them differently in `eval --data`.
    let (_d, cfg) = setup(CSV_CFG, Some("a,a,y\n1,2,3\n"));
    rejects(&cfg, &[], &["d.csv:1", "column `a` appears more than once", "columns 1 and 2"]);
    // `a,y,y`: the second `y` would silently become a feature.
    let (_d, cfg) = setup(CSV_CFG, Some("a,y,y\n1,2,3\n"));
    rejects(&cfg, &[], &["d.csv:1", "column `y`", "columns 2 and 3"]);
    let (_d, cfg) = setup(&format!("{CSV_CFG}features = [\"a\", \"a\"]\n"), Some("a,b,y\n1,2,3\n"));
    rejects(&cfg, &[], &["data.features", "`a` is listed twice"]);
}

#[test]
fn values_beyond_f32_are_refused_at_load_with_row_and_column() {
    let (_d, cfg) = setup(CSV_CFG, Some("a,y\n1,2\n3,1e39\n"));
    rejects(&cfg, &[], &["line 3", "y is 1e39", "beyond the range of f32", "dtype = \"f64\""]);
    // f64 holds it: the same file trains.
    let dir = tempfile::tempdir().unwrap();
    let o = train(
        cfg.to_str().unwrap(),
        &dir.path().join("r"),
        &["backend.dtype=\"f64\"", "optimizer.steps=2", "optimizer.lr=1e-80", "optimizer.diverge_above=1e300"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn out_on_a_non_empty_folder_or_under_a_file_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("keep.txt"), "mine").unwrap();
    let o = train("configs/quadratic.toml", &full, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&*full.display().to_string()) && stderr(&o).contains("not empty"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&full).unwrap().count(), 1, "nothing may be written into a folder that is not ours");
    let under = full.join("keep.txt").join("run");
    let o = train("configs/quadratic.toml", &under, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains(&*under.display().to_string()), "{}", stderr(&o));
}

#[test]
fn sizes_beyond_the_memory_budget_are_refused_before_allocating() {
    // These panicked ("capacity overflow") or aborted in the allocator.
    for n in ["4611686018427387904", "4294967296"] {
        rejects(
            Path::new("configs/linear_regression.toml"),
            &[&format!("data.n={n}")],
            &["key `data.n`", "GiB of memory", "memory_limit_mib"],
        );
    }
    // A CSV is measured after reading, against a budget set in the config.
    rejects(Path::new("configs/digits_mlp.toml"), &["backend.memory_limit_mib=1"], &["key `data.path`", "above the budget of 1 MiB"]);
    // A start that cannot fit the generated inputs is found before the data is generated.
    // (It grew to 5.5 GB before reporting this mismatch.)
    rejects(Path::new("configs/lecture/sigmoid_surface.toml"), &["data.dims=100000000"], &["key `data.true_weights`", "dims = 100000000"]);
}
