//! `gdlab perceptron` and `gdlab surface` through the real binary.

use crate::common::*;

fn gate_config(dir: &std::path::Path, gate: &str) -> std::path::PathBuf {
    let p = dir.join(format!("{gate}.toml"));
    std::fs::write(
        &p,
        format!("[experiment]\nname = \"{gate}\"\n[data]\nsource = \"gates\"\ngate = \"{gate}\"\n[model]\nactivation = \"step\"\n[optimizer]\nlr = 1.0\nepochs = 50\n"),
    )
    .unwrap();
    p
}

#[test]
fn perceptron_learns_and_or_but_not_xor() {
    let dir = tempfile::tempdir().unwrap();
    for (gate, separable) in [("and", true), ("or", true), ("nand", true), ("xor", false)] {
        let out = dir.path().join(gate);
        let cfg = gate_config(dir.path(), gate);
        let o = gdlab(&["perceptron", cfg.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{}", stderr(&o));
        let s = summary(&out);
        if separable {
            assert_eq!(s["stop_reason"], "converged", "{gate}: {s}");
            assert_eq!(s["final_loss"], 0.0, "{gate}");
        } else {
            // No line separates XOR: the rule never has an error-free epoch.
            assert_eq!(s["stop_reason"], "completed", "{gate}");
            assert!(s["final_loss"].as_f64().unwrap() >= 0.25, "{gate}: {s}");
            assert_eq!(column(&out, "epoch").len(), 51);
        }
        // Same run folder as gradient descent, loadable by eval.
        assert_figure(&out.join("loss.png"));
        let e = gdlab(&["eval", out.to_str().unwrap(), "--json"]);
        assert!(e.status.success(), "{gate}: {}", stderr(&e));
        let scores: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
        let accuracy = scores["scores"][0]["accuracy"].as_f64().unwrap();
        // eval reloads model.bpk: its accuracy is 1 - the error rate the rule ended on.
        assert!((accuracy - (1.0 - s["final_loss"].as_f64().unwrap())).abs() < 1e-12, "{gate}: {scores}");
    }
}

#[test]
fn perceptron_update_is_the_textbook_rule() {
    // AND from w = 0, b = 0, lr = 1, rows (0,0) (0,1) (1,0) (1,1) in order:
    // (0,0): z = 0 -> o = 1, t = 0: w += -1*(0,0), b = -1
    // (0,1): z = -1 -> o = 0, t = 0: no change; (1,0): same
    // (1,1): z = -1 -> o = 0, t = 1: w = (1,1), b = 0
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("and");
    let cfg = gate_config(dir.path(), "and");
    let o = gdlab(&["perceptron", cfg.to_str().unwrap(), "--quiet", "--out", out.to_str().unwrap(), "--set", "optimizer.epochs=1"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (w, b) = params(&summary(&out));
    assert_eq!((w, b), (vec![1.0, 1.0], Some(0.0)));
}

#[test]
fn surface_has_its_minimum_at_the_least_squares_point_and_draws_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    train_ok("configs/quadratic.toml", &run, &[]);
    // A two-parameter model: linear regression with one input, noise-free line w = 2, b = 0.5.
    let cfg = dir.path().join("line.toml");
    std::fs::write(
        &cfg,
        "[data]\nsource = \"linear\"\ndims = 1\nnoise = 0.0\ntrue_weights = [2.0]\ntrue_bias = 0.5\n[optimizer]\nlr = 0.1\nsteps = 100\n",
    )
    .unwrap();
    let line_run = dir.path().join("line_run");
    train_ok(cfg.to_str().unwrap(), &line_run, &[]);
    let out = dir.path().join("surface");
    let o = gdlab(&[
        "surface",
        cfg.to_str().unwrap(),
        "--params",
        "w_x1,b",
        "--range",
        "-1:5,-2.5:3.5",
        "--grid",
        "61",
        "--run",
        line_run.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut r = csv::Reader::from_path(out.join("surface.csv")).unwrap();
    let cells: Vec<(f64, f64, f64)> = r
        .records()
        .map(|x| {
            let x = x.unwrap();
            (x[0].parse().unwrap(), x[1].parse().unwrap(), x[2].parse().unwrap())
        })
        .collect();
    assert_eq!(cells.len(), 61 * 61);
    let best = cells.iter().min_by(|a, b| a.2.total_cmp(&b.2)).unwrap();
    // Grid step 0.1: the minimum cell is the noise-free truth (2, 0.5), loss ~0.
    assert!((best.0 - 2.0).abs() < 1e-9 && (best.1 - 0.5).abs() < 1e-9, "{best:?}");
    assert!(best.2 < 1e-10);
    for f in ["surface.png", "surface.svg", "surface3d.png", "surface3d.svg"] {
        assert_figure(&out.join(f));
    }
    // Unknown parameter names are a clear error.
    let o = gdlab(&["surface", cfg.to_str().unwrap(), "--params", "w_x9,b"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("w_x9") && stderr(&o).contains("parameters: w_x1, b"), "{}", stderr(&o));
}

#[test]
fn bench_reports_json_with_a_correct_final_loss() {
    let started = std::time::Instant::now();
    let o = gdlab(&["bench", "--workload", "W1", "--repeat", "1", "--json"]);
    let wall = started.elapsed().as_secs_f64();
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    let w1 = &v["W1"];
    // One repeat: the reported rate is that repeat's, and it is a real rate.
    let rate = w1["steps_per_s"].as_f64().unwrap();
    assert_eq!(w1["repeats"].as_array().unwrap().len(), 1);
    assert_eq!(w1["repeats"][0].as_f64(), Some(rate));
    // The timed steps happened inside this process's life: a rate that claims more than that
    // (a clock or a count gone wrong) or none at all is a broken bench.
    assert!(rate.is_finite() && 200.0 / rate <= wall, "{w1}: 200 steps at {rate} steps/s do not fit in the {wall:.2} s the bench ran");
    assert!(rate >= 5.0, "{w1}: W1 on flex ran at {rate} steps/s (measured here: ~2300)");
    assert_eq!(w1["backend"], "flex");
    assert_eq!(w1["steps"], 200);
    // y = X w* + b* + 0.01 noise: after 200 steps at lr 0.1 the MSE is at the noise floor 1e-4.
    let loss = w1["final_loss"].as_f64().unwrap();
    assert!(loss > 0.5e-4 && loss < 2e-4, "{loss}");
    // 65536 rows run as two shards on flex; the process's peak memory is reported.
    assert_eq!(w1["shards"], 2);
    assert_eq!(w1["rows"], 65536);
    // X alone is 4 MiB; the whole process (binary, burn, two shards' buffers) stays far below
    // 150 MiB: a copy of X per step would break the bound quickly.
    let peak = w1["peak_rss_mib"].as_f64().unwrap();
    assert!(peak > 4.0 && peak < 150.0, "peak RSS {peak} MiB: {w1}");
    // ndarray keeps batches whole; a smaller X reaches the same noise floor.
    let o = gdlab(&["bench", "--workload", "W1", "--repeat", "1", "--json", "--backend", "ndarray", "--rows", "8192"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("one JSON object");
    assert_eq!((&v["W1"]["shards"], &v["W1"]["rows"], &v["W1"]["backend"]), (&1.into(), &8192.into(), &"ndarray".into()));
    let loss = v["W1"]["final_loss"].as_f64().unwrap();
    assert!(loss > 0.5e-4 && loss < 2e-4, "{loss}");
}
