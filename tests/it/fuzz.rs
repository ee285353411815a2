//! Random config mutations and random CSVs through the real binary: every outcome is a run
//! (exit 0), bad input (exit 2, one message, nothing written) or a divergence (exit 3), never a
//! panic, an abort or a half-made folder.

use crate::common::*;
use proptest::prelude::*;

/// Keys and values to try, valid and not: wrong types, zero, negative, huge, non-finite,
/// unknown names, other sources' keys.
const MUTATIONS: &[(&str, &[&str])] = &[
    ("optimizer.lr", &["0.05", "0", "-1", "1e30", "nan", "inf", "\"fast\"", "1e999", "[1]"]),
    ("optimizer.batch_size", &["1", "3", "0", "-2", "1000000"]),
    ("optimizer.epochs", &["1", "0", "2"]),
    ("optimizer.momentum", &["0.9", "1", "-0.1", "nan"]),
    ("optimizer.tol", &["0", "1e-3", "-1"]),
    ("optimizer.patience", &["0", "2"]),
    ("optimizer.diverge_above", &["1", "0", "nan", "1e300"]),
    ("optimizer.weight_decay", &["0.1", "-1"]),
    ("model.kind", &["\"mlp\"", "\"neuron\"", "\"tree\""]),
    ("model.layers", &["[2, 3, 1]", "[1, 1]", "[]", "[0, 1]", "[2, 100000000, 1]"]),
    ("model.activation", &["\"sigmoid\"", "\"relu\"", "\"step\"", "\"softmax\"", "\"tanh\"", "3"]),
    ("model.output_activation", &["\"softmax\"", "\"sigmoid\"", "\"relu\""]),
    ("model.bias", &["false", "true", "\"yes\""]),
    ("model.init", &["\"normal\"", "\"xavier\"", "\"default\"", "\"ones\""]),
    ("model.scale", &["0", "-1", "1e300", "nan"]),
    ("model.start.weights", &["[1.0]", "[]", "[1.0, 2.0, 3.0]", "[\"a\"]"]),
    ("model.start.bias", &["0.5", "nan"]),
    ("loss.kind", &["\"bce\"", "\"mae\"", "\"cross_entropy\"", "\"hinge\""]),
    ("data.validation", &["0.5", "1", "-0.1", "0.99"]),
    ("data.standardise", &["true", "1"]),
    ("data.n", &["0", "1", "3", "4294967296", "-5"]),
    ("data.dims", &["0", "2", "100000000"]),
    ("data.noise", &["0", "-1", "inf"]),
    ("data.gate", &["\"xor\"", "\"maybe\""]),
    ("data.value", &["3.0"]),
    ("data.outliers", &["2", "100000"]),
    ("backend.name", &["\"ndarray\"", "\"tpu\""]),
    ("backend.dtype", &["\"f64\"", "\"f16\""]),
    ("backend.shards", &["0", "3"]),
    ("backend.memory_limit_mib", &["0", "1"]),
    ("output.log_every", &["0", "5"]),
    ("output.checkpoint_every", &["0", "1"]),
    ("experiment.name", &["\"../x\"", "\"\"", "\"ok\""]),
    ("experiment.seed", &["-1", "7"]),
    ("nonsense.key", &["1"]),
];

const CONFIGS: &[&str] =
    &["configs/linear_regression.toml", "configs/logistic_regression.toml", "configs/xor_mlp.toml", "configs/quadratic.toml"];

/// A CSV cell: mostly numbers, sometimes what real files hold by mistake.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => (-5.0f64..5.0).prop_map(|v| format!("{v:.3}")),
        2 => (0u8..2).prop_map(|v| v.to_string()),
        1 => prop::sample::select(vec!["", "nan", "1e400", "abc", "-inf", "1e39", "\"2\""]).prop_map(String::from),
    ]
}

fn csv_text() -> impl Strategy<Value = String> {
    (prop::collection::vec(prop::sample::select(vec!["a", "b", "y", "y", "c d", ""]), 1..5), 0usize..12).prop_flat_map(|(header, rows)| {
        let width = header.len();
        prop::collection::vec(prop::collection::vec(cell(), width.saturating_sub(1)..=width + 1), rows).prop_map(move |rows| {
            let mut text = header.join(",") + "\n";
            for r in rows {
                text += &(r.join(",") + "\n");
            }
            text
        })
    })
}

proptest! {
    #![proptest_config(crate::seeded::config(48))]

    #[test]
    fn any_mutation_or_csv_exits_0_2_or_3_and_exit_2_writes_nothing(
        base in prop::sample::select(CONFIGS),
        picks in prop::collection::vec((0..MUTATIONS.len(), 0usize..16), 0..4),
        csv in prop::option::weighted(0.35, csv_text()),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let art = dir.path().join("art");
        let mut sets = vec![format!("output.dir=\"{}\"", art.display()), "optimizer.steps=20".to_string()];
        if let Some(text) = &csv {
            std::fs::write(dir.path().join("d.csv"), text).unwrap();
            sets.push("data.source=\"csv\"".into());
            sets.push(format!("data.path=\"{}\"", dir.path().join("d.csv").display()));
            sets.push("data.target=\"y\"".into());
            for k in ["data.n", "data.dims", "data.noise", "data.true_weights", "data.true_bias", "data.gate", "data.value", "model.start.weights"] {
                sets.retain(|s| !s.starts_with(k));
            }
        }
        for (key, value) in &picks {
            let (k, values) = MUTATIONS[*key];
            sets.push(format!("{k}={}", values[value % values.len()]));
        }
        let mut args = vec!["train".to_string(), base.to_string(), "--quiet".into()];
        for s in &sets {
            args.push("--set".into());
            args.push(s.clone());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = gdlab(&args);
        let err = stderr(&o);
        prop_assert!(!err.contains("panicked"), "panic for {sets:?}:\n{err}");
        let code = o.status.code();
        prop_assert!(matches!(code, Some(0 | 2 | 3)), "exit {code:?} for {sets:?}:\n{err}");
        if code == Some(2) {
            prop_assert!(err.starts_with("error: "), "{err}");
            let left = std::fs::read_dir(&art).map(|d| d.count()).unwrap_or(0);
            prop_assert_eq!(left, 0, "exit 2 left a folder for {:?}", sets);
        } else {
            // A run: its folder holds a summary every command can read.
            let run = std::fs::read_dir(art.join(std::fs::read_dir(&art).unwrap().next().unwrap().unwrap().file_name())).unwrap().next().unwrap().unwrap().path();
            let e = gdlab(&["eval", run.to_str().unwrap()]);
            prop_assert_eq!(e.status.code(), Some(0), "eval of {:?} after {:?}: {}", run, sets, stderr(&e));
        }
    }
}
