//! Multi-layer nets through the real binary: a worked backpropagation example by hand, XOR,
//! digits, and start -> summary -> start round trips.

use crate::common::*;

/// The parameters of an mlp run: per layer (weights rows, bias).
fn layers(s: &serde_json::Value) -> Vec<(Vec<Vec<f64>>, Vec<f64>)> {
    let nums = |v: &serde_json::Value| v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect::<Vec<f64>>();
    s["parameters"]["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["weights"].as_array().unwrap().iter().map(nums).collect(), nums(&l["bias"])))
        .collect()
}

/// A 2-2-2 sigmoid network, one input (0.05, 0.10), targets (0.01, 0.99), MSE, lr 0.5: the
/// loss before the step and every parameter after one step, computed here by hand.
#[test]
fn worked_example_one_backpropagation_step() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("one.csv"), "i1,i2,t1,t2\n0.05,0.10,0.01,0.99\n").unwrap();
    // Weights in burn's layout: row i holds the weights leaving input i.
    // Hidden: h1 = s(0.15 i1 + 0.20 i2 + 0.35), h2 = s(0.25 i1 + 0.30 i2 + 0.35).
    // Output: o1 = s(0.40 h1 + 0.45 h2 + 0.60), o2 = s(0.50 h1 + 0.55 h2 + 0.60).
    let config = r#"
[experiment]
name = "worked_example"
[data]
source = "csv"
path = "one.csv"
target = ["t1", "t2"]
[model]
kind = "mlp"
layers = [2, 2, 2]
activation = "sigmoid"
output_activation = "sigmoid"
[[model.start.layers]]
weights = [[0.15, 0.25], [0.20, 0.30]]
bias = [0.35, 0.35]
[[model.start.layers]]
weights = [[0.40, 0.50], [0.45, 0.55]]
bias = [0.60, 0.60]
[loss]
kind = "mse"
[optimizer]
lr = 0.5
steps = 1
[backend]
dtype = "f64"
"#;
    let cfg = dir.path().join("worked.toml");
    std::fs::write(&cfg, config).unwrap();
    let out = dir.path().join("run");
    let s = train_ok(cfg.to_str().unwrap(), &out, &[]);

    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    // Forward pass.
    // net_h1 = 0.15 * 0.05 + 0.20 * 0.10 + 0.35 = 0.3775      h1 = s(0.3775) = 0.593269992
    // net_h2 = 0.25 * 0.05 + 0.30 * 0.10 + 0.35 = 0.3925      h2 = s(0.3925) = 0.596884378
    let (h1, h2) = (sig(0.3775), sig(0.3925));
    // net_o1 = 0.40 h1 + 0.45 h2 + 0.60 = 1.105905967         o1 = 0.751365070
    // net_o2 = 0.50 h1 + 0.55 h2 + 0.60 = 1.224921404         o2 = 0.772928465
    let (o1, o2) = (sig(0.40 * h1 + 0.45 * h2 + 0.60), sig(0.50 * h1 + 0.55 * h2 + 0.60));
    // MSE over the two outputs: C = ((o1 - 0.01)^2 + (o2 - 0.99)^2) / 2 = 0.298371109
    let c0 = ((o1 - 0.01f64).powi(2) + (o2 - 0.99f64).powi(2)) / 2.0;
    assert!((c0 - 0.298371109).abs() < 1e-9);
    assert!((column(&out, "loss")[0] - c0).abs() < 1e-12);
    // Output deltas: dC/dz_o = (2 (o - t) / 2) * o (1 - o)
    // d1 = (0.751365070 - 0.01) * 0.751365070 * 0.248634930 = 0.138498562
    // d2 = (0.772928465 - 0.99) * 0.772928465 * 0.227071535 = -0.038098237
    let d1 = (o1 - 0.01) * o1 * (1.0 - o1);
    let d2 = (o2 - 0.99) * o2 * (1.0 - o2);
    // Hidden deltas through the *old* output weights: e = (d . W_row) * h (1 - h)
    // e1 = (0.138498562 * 0.40 + -0.038098237 * 0.50) * h1 (1 - h1) = 0.008771355
    // e2 = (0.138498562 * 0.45 + -0.038098237 * 0.55) * h2 (1 - h2) = 0.009954255
    let e1 = (d1 * 0.40 + d2 * 0.50) * h1 * (1.0 - h1);
    let e2 = (d1 * 0.45 + d2 * 0.55) * h2 * (1.0 - h2);
    // New = old - 0.5 * (input of the weight) * (delta at its end); one row, so no averaging.
    // w5 (h1 -> o1) = 0.40 - 0.5 * 0.138498562 * 0.593269992 = 0.358916480
    // w1 (i1 -> h1) = 0.15 - 0.5 * 0.008771355 * 0.05 = 0.149780716
    let expected_hidden = (
        vec![vec![0.15 - 0.5 * e1 * 0.05, 0.25 - 0.5 * e2 * 0.05], vec![0.20 - 0.5 * e1 * 0.10, 0.30 - 0.5 * e2 * 0.10]],
        vec![0.35 - 0.5 * e1, 0.35 - 0.5 * e2],
    );
    let expected_output = (
        vec![vec![0.40 - 0.5 * d1 * h1, 0.50 - 0.5 * d2 * h1], vec![0.45 - 0.5 * d1 * h2, 0.55 - 0.5 * d2 * h2]],
        vec![0.60 - 0.5 * d1, 0.60 - 0.5 * d2],
    );
    // The widely published values of this example (w5+ = 0.35891648, w1+ = 0.149780716).
    assert!((expected_output.0[0][0] - 0.35891648).abs() < 1e-8);
    assert!((expected_hidden.0[0][0] - 0.149780716).abs() < 1e-9);
    let got = layers(&s);
    assert_eq!(got.len(), 2, "two layers: {got:?}");
    for ((gw, gb), (ew, eb)) in got.iter().zip([expected_hidden, expected_output]) {
        let (g, e): (Vec<f64>, Vec<f64>) =
            (gw.iter().flatten().chain(gb).copied().collect(), ew.iter().flatten().chain(&eb).copied().collect());
        assert_eq!(g.len(), e.len(), "got {got:?}");
        for (g, e) in g.iter().zip(&e) {
            assert!((g - e).abs() < 1e-12, "got {got:?}");
        }
    }
}

#[test]
fn xor_is_solved_from_the_shipped_seed_and_a_single_neuron_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("xor");
    train_ok("configs/xor_mlp.toml", &out, &[]);
    // All four outputs on the right side of 0.5 (accuracy counts sigmoid(z) >= 0.5 as 1).
    let o = gdlab(&["eval", out.to_str().unwrap()]);
    assert!(stdout(&o).contains("accuracy 100.00%"), "{}", stdout(&o));
    // One sigmoid neuron on the same four points: a line cannot separate XOR, so at most
    // three of the four can be right.
    let single = dir.path().join("single");
    let cfg = dir.path().join("neuron_xor.toml");
    std::fs::write(
        &cfg,
        "[data]\nsource = \"gates\"\ngate = \"xor\"\n[model]\nactivation = \"sigmoid\"\n[loss]\nkind = \"bce\"\n[optimizer]\nlr = 1.0\nsteps = 3000\n",
    )
    .unwrap();
    let s = train_ok(cfg.to_str().unwrap(), &single, &[]);
    assert!(s["final_accuracy"].as_f64().unwrap() <= 0.75, "{s}");
}

#[test]
fn digits_reach_95_percent_validation_accuracy() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("digits");
    let s = train_ok("configs/digits_mlp.toml", &out, &[]);
    let acc = s["final_val_accuracy"].as_f64().unwrap();
    assert!(acc >= 0.95, "validation accuracy {acc}");
    assert_eq!(s["validation_rows"], 359);
    // One metrics row per epoch.
    assert_eq!(column(&out, "epoch").len(), 21);
}

#[test]
fn iris_learns_three_species() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("iris");
    let s = train_ok("configs/iris_mlp.toml", &out, &[]);
    assert!(s["final_val_accuracy"].as_f64().unwrap() >= 0.9, "{s}");
}

#[test]
fn start_summary_start_round_trip_gives_identical_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let s = train_ok("configs/xor_mlp.toml", &a, &["optimizer.steps=25"]);
    // Feed the run's parameters back as [[model.start.layers]] and evaluate without a step.
    let mut text = std::fs::read_to_string(root().join("configs/xor_mlp.toml")).unwrap();
    for (w, b) in layers(&s) {
        let rows: Vec<String> =
            w.iter().map(|r| format!("[{}]", r.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", "))).collect();
        let bias: Vec<String> = b.iter().map(|v| format!("{v:?}")).collect();
        text += &format!("\n[[model.start.layers]]\nweights = [{}]\nbias = [{}]\n", rows.join(", "), bias.join(", "));
    }
    let cfg = dir.path().join("restart.toml");
    std::fs::write(&cfg, text).unwrap();
    let b = dir.path().join("b");
    let s2 = train_ok(cfg.to_str().unwrap(), &b, &["optimizer.steps=0"]);
    assert_eq!(s["parameters"], s2["parameters"]);
    assert_eq!(column(&b, "loss")[0], *column(&a, "loss").last().unwrap());
}
