//! `gdlab lecture` from a fresh run: each claim checked on the runs it made, independently of
//! src/lecture/. Every number a claim rests on is recomputed here, from the runs' own
//! files (metrics.csv, summary.json, config.toml, surface.csv, taylor.csv and the lecture's steepest.json), from
//! the data loaded in-process, or with `gdlab gradcheck`, and judged against thresholds stated
//! here with their reasons; then the report's own numbers (lecture.json and the verdict
//! sentences) are checked against the recomputed ones, so that both a wrong experiment and a
//! report that misstates it fail. Also: the two languages against each other, and the committed
//! report against the fresh one by its measured numbers.

use crate::common::*;
use gdlab::data::Dataset;
use nalgebra::{DMatrix, DVector};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The report, made once per test run in a temporary folder of its own (so two test runs never
/// share one), kept under cargo's temp folder for integration tests for a look after a failure.
/// A failed lecture is kept as its message, so every test that needs the report fails with it
/// at once instead of running the lecture again.
fn report() -> &'static (PathBuf, Vec<Value>) {
    static REPORT: OnceLock<Result<(PathBuf, Vec<Value>), String>> = OnceLock::new();
    let made = REPORT.get_or_init(|| {
        let dir = tempfile::Builder::new().prefix("lecture-").tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap().keep();
        let out = dir.join("lecture");
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
            .args(["lecture", "--out", out.to_str().unwrap()])
            // From a folder with no configs/ or data/ beside it: the lecture runs on what the
            // binary embeds, as an installed gdlab does.
            .current_dir(&dir)
            .env("HOME", &dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let o = finish_within(child, std::time::Duration::from_secs(600), "gdlab lecture");
        // Exit 0: every claim holds (4 would mean one does not).
        if o.status.code() != Some(0) {
            return Err(format!("gdlab lecture: {:?}\n{}\n{}", o.status.code(), stdout(&o), stderr(&o)));
        }
        let text = std::fs::read_to_string(out.join("lecture.json")).map_err(|e| format!("lecture.json: {e}"))?;
        Ok((out, serde_json::from_str(&text).map_err(|e| format!("lecture.json: {e}"))?))
    });
    made.as_ref().unwrap_or_else(|e| panic!("{e}"))
}

fn claim(id: &str) -> &'static Value {
    report().1.iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no claim {id}"))
}

fn num(c: &Value, path: &[&str]) -> f64 {
    path.iter().fold(c, |v, k| &v[*k]).as_f64().unwrap_or_else(|| panic!("{path:?} in {c}"))
}

/// A JSON array of numbers (NaN for anything else).
fn floats(v: &Value) -> Vec<f64> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}")).iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect()
}

/// The numbers in a sentence, in order (digits, a decimal part, an exponent; signs ignored).
fn numbers(s: &str) -> Vec<f64> {
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            if i + 1 < b.len() && b[i] == b'e' && (b[i + 1].is_ascii_digit() || b[i + 1] == b'-') {
                i += 2;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            out.push(s[start..i].trim_end_matches('.').parse().unwrap_or(f64::NAN));
        } else {
            i += 1;
        }
    }
    out
}

/// The report's number against the recomputed one.
fn close(reported: f64, recomputed: f64, tol: f64, what: &str) {
    assert!(
        (reported - recomputed).abs() <= tol,
        "{what}: the report says {reported}, recomputed from the runs {recomputed} (tolerance {tol:e})"
    );
}

/// The report's count (null: never) against the recomputed one.
fn same_count(reported: &Value, recomputed: Option<usize>, what: &str) {
    assert_eq!(reported.as_u64(), recomputed.map(|s| s as u64), "{what}: the report says {reported}, recomputed {recomputed:?}");
}

/// The claim's verdict says it holds, in both languages (the recomputed checks before this call
/// are what it holds by).
fn assert_holds(c: &Value) {
    assert_eq!(c["holds"], true, "{}: holds", c["id"]);
    let en = c["verdict"]["en"].as_str().unwrap();
    assert!(!en.starts_with("In this run the lecture's claim does not hold.") && !en.starts_with("holds"), "{}: {en}", c["id"]);
    // Korean opens with the claim's own sentence of what held (KOREAN.md: a sentence, not a
    // label), never the sentence of a claim that failed.
    let ko = c["verdict"]["ko"].as_str().unwrap();
    assert!(!ko.starts_with("이번 실행에서는 강의의 말이 성립하지 않습니다.") && !ko.starts_with("성립"), "{}: {ko}", c["id"]);
}

/// The verdict, in both languages, states the recomputed `value` (to within `tol`, its printed
/// precision; the sentences drop signs).
fn assert_states(c: &Value, value: f64, tol: f64) {
    for lang in ["en", "ko"] {
        let s = c["verdict"][lang].as_str().unwrap();
        assert!(
            numbers(s).iter().any(|v| (v - value.abs()).abs() <= tol),
            "{} {lang}: the verdict does not state the recomputed {value} (± {tol:e}): {s}",
            c["id"]
        );
    }
}

/// Half a unit in the last place of a number printed with `{:.3e}` (4 significant digits).
fn sci3(v: f64) -> f64 {
    6e-4 * v.abs()
}

/// Half a unit in the last place of a number printed with `{:.1e}` (2 significant digits).
fn sci1(v: f64) -> f64 {
    0.051 * v.abs()
}

/// Columns of a CSV file (NaN for an empty or non-numeric cell).
fn csv_columns(path: &Path, names: &[&str]) -> Vec<Vec<f64>> {
    let mut r = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = r.headers().unwrap().clone();
    let at: Vec<usize> =
        names.iter().map(|n| header.iter().position(|h| h == *n).unwrap_or_else(|| panic!("{n} in {}", path.display()))).collect();
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    at.iter().map(|&k| rows.iter().map(|rec| rec[k].parse::<f64>().unwrap_or(f64::NAN)).collect()).collect()
}

fn column(run: &Path, name: &str) -> Vec<f64> {
    csv_columns(&run.join("metrics.csv"), &[name]).remove(0)
}

/// First logged step (metrics.csv's `step`) whose `col` satisfies `pred`.
fn first_step(run: &Path, col: &str, pred: impl Fn(f64) -> bool) -> Option<usize> {
    let c = csv_columns(&run.join("metrics.csv"), &["step", col]);
    c[0].iter().zip(&c[1]).find(|(_, v)| pred(**v)).map(|(s, _)| *s as usize)
}

/// The run folders in `dir`, by name (the sweeps number them in order).
fn runs_in(dir: &Path) -> Vec<PathBuf> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.is_dir()).collect();
    runs.sort();
    runs
}

/// A run's resolved config.toml.
fn config_of(run: &Path) -> toml::Table {
    std::fs::read_to_string(run.join("config.toml")).unwrap().parse().unwrap()
}

fn toml_f64(v: &toml::Value) -> f64 {
    v.as_float().or_else(|| v.as_integer().map(|i| i as f64)).unwrap_or_else(|| panic!("not a number: {v}"))
}

fn lr_of(run: &Path) -> f64 {
    toml_f64(&config_of(run)["optimizer"]["lr"])
}

/// The training rows a config's runs saw, loaded in-process as `gdlab train` loads them.
fn train_set(config: &Path) -> Dataset {
    let l = gdlab::config::load(config, &[]).unwrap_or_else(|e| panic!("{}: {e}", config.display()));
    let raw = gdlab::data::load(&l.spec.data.source, l.spec.seed, &l.base_dir).unwrap();
    gdlab::data::split(raw, l.spec.data.validation, l.spec.data.standardise, l.spec.seed).unwrap().train
}

/// A = [X | 1] and y of a one-target dataset.
fn design(d: &Dataset) -> (DMatrix<f64>, DVector<f64>) {
    let (n, k) = (d.len(), d.dims());
    (DMatrix::from_fn(n, k + 1, |i, j| if j < k { d.row(i)[j] } else { 1.0 }), DVector::from_column_slice(&d.y[..n]))
}

/// Least squares in f64: the normal equations' (AᵀA) θ = Aᵀy solution [w..., b] and its MSE.
fn least_squares(d: &Dataset) -> (Vec<f64>, f64) {
    let (a, y) = design(d);
    let theta = (a.transpose() * &a).cholesky().expect("AᵀA is positive definite").solve(&(a.transpose() * &y));
    let mse = (&a * &theta - &y).norm_squared() / d.len() as f64;
    (theta.iter().copied().collect(), mse)
}

/// The Hessian (2/n) AᵀA of a linear neuron's MSE on `d` (the same everywhere: MSE is quadratic).
fn mse_hessian(d: &Dataset) -> DMatrix<f64> {
    let (a, _) = design(d);
    (a.transpose() * &a) * (2.0 / d.len() as f64)
}

/// A neuron's parameters from summary.json: the weights, then the bias.
fn neuron(run: &Path) -> Vec<f64> {
    let (w, b) = params(&summary(run));
    w.into_iter().chain(b).collect()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

#[test]
fn the_report_is_complete_in_both_languages_and_opens_from_its_folder() {
    let dir = &report().0;
    assert_eq!(report().1.len(), gdlab::lecture::CLAIM_COUNT);
    let html = std::fs::read_to_string(dir.join("index.html")).unwrap();
    assert!(html.len() < 1 << 20, "index.html is {} bytes", html.len());
    assert!(html.contains("<math") && html.contains("lang-ko") && html.contains("lang-en"));
    // Every file it loads is a figure in the folder.
    for src in html.split("src=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]) {
        assert!(src.starts_with("figures/") && dir.join(src).exists(), "{src}");
    }
    let (md, ko) = (std::fs::read_to_string(dir.join("REPORT.md")).unwrap(), std::fs::read_to_string(dir.join("REPORT.ko.md")).unwrap());
    for c in &report().1 {
        assert!(md.contains(c["verdict"]["en"].as_str().unwrap()));
        assert!(ko.contains(c["verdict"]["ko"].as_str().unwrap()));
        assert!(!c["quote"].as_str().unwrap().is_empty() && !c["points"].as_array().unwrap().is_empty());
        for f in c["figures"].as_array().unwrap() {
            let path = f["path"].as_str().unwrap();
            // Each figure in both languages: Korean words in the Korean one, none in the English.
            for (suffix, hangul) in [("", false), (".ko", true)] {
                assert_figure(&dir.join(format!("{path}{suffix}.png")));
                assert_figure(&dir.join(format!("{path}{suffix}.svg")));
                let svg = std::fs::read_to_string(dir.join(format!("{path}{suffix}.svg"))).unwrap();
                let has = svg.chars().any(|ch| ('\u{AC00}'..='\u{D7A3}').contains(&ch));
                assert_eq!(has, hangul, "{path}{suffix}.svg: Hangul {}", if has { "in the English figure" } else { "missing" });
            }
            // A caption in both languages, each shown under its figure.
            for (lang, text, suffix) in [("ko", &ko, ".ko"), ("en", &md, "")] {
                let caption = f["caption"][lang].as_str().unwrap();
                assert!(!caption.is_empty() && text.contains(caption), "{path}: the {lang} caption is not in the report");
                assert!(text.contains(&format!("{path}{suffix}.png")), "{path}: the {lang} report does not show its own figure");
            }
        }
    }
}

#[test]
fn both_languages_state_the_same_numbers() {
    for c in &report().1 {
        for part in ["verdict", "statement"] {
            let mut ko = numbers(c[part]["ko"].as_str().unwrap());
            let mut en = numbers(c[part]["en"].as_str().unwrap());
            ko.sort_by(f64::total_cmp);
            en.sort_by(f64::total_cmp);
            assert_eq!(ko, en, "{} {part}: the Korean and English sentences disagree on their numbers", c["id"]);
        }
    }
}

/// All 34 teaching points of the lecture (../shared/lecture/README.md) are named by a claim,
/// and the claims come in the lecture's order (by their first point after the general one).
#[test]
fn every_teaching_point_is_shown_in_lecture_order() {
    let points: Vec<Vec<u64>> =
        report().1.iter().map(|c| c["points"].as_array().unwrap().iter().map(|p| p.as_u64().unwrap()).collect()).collect();
    let mut all: Vec<u64> = points.iter().flatten().copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all, (1..=34).collect::<Vec<u64>>(), "teaching points not shown");
    let firsts: Vec<u64> = points.iter().map(|p| *p.iter().find(|&&k| k > 1).unwrap()).collect();
    assert!(firsts.windows(2).all(|w| w[0] <= w[1]), "claims out of lecture order: {firsts:?}");
}

#[test]
fn claim_descent_reaches_the_vertex_from_both_sides() {
    let c = claim("parabola");
    let dir = report().0.join("4_parabola");
    let mut ends = Vec::new();
    for (run, b0, grows) in [("descent", -2.0, true), ("from_the_right", 8.0, false)] {
        let b = column(&dir.join(run), "b");
        assert!(b.windows(2).all(|w| if grows { w[1] >= w[0] } else { w[1] <= w[0] }), "{run}: every step moves toward 3");
        // On (3 − b)² at η = 0.1 each step multiplies b − 3 by 1 − 2η = 0.8: b_k = 3 + (b₀ − 3)·0.8^k
        // (f32 iterates near 3: within 1e-5).
        for (k, v) in b.iter().enumerate() {
            let theory = 3.0 + (b0 - 3.0) * 0.8f64.powi(k as i32);
            assert!((v - theory).abs() < 1e-5, "{run}: b_{k} = {v}, theory {theory}");
        }
        // 40 steps leave 5·0.8^40 = 6.6e-4 of the start's distance 5: within 1e-3 of the vertex.
        assert!((b.last().unwrap() - 3.0).abs() < 1e-3, "{run}: {b:?}");
        ends.push(b);
    }
    // Point 17: secant slopes tend to the tangent's, which autodiff measured at step 0
    // (C(b) = (3 - b)^2 at b0 = -2: dC/db = -10, the secant over h is -10 + h).
    let b0 = ends[0][0];
    let tangent = -2.0 * (3.0 - b0);
    let secants = floats(&c["numbers"]["secant_slopes"]);
    assert_eq!(secants.len(), 3);
    for (s, h) in secants.iter().zip([1.0, 0.1, 0.01]) {
        assert!((s - (tangent + h)).abs() < 1e-9, "secant over {h}: {s}");
        assert_states(c, tangent + h, 5e-4);
    }
    // Autodiff's |dC/db| (f32) at b0 = -2: the tangent's 10 to f32 rounding.
    let autodiff = column(&dir.join("descent"), "grad_norm")[0];
    assert!((autodiff - tangent.abs()).abs() < 1e-4, "autodiff |dC/db| {autodiff} vs {tangent}");
    // The report's numbers are the runs'.
    let n = &c["numbers"];
    close(num(n, &["final_b"]), *ends[0].last().unwrap(), 1e-12, "final b from -2");
    close(num(n, &["final_b_from_right"]), *ends[1].last().unwrap(), 1e-12, "final b from 8");
    close(num(n, &["tangent_slope"]), tangent, 1e-12, "tangent slope");
    close(num(n, &["autodiff_slope_magnitude"]), autodiff, 1e-12, "autodiff slope");
    assert_eq!(n["visited"].as_u64(), Some(ends[0].len() as u64), "points visited");
    assert_eq!((&n["moved_toward_a"], &n["moved_toward_a_from_right"]), (&Value::Bool(true), &Value::Bool(true)));
    for b in &ends {
        assert_states(c, *b.last().unwrap(), 5e-7);
    }
    assert_states(c, (ends[0].len() - 1) as f64, 0.0);
    assert_states(c, tangent, 5e-4);
    assert_holds(c);
}

/// Point 33: the plateau-then-fall runs and their shares, recomputed from each solved XOR run's
/// own metrics.csv.
#[test]
fn claim_sudden_falls_are_made_of_small_steps() {
    let c = claim("local_minima");
    let sweep = report().0.join("9_local_minima/sweep/runs");
    let window = 100;
    let (mut plateaus, mut w_lo, mut w_hi, mut s_hi) = (0, f64::INFINITY, 0.0f64, 0.0f64);
    let (mut at_lo, mut at_hi) = (usize::MAX, 0);
    for run in runs_in(&sweep) {
        if summary(&run)["final_accuracy"].as_f64() != Some(1.0) {
            continue;
        }
        let loss = column(&run, "loss");
        let total = loss[0] - loss[loss.len() - 1];
        let start =
            (0..loss.len() - window).max_by(|&a, &b| (loss[a] - loss[a + window]).total_cmp(&(loss[b] - loss[b + window]))).unwrap();
        // A plateau first: the steepest window starts after the first 20 steps.
        if start <= 20 {
            continue;
        }
        let fall = loss[start] - loss[start + window];
        let step = (start + 1..=start + window).map(|i| loss[i - 1] - loss[i]).fold(0.0, f64::max);
        plateaus += 1;
        (w_lo, w_hi, s_hi) = (w_lo.min(fall / total), w_hi.max(fall / total), s_hi.max(step / fall));
        (at_lo, at_hi) = (at_lo.min(start), at_hi.max(start));
    }
    // The claim's words: a plateau then a steep fall exists (its window makes over a fifth of
    // the whole fall), and no single update makes it (none over 5% of the window's fall).
    assert!(plateaus > 0 && w_lo > 0.2 && s_hi < 0.05, "plateaus {plateaus}, window share {w_lo}, largest step {s_hi}");
    // The report's numbers are these (the same arithmetic on the same f32 losses: 1e-9).
    let n = &c["numbers"];
    assert_eq!(n["plateau_runs"].as_u64(), Some(plateaus as u64), "plateau runs");
    assert_eq!(n["window"].as_u64(), Some(window as u64));
    let shares = floats(&n["steepest_window_share"]);
    close(shares[0], w_lo, 1e-9, "smallest window share");
    close(shares[1], w_hi, 1e-9, "largest window share");
    close(num(n, &["largest_step_share_in_window"]), s_hi, 1e-9, "largest step share");
    assert_eq!(floats(&n["steepest_window_start"]), [at_lo as f64, at_hi as f64], "where the steepest windows start");
    for (v, tol) in
        [(plateaus as f64, 0.0), (at_lo as f64, 0.0), (at_hi as f64, 0.0), (100.0 * w_lo, 0.5), (100.0 * w_hi, 0.5), (100.0 * s_hi, 0.05)]
    {
        assert_states(c, v, tol);
    }
}

/// How a learning-rate run behaved, in the claim's words: "diverges" (the loss ended above its
/// start, or not finite), "oscillates" (most successive updates point back: consecutive
/// parameter changes have a negative dot product), "slow" (its whole budget left more than 1e-3
/// of the start's excess over `floor`, the minimum) or "converges".
fn behaviour(run: &Path, floor: f64) -> &'static str {
    let loss = column(run, "loss");
    let (first, last) = (loss[0], *loss.last().unwrap());
    if !last.is_finite() || last > first {
        return "diverges";
    }
    let names: Vec<String> = summary(run)["parameter_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let cols: Vec<Vec<f64>> = names.iter().map(|n| column(run, n)).collect();
    let delta = |k: usize| cols.iter().map(|c| c[k + 1] - c[k]).collect::<Vec<f64>>();
    let dots: Vec<f64> = (0..cols[0].len().saturating_sub(2))
        .map(|k| delta(k).iter().zip(delta(k + 1)).map(|(a, b)| a * b).sum::<f64>())
        .filter(|d| *d != 0.0)
        .collect();
    let back = dots.iter().filter(|d| **d < 0.0).count();
    if back * 2 > dots.len() {
        "oscillates"
    } else if last - floor > 1e-3 * (first - floor) {
        "slow"
    } else {
        "converges"
    }
}

/// First logged step at which the loss's excess over `floor` is at most `fraction` of the
/// start's (None: never in the run).
fn steps_to_fraction(run: &Path, floor: f64, fraction: f64) -> Option<usize> {
    let first = column(run, "loss")[0];
    first_step(run, "loss", |l| l - floor <= (first - floor) * fraction)
}

#[test]
fn claim_oscillation_is_a_sign_change_and_the_fastest_rate_is_one_over_lambda() {
    let c = claim("learning_rate");
    let lecture = &report().0;
    let runs = lecture.join("5_learning_rate/parabola/runs");
    let b_of = |lr: &str| column(&runs.join(lr), "b");
    // η = 0.5 = 1/λ lands on b* = 3 in one step (f32: to 1e-6).
    assert!((b_of("03_lr=0.5")[1] - 3.0).abs() < 1e-6);
    let flips = |b: &[f64]| b.windows(2).filter(|w| (w[0] - 3.0) * (w[1] - 3.0) < 0.0).count();
    // 0.2 never crosses b*; 0.7 and 0.95 cross on every step while |b − 3| shrinks; 1.05 grows.
    assert_eq!(flips(&b_of("02_lr=0.2")), 0);
    for lr in ["04_lr=0.7", "05_lr=0.95"] {
        let b = b_of(lr);
        let moving: Vec<f64> = b.iter().copied().take_while(|v| (v - 3.0).abs() > 1e-5).collect();
        assert_eq!(flips(&moving), moving.len() - 1, "{lr} zigzags");
        assert!((b.last().unwrap() - 3.0).abs() < (b[0] - 3.0).abs(), "{lr} converges");
    }
    let b = b_of("06_lr=1.05");
    assert!((b[10] - 3.0).abs() > (b[0] - 3.0).abs(), "1.05 diverges");

    // lr* = 2/λ_max: (a − b)² has Hessian λ = 2 (a fact of the test), so lr* = 1, and its minimum
    // loss is 0. Least squares: λ_max of (2/n)AᵀA from the data in f64, and the minimum loss from
    // the normal equations.
    let ls = train_set(&lecture.join("configs/least_squares.toml"));
    let lambda_ls = mse_hessian(&ls).symmetric_eigenvalues().max();
    let (_, floor_ls) = least_squares(&ls);
    for (name, theory, floor) in [("parabola", 1.0, 0.0), ("least_squares", 2.0 / lambda_ls, floor_ls)] {
        let n = &c["numbers"][name];
        // The report's power iteration against a symmetric eigensolver, both f64.
        close(num(n, &["theory_lr"]), theory, 1e-9 * theory, &format!("{name}: lr*"));
        assert_states(c, theory, 5e-5);
        let runs = runs_in(&lecture.join("5_learning_rate").join(name).join("runs"));
        // Each run's learning rate (its config.toml) over lr*: the reported multiples, to the four
        // decimals the rates are written with (half a unit there: 5e-5 in lr, 5e-5/lr* in factor).
        let tol = 5e-5 / theory + 1e-12;
        let factors: Vec<f64> = runs.iter().map(|r| lr_of(r) / theory).collect();
        let reported = floats(&n["factors"]);
        assert_eq!(factors.len(), reported.len(), "{name}: one run per factor");
        for (f, g) in factors.iter().zip(&reported) {
            assert!((f - g).abs() <= tol, "{name}: a run at {f} lr*, reported {g}");
        }
        let kinds: Vec<&str> = runs.iter().map(|r| behaviour(r, floor)).collect();
        let said: Vec<&str> = n["behaviour"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
        assert_eq!(kinds, said, "{name}: behaviour recomputed from metrics.csv vs the report");
        // All four behaviours occur, and gradient descent on a quadratic is stable exactly below
        // lr* = 2/λ_max: the last stable rate is under 1 lr*, the first diverging one over it.
        for k in ["slow", "converges", "oscillates", "diverges"] {
            assert!(kinds.contains(&k), "{name}: no {k} run: {kinds:?}");
        }
        let stable = factors.iter().zip(&kinds).filter(|(_, k)| **k != "diverges").map(|(f, _)| *f).fold(0.0, f64::max);
        let diverging = factors.iter().zip(&kinds).filter(|(_, k)| **k == "diverges").map(|(f, _)| *f).fold(f64::INFINITY, f64::min);
        assert!(stable < 1.0 && diverging > 1.0, "{name}: stable up to {stable} lr*, diverging from {diverging} lr*");
        close(num(n, &["stable_max_factor"]), stable, tol, &format!("{name}: largest stable factor"));
        close(num(n, &["diverge_min_factor"]), diverging, tol, &format!("{name}: smallest diverging factor"));
        // Speed, the verdict's measure: steps until the loss's excess over the minimum is 1e-4 of the start's.
        let speed: Vec<Option<usize>> = runs.iter().map(|r| steps_to_fraction(r, floor, 1e-4)).collect();
        let said = n["steps_to_1e-4"].as_array().unwrap();
        for (k, (mine, theirs)) in speed.iter().zip(said).enumerate() {
            // Within one step: the report's floor is the best f32 loss any rate reached, this
            // test's the f64 minimum; they differ by f32 rounding, which can move a crossing by one.
            match (mine, theirs.as_u64()) {
                (None, None) => {}
                (Some(a), Some(b)) => assert!(a.abs_diff(b as usize) <= 1, "{name} run {k}: {a} steps, reported {b}"),
                _ => panic!("{name} run {k}: reaching 1e-4 recomputed {mine:?}, reported {theirs}"),
            }
            if let Some(s) = theirs.as_u64() {
                assert_states(c, s as f64, 0.0);
            }
        }
        let fastest = (0..runs.len()).filter(|&k| speed[k].is_some()).min_by_key(|&k| speed[k]).expect("some rate reaches 1e-4");
        close(num(n, &["fastest_factor"]), factors[fastest], tol, &format!("{name}: fastest factor"));
        if name == "parabola" {
            // The fastest rate is 1/λ = lr*/2 = 0.5, in one step.
            assert_eq!((lr_of(&runs[fastest]), speed[fastest]), (0.5, Some(1)), "{speed:?}");
        }
    }
    assert_holds(c);
}

#[test]
fn claim_a_bias_reaches_the_target_loss_and_no_bias_cannot() {
    let c = claim("bias");
    let dir = report().0.join("1_bias");
    // The claim's target loss.
    let target = 0.1;
    let to_target = |run: &str| first_step(&dir.join(run), "loss", |l| l <= target);
    let best = |run: &str| column(&dir.join(run), "loss").into_iter().fold(f64::INFINITY, f64::min);
    let (with, without) = (to_target("with_bias").expect("with a bias the loss reaches 0.1"), to_target("without_bias"));
    // A bias is what gets there: at least five times fewer steps, or never without one.
    assert!(without.is_none_or(|s| with * 5 < s), "with {with}, without {without:?}");
    // Without a bias σ(w·x) is ½ at x = 0, left of both clusters (x ≈ 3 and 5): no boundary
    // between them, and BCE stays near ln 2 ≈ 0.69.
    let best_without = best("without_bias");
    assert!(best_without > 0.5, "without a bias the boundary stays at x = 0: {best_without}");
    let n = &c["numbers"];
    close(num(n, &["target"]), target, 0.0, "target");
    same_count(&n["steps_with_bias"], Some(with), "steps with a bias");
    same_count(&n["steps_without_bias"], without, "steps without a bias");
    close(num(n, &["best_loss_without_bias"]), best_without, 1e-12, "best loss without a bias");
    assert_states(c, with as f64, 0.0);
    assert_states(c, best_without, 5e-4);
    assert_states(c, summary(&dir.join("without_bias"))["steps"].as_f64().unwrap(), 0.0);
    assert_holds(c);
}

#[test]
fn claim_cross_entropy_escapes_a_saturated_start_faster_than_mse() {
    let c = claim("cross_entropy");
    let dir = report().0.join("3_cross_entropy");
    // The claim's mark: 90% training accuracy.
    let to90 = |run: &str| first_step(&dir.join(run), "accuracy", |a| a >= 0.9);
    let (bce, mse) = (to90("bce").expect("bce reaches 90%"), to90("mse"));
    // "Far fewer steps": at least five times fewer, or MSE never gets there.
    assert!(mse.is_none_or(|m| bce * 5 <= m), "bce {bce} mse {mse:?}");
    let g0 = |run: &str| column(&dir.join(run), "grad_norm")[0];
    let (gb, gm) = (g0("bce"), g0("mse"));
    let n = &c["numbers"];
    same_count(&n["steps_to_90_bce"], Some(bce), "bce steps to 90%");
    same_count(&n["steps_to_90_mse"], mse, "mse steps to 90%");
    close(num(n, &["grad_norm_start_bce"]), gb, 1e-12, "bce |∇C| at the start");
    close(num(n, &["grad_norm_start_mse"]), gm, 1e-12, "mse |∇C| at the start");
    assert_states(c, bce as f64, 0.0);
    if let Some(m) = mse {
        assert_states(c, m as f64, 0.0);
    }
    assert_states(c, gb, sci3(gb));
    assert_states(c, gm, sci3(gm));
    assert_states(c, gb / gm, 0.05);
    assert_holds(c);
}

#[test]
fn claim_mae_resists_outliers_that_pull_mse() {
    let c = claim("mse_mae");
    let dir = report().0.join("2_mse_mae");
    for (run, kind) in [("mse", "mse"), ("mae", "mae")] {
        assert_eq!(config_of(&dir.join(run))["loss"]["kind"].as_str(), Some(kind), "{run}");
    }
    // The true line, from the runs' own config.
    let data = &config_of(&dir.join("mse"))["data"];
    let (tw, tb) = (toml_f64(&data["true_weights"][0]), toml_f64(&data["true_bias"]));
    let (mse, mae) = (neuron(&dir.join("mse")), neuron(&dir.join("mae")));
    let dist = |p: &[f64]| ((p[0] - tw).powi(2) + (p[1] - tb).powi(2)).sqrt();
    let (dm, da) = (dist(&mse), dist(&mae));
    // The MSE fit is the least-squares line of the same rows (f64 normal equations): pulled by
    // the outliers, not an unfinished run (4000 f32 steps converge to ~1e-6: within 1e-4).
    let (ls, _) = least_squares(&train_set(&dir.join("mse/config.toml")));
    for (a, b) in mse.iter().zip(&ls) {
        assert!((a - b).abs() < 1e-4, "the MSE run {mse:?} vs least squares {ls:?}");
    }
    // Noise 0.2 on 100 points: a fit that ignores the outliers lands within a few hundredths of
    // the true line, 0.1 allows for that.
    assert!(da < 0.1, "MAE fit {mae:?}: distance {da}");
    // 5 of 100 points shifted by 30 move the least-squares intercept by about 30·5/100 = 1.5.
    assert!(dm > 1.0, "MSE fit {mse:?}: distance {dm}");
    // The claim: MAE stays far closer, at least five times.
    assert!(da * 5.0 < dm, "{da} vs {dm}");
    let n = &c["numbers"];
    close(num(n, &["mae_distance"]), da, 1e-12, "MAE distance");
    close(num(n, &["mse_distance"]), dm, 1e-12, "MSE distance");
    for (key, fit) in [("mae_fit", &mae), ("mse_fit", &mse)] {
        let said = floats(&n[key]);
        assert_eq!(said.len(), 2, "{key}");
        for (a, b) in said.iter().zip(fit.iter()) {
            close(*a, *b, 1e-12, key);
        }
    }
    // |1 − 1.1| = 0.1 and (1 − 1.1)² = 0.01: squaring shrinks a small error.
    let (abs, sq) = ((1.0f64 - 1.1).abs(), (1.0f64 - 1.1).powi(2));
    close(num(n, &["abs_error"]), abs, 1e-12, "|1 − 1.1|");
    close(num(n, &["squared_error"]), sq, 1e-12, "(1 − 1.1)²");
    for v in [mae[0], mae[1], da, mse[0], mse[1], dm, abs, sq] {
        assert_states(c, v, 5e-4);
    }
    assert_holds(c);
}

/// Points 6 and 7: the squares on the errors are the MSE (n x loss, read from the run's own
/// metrics.csv), and their total falls with every update shown; areas and bars recomputed from
/// the line in metrics.csv and the run's data.
#[test]
fn claim_the_errors_drawn_as_squares_are_the_mse_and_shrink() {
    let c = claim("mse_mae");
    let run = report().0.join("2_mse_mae/areas");
    let data = train_set(&run.join("config.toml"));
    let cols = csv_columns(&run.join("metrics.csv"), &["step", "loss", "w_x1", "b"]);
    let (steps, loss) = (&cols[0], &cols[1]);
    let last = steps.len() - 1;
    let (mut areas, mut bars, mut gap) = (Vec::new(), Vec::new(), 0.0f64);
    for r in [0, 1, last] {
        let errors: Vec<f64> = (0..data.len()).map(|i| cols[2][r] * data.row(i)[0] + cols[3][r] - data.y[i]).collect();
        let area: f64 = errors.iter().map(|e| e * e).sum();
        // The loss is an f32 mean, the area an f64 sum: 1e-5 relative covers rounding.
        let mean = area / data.len() as f64;
        assert!((mean - loss[r]).abs() <= 1e-5 * loss[r], "step {}: area {area} / n vs loss {}", steps[r], loss[r]);
        gap = gap.max((mean - loss[r]).abs() / loss[r]);
        areas.push(area);
        bars.push(errors.iter().map(|e| e.abs()).sum::<f64>());
    }
    assert_eq!(data.len(), 8, "the verdict's 8 points");
    assert!(loss.windows(2).all(|w| w[1] < w[0]), "the loss (the mean square) falls at every update: {loss:?}");
    assert!(areas[1] < areas[0] && areas[2] < areas[1], "{areas:?}");
    assert!(bars[1] < bars[0] && bars[2] < bars[1], "{bars:?}");
    // The figure's point: most of the area is gone by the last panel (under a fifth remains).
    assert!(areas[2] < 0.2 * areas[0], "{areas:?}");
    // The report's numbers are these (the same f64 arithmetic: 1e-9 relative).
    let n = &c["numbers"];
    assert_eq!(floats(&n["area_steps"]), [steps[0], steps[1], steps[last]]);
    for (key, mine) in [("square_areas", &areas), ("bar_lengths", &bars)] {
        for (a, b) in floats(&n[key]).iter().zip(mine.iter()) {
            close(*a, *b, 1e-9 * b, key);
        }
    }
    close(num(n, &["mse_gap"]), gap, 1e-9 * gap.max(1e-12), "largest |mean square − loss| / loss");
    for v in areas.iter().chain(&bars) {
        assert_states(c, *v, 5e-4);
    }
    assert_states(c, steps[last], 0.0);
    assert_states(c, gap, sci1(gap));
}

#[test]
fn claim_the_sigmoid_mse_surface_is_not_a_parabola() {
    let c = claim("not_a_parabola");
    let dir = report().0.join("6_surface");
    // The grid the lecture wrote: w_x1 fastest, then w_x2.
    let cols = csv_columns(&dir.join("surface/surface.csv"), &["w_x1", "w_x2", "loss"]);
    let g = (cols[0].len() as f64).sqrt() as usize;
    assert_eq!(g * g, cols[0].len(), "a square grid");
    assert_eq!(g, 61);
    let at = |j: usize, i: usize| cols[2][j * g + i];
    for k in 0..g * g {
        assert!((cols[0][k] - cols[0][k % g]).abs() < 1e-12 && (cols[1][k] - cols[1][k - k % g]).abs() < 1e-12, "row {k} off the grid");
    }
    assert!((cols[0][0] + 10.0).abs() < 1e-12 && (cols[0][g - 1] - 10.0).abs() < 1e-12, "w ∈ [−10, 10]²");
    // Every point is the two-input sigmoid neuron's MSE (no bias) on the run's rows, recomputed
    // in f64: the csv holds f32 losses (1e-5 relative).
    let data = train_set(&dir.join("descent/config.toml"));
    for (k, z) in cols[2].iter().enumerate() {
        let (w1, w2) = (cols[0][k], cols[1][k]);
        let mse = (0..data.len()).map(|r| (sigmoid(w1 * data.row(r)[0] + w2 * data.row(r)[1]) - data.y[r]).powi(2)).sum::<f64>()
            / data.len() as f64;
        assert!((z - mse).abs() <= 1e-5 * mse + 1e-7, "loss at ({w1}, {w2}): surface.csv {z}, recomputed {mse}");
    }
    // A parabola curves upward everywhere: count interior points where a second difference
    // along either axis is negative.
    let inner: Vec<(usize, usize)> = (1..g - 1).flat_map(|j| (1..g - 1).map(move |i| (j, i))).collect();
    let bends_down =
        |&(j, i): &(usize, usize)| at(j, i + 1) - 2.0 * at(j, i) + at(j, i - 1) < 0.0 || at(j + 1, i) - 2.0 * at(j, i) + at(j - 1, i) < 0.0;
    let frac = inner.iter().filter(|p| bends_down(p)).count() as f64 / inner.len() as f64;
    // Plateaus: the central-difference slope under 10% of the steepest on the grid, away from
    // the minimum (loss more than 10% of the range above the lowest), as the verdict defines them.
    let (lo, hi) = cols[2].iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    let slope = |&(j, i): &(usize, usize)| (at(j, i + 1) - at(j, i - 1)).hypot(at(j + 1, i) - at(j - 1, i)) / 2.0;
    let steepest = inner.iter().map(slope).fold(0.0, f64::max);
    let plateau =
        inner.iter().filter(|p| slope(p) < 0.1 * steepest && at(p.0, p.1) > lo + 0.1 * (hi - lo)).count() as f64 / inner.len() as f64;
    // Not a parabola: a tenth of the grid bends downward (a parabola: none), and over 2% of it is
    // plateau (a parabola's slope vanishes only at its vertex).
    assert!(frac > 0.1, "downward curvature at {frac} of the grid");
    assert!(plateau > 0.02, "plateau {plateau} of the grid");
    // Least squares has a closed form: the normal equations solved here in f64 on the
    // least_squares run's rows, and gradient descent ends on it (f32 descent over 2000 steps
    // converges to f32 rounding, ~1e-6: within 1e-4).
    let ls_run = dir.join("least_squares");
    let (closed, _) = least_squares(&train_set(&ls_run.join("config.toml")));
    let descended = neuron(&ls_run);
    assert_eq!(closed.len(), 3);
    let gap = closed.iter().zip(&descended).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(gap < 1e-4, "descent {descended:?} vs the normal equations {closed:?}");
    // The report's numbers are these.
    let n = &c["numbers"];
    close(num(n, &["negative_curvature_fraction"]), frac, 1e-12, "downward-curvature fraction");
    close(num(n, &["plateau_fraction"]), plateau, 1e-12, "plateau fraction");
    close(num(n, &["loss_min"]), lo, 1e-12, "lowest loss on the grid");
    close(num(n, &["loss_max"]), hi, 1e-12, "highest loss on the grid");
    // Two f64 solves of one 3×3 system: 1e-9.
    for (a, b) in floats(&n["normal_equations"]).iter().zip(&closed) {
        close(*a, *b, 1e-9, "normal equations");
    }
    for (a, b) in floats(&n["least_squares_descent"]).iter().zip(&descended) {
        close(*a, *b, 1e-12, "least-squares descent");
    }
    close(num(n, &["closed_form_gap"]), gap, 1e-9, "largest difference");
    let final_loss = summary(&dir.join("descent"))["final_loss"].as_f64().unwrap();
    for (v, tol) in [(100.0 * frac, 0.5), (100.0 * plateau, 0.05), (lo, 5e-4), (hi, 5e-4), (final_loss, 5e-5), (gap, sci1(gap))] {
        assert_states(c, v, tol);
    }
    for v in closed.iter().chain(&descended) {
        assert_states(c, *v, 5e-5 + 1e-9);
    }
    assert_holds(c);
}

#[test]
fn each_korean_verdict_opens_with_a_sentence_of_its_own() {
    // Not one label repeated nine times: each claim's first sentence says what held.
    let openings: Vec<&str> = report()
        .1
        .iter()
        .map(|c| {
            let v = c["verdict"]["ko"].as_str().unwrap();
            &v[..v.find("니다.").unwrap_or_else(|| panic!("{}: no sentence: {v}", c["id"])) + "니다.".len()]
        })
        .collect();
    let mut distinct = openings.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), openings.len(), "{openings:#?}");
    assert!(openings.iter().all(|o| o.chars().count() > 15), "{openings:#?}");
}

#[test]
fn claim_the_lowest_sigmoid_loss_is_never_reached_at_a_finite_weight() {
    let c = claim("not_a_parabola");
    let n = &c["numbers"];
    let dir = report().0.join("6_surface");
    let data = train_set(&dir.join("descent/config.toml"));
    let rows = data.len() as f64;
    // §6's neuron in f64: C(w) and |∇C(w)| written out (MSE of σ(w·x), no bias).
    let loss = |w: [f64; 2]| {
        let (mut c, mut g) = (0.0, [0.0, 0.0]);
        for r in 0..data.len() {
            let x = data.row(r);
            let a = sigmoid(w[0] * x[0] + w[1] * x[1]);
            c += (a - data.y[r]).powi(2) / rows;
            for j in 0..2 {
                g[j] += 2.0 * (a - data.y[r]) * a * (1.0 - a) * x[j] / rows;
            }
        }
        (c, g[0].hypot(g[1]))
    };
    let wrong = |deg: f64| {
        let (c, s) = (deg.to_radians().cos(), deg.to_radians().sin());
        (0..data.len()).filter(|&r| (data.row(r)[0] * c + data.row(r)[1] * s > 0.0) != (data.y[r] == 1.0)).count()
    };
    // The separating directions: every row right inside the reported arc, some row wrong just
    // outside it (the lecture scans every 0.01°).
    let arc = floats(&n["separating_arc_degrees"]);
    let (from, to) = (arc[0], arc[1]);
    assert!(from < to && to - from < 90.0, "one arc, not across 0°: {arc:?}");
    for k in 0..=100 {
        assert_eq!(
            wrong(from + (to - from) * k as f64 / 100.0),
            0,
            "a row on the wrong side inside the arc at {}",
            from + (to - from) * k as f64 / 100.0
        );
    }
    assert!(wrong(from - 0.02) > 0 && wrong(to + 0.02) > 0, "the arc [{from}, {to}] is wider");
    // Along its middle, C falls towards 0 (and σ never reaches 0 or 1, so C > 0 at any finite w).
    let mid = ((from + to) / 2.0).to_radians();
    let ray: Vec<f64> = [10.0, 100.0, 1000.0].iter().map(|t| loss([t * mid.cos(), t * mid.sin()]).0).collect();
    assert_eq!(floats(&n["ray_distances"]), [10.0, 100.0, 1000.0]);
    for (a, b) in floats(&n["ray_losses"]).iter().zip(&ray) {
        close(*a, *b, 1e-12 * b, "loss along the separating direction");
        assert_states(c, *b, sci1(*b));
    }
    assert!(ray.windows(2).all(|p| 0.0 < p[1] && p[1] < p[0]) && ray[2] < 1e-3, "{ray:?}");
    // Gradient descent run on from §6's start: the same path (its 400th update is the short
    // run's end), then |∇C| shrinks while ‖w‖ grows.
    let long = dir.join("descent_long");
    let cols = csv_columns(&long.join("metrics.csv"), &["step", "w_x1", "w_x2"]);
    assert_eq!(cols[0].len(), 20001, "20000 updates, each logged");
    let short = neuron(&dir.join("descent"));
    assert_eq!((cols[1][400], cols[2][400]), (short[0], short[1]), "the long run passes the short run's end");
    let mut last = (f64::INFINITY, 0.0);
    for (i, k) in [400usize, 2000, 20000].into_iter().enumerate() {
        let w = [cols[1][k], cols[2][k]];
        let (l, g) = loss(w);
        let norm = w[0].hypot(w[1]);
        assert!(g < last.0 && norm > last.1, "update {k}: |∇C| {g}, ‖w‖ {norm} after {last:?}");
        last = (g, norm);
        let r = &n["long_descent"][i];
        assert_eq!(r["step"].as_u64(), Some(k as u64));
        close(num(r, &["loss"]), l, 1e-12, "long descent's loss");
        close(num(r, &["grad_norm"]), g, 1e-12 * g, "long descent's |∇C|");
        close(num(r, &["weight_norm"]), norm, 1e-12, "long descent's ‖w‖");
        for (v, tol) in [(l, 5e-5), (g, sci1(g)), (norm, 0.05)] {
            assert_states(c, v, tol);
        }
    }
    assert!(last.1 > 2.0 * short[0].hypot(short[1]), "‖w‖ grew {} from {}", last.1, short[0].hypot(short[1]));
    for v in [from, to] {
        assert_states(c, v, 0.005);
    }
    assert_holds(c);
}

#[test]
fn claim_first_order_holds_for_small_steps_and_the_gradient_is_steepest() {
    let c = claim("taylor");
    let lecture = &report().0;
    let dir = lecture.join("7_taylor/taylor");
    // The taylor command's own file: every step of every lr.
    let t = csv_columns(&dir.join("taylor.csv"), &["lr", "step", "predicted_dc", "actual_dc", "ratio"]);
    let firsts: Vec<usize> = (0..t[0].len()).filter(|&k| t[1][k] == 1.0).collect();
    let lrs: Vec<f64> = firsts.iter().map(|&k| t[0][k]).collect();
    assert_eq!(lrs, [0.01, 0.1, 1.0, 5.0, 20.0, 50.0], "the verdict's rates");
    let ratios: Vec<f64> = firsts.iter().map(|&k| t[3][k] / t[2][k]).collect();
    for (&k, r) in firsts.iter().zip(&ratios) {
        assert!((t[4][k] - r).abs() <= 1e-12 * r.abs(), "taylor.csv's ratio column is actual / predicted");
    }
    // The first step in f64 from the data: the two-input sigmoid neuron without a bias under
    // MSE (§6's surface) from W = 0, where every output is ½: C(0) = mean (½ − y)² = ¼ for 0/1
    // targets, g = ∇C(0), predicted ΔC = −η|g|², actual ΔC = C(−ηg) − C(0).
    let data = train_set(&lecture.join("configs/sigmoid_surface.toml"));
    let rows = data.len() as f64;
    let loss = |w: &[f64]| {
        (0..data.len()).map(|r| (sigmoid(w[0] * data.row(r)[0] + w[1] * data.row(r)[1]) - data.y[r]).powi(2)).sum::<f64>() / rows
    };
    let g: Vec<f64> =
        (0..2).map(|j| (0..data.len()).map(|r| 2.0 * (0.5 - data.y[r]) * 0.25 * data.row(r)[j]).sum::<f64>() / rows).collect();
    let gg = g[0] * g[0] + g[1] * g[1];
    assert_eq!(loss(&[0.0, 0.0]), 0.25, "C(0) for 0/1 targets");
    for ((&k, lr), r) in firsts.iter().zip(&lrs).zip(&ratios) {
        assert_eq!(csv_columns(&dir.join("taylor.csv"), &["loss_before"])[0][k], 0.25, "η = {lr} starts at W = 0");
        // f32 autodiff's gradient: |g|² to 1e-5 relative.
        assert!((t[2][k] + lr * gg).abs() <= 1e-5 * lr * gg, "η = {lr}: predicted {} vs −η|g|² = {}", t[2][k], -lr * gg);
        // The actual change is a difference of f32 losses near ¼ (rounding 3e-8) against a
        // change of at least 3.9e-4: the ratio within 2e-4 of f64's.
        let theory = (loss(&[-lr * g[0], -lr * g[1]]) - 0.25) / (-lr * gg);
        assert!((r - theory).abs() < 2e-4, "η = {lr}: ratio {r} vs {theory}");
        // The figure's caption: each rate's first update predicts the largest decrease.
        let rate: Vec<f64> = (0..t[0].len()).filter(|&i| t[0][i] == *lr).map(|i| -t[2][i]).collect();
        assert!(rate.iter().all(|p| *p <= rate[0]), "η = {lr}: a later update predicts more than the first: {rate:?}");
    }
    // First order is right for a small step (to 1%) and wrong for a large one (off by over half).
    assert!((ratios[0] - 1.0).abs() < 0.01 && (ratios[5] - 1.0).abs() > 0.5, "{ratios:?}");
    // The first rate whose ratio departs from 1 by over 5%, as the verdict names it.
    let departs = lrs.iter().zip(&ratios).find(|(_, r)| (**r - 1.0).abs() > 0.05).map(|(l, _)| *l);
    // Step lengths |ΔW| = η|g| grow with η.
    let lengths: Vec<f64> = lrs.iter().map(|lr| lr * gg.sqrt()).collect();
    // Steepest descent in f64 (steepest.json, the lecture's own: taylor.json's is the f32
    // run's, where rounding can pick the winner): at the smallest rate's step length, none of
    // the 200 random unit directions lowers C more than −∇C does.
    let s: Value = serde_json::from_str(&std::fs::read_to_string(lecture.join("7_taylor/steepest.json")).unwrap()).unwrap();
    let length = num(&s, &["length"]);
    assert!((length - lengths[0]).abs() <= 1e-5 * lengths[0], "steepest step length {length} vs η|g| {}", lengths[0]);
    let drops = floats(&s["random_drops"]);
    assert_eq!(drops.len(), 200, "the verdict's 200 directions");
    let along = num(&s, &["gradient_drop"]);
    // Along −∇C/|g| at length L, in f64 both: the same sum in another order, within 1e-15.
    let theory = 0.25 - loss(&[-length * g[0] / gg.sqrt(), -length * g[1] / gg.sqrt()]);
    assert!((along - theory).abs() < 1e-15, "drop along −∇C {along} vs {theory}");
    // Each random drop is its first-order value −L g·u (at most L|g|, Cauchy–Schwarz) plus a
    // second-order term.
    for (d, f) in drops.iter().zip(floats(&s["random_first_order"])) {
        assert!(f <= length * gg.sqrt() * (1.0 + 1e-12) && (d - f).abs() < length * length, "random drop {d} vs first order {f}");
    }
    let beaten = drops.iter().filter(|d| **d > along).count();
    assert_eq!(beaten, 0, "random directions beat −∇C: {beaten}");
    // The report's numbers are these.
    let n = &c["numbers"];
    for (a, b) in floats(&n["first_ratios"]).iter().zip(&ratios) {
        close(*a, *b, 1e-12, "first-step ratio");
    }
    // f32 autodiff's |g| against f64: 1e-5 relative.
    for (a, b) in floats(&n["step_lengths"]).iter().zip(&lengths) {
        close(*a, *b, 1e-5 * b, "step length");
    }
    assert!(lengths.windows(2).all(|w| w[1] > w[0]), "step length grows with η: {lengths:?}");
    close(num(n, &["steepest_step_length"]), length, 1e-12, "steepest step length");
    assert_eq!(n["first_departing_lr"].as_f64(), departs, "first rate off by over 5%");
    same_count(&n["random_directions_beating_gradient"], Some(beaten), "random directions beating −∇C");
    for r in &ratios {
        assert_states(c, *r, 5e-4);
    }
    for l in &lengths {
        assert_states(c, *l, 5e-5 + 1e-5 * l);
    }
    assert_states(c, length, sci3(length));
    assert_states(c, departs.unwrap(), 0.0);
    assert_holds(c);
}

#[test]
fn claim_both_rules_learn_and_and_or_neither_learns_xor() {
    let c = claim("perceptron");
    let dir = report().0.join("8_perceptron");
    let last_accuracy = |run: &str| *column(&dir.join(run), "accuracy").last().unwrap();
    // Training accuracy recomputed in f64 from summary.json's weights on the run's own rows: a
    // row is called 1 where w·x + b ≥ 0 (the step's jump; σ ≥ ½ for the sigmoid neuron).
    let accuracy = |run: &str| {
        let run = dir.join(run);
        let (data, p) = (train_set(&run.join("config.toml")), neuron(&run));
        let k = data.dims();
        let right = (0..data.len())
            .filter(|&i| {
                let z = p[k] + data.row(i).iter().zip(&p).map(|(x, w)| x * w).sum::<f64>();
                f64::from(u8::from(z >= 0.0)) == data.y[i]
            })
            .count();
        right as f64 / data.len() as f64
    };
    for gate in ["and", "or", "xor", "noisy_blobs"] {
        let n = &c["numbers"][gate];
        for (rule, key) in [("perceptron", "perceptron_accuracy"), ("gd", "gd_accuracy")] {
            let run = format!("{rule}_{gate}");
            let a = accuracy(&run);
            // Three readings of one number: the f64 recount, summary.json, metrics.csv's last row.
            assert_eq!(summary(&dir.join(&run))["final_accuracy"].as_f64(), Some(a), "{run}");
            assert_eq!(last_accuracy(&run), a, "{run}");
            match gate {
                // Linearly separable: both rules get every row.
                "and" | "or" => assert_eq!(a, 1.0, "{run}"),
                // No line separates XOR: at most 3 of its 4 rows.
                "xor" => assert!(a <= 0.75, "{run}: {a}"),
                // Overlapping clusters (chance: 50%): descent still finds a good line.
                _ => assert!(rule == "perceptron" || a > 0.9, "{run}: {a}"),
            }
            close(num(n, &[key]), a, 0.0, &run);
            assert_states(c, 100.0 * a, 0.05);
        }
        let p = summary(&dir.join(format!("perceptron_{gate}")));
        assert_eq!(n["perceptron_row_updates"], p["steps"], "{gate}: row updates");
        assert_eq!(n["perceptron_stop"], p["stop_reason"], "{gate}: why the perceptron stopped");
        assert_states(c, p["steps"].as_f64().unwrap(), 0.0);
    }
    // The gradient-descent runs are the sigmoid + BCE neuron the report names.
    let config = std::fs::read_to_string(dir.join("gd_xor/config.toml")).unwrap();
    assert!(config.contains("activation = \"sigmoid\"") && config.contains("kind = \"bce\""), "{config}");
    assert_holds(c);
}

/// A sigmoid net with a sigmoid output and BCE, in f64, at `theta` (per layer: weights
/// [d_in][d_out] row-major, then the bias): the mean loss, its gradient by backpropagation, and
/// how many rows it classifies right (output ≥ ½).
fn sigmoid_net(shapes: &[(usize, usize)], theta: &[f64], d: &Dataset) -> (f64, Vec<f64>, usize) {
    let n = d.len() as f64;
    let (mut loss, mut grad, mut right) = (0.0, vec![0.0; theta.len()], 0);
    for (i, &y) in d.y.iter().enumerate().take(d.len()) {
        let (mut acts, mut offsets, mut logit, mut off) = (vec![d.row(i).to_vec()], Vec::new(), 0.0, 0);
        for &(din, dout) in shapes {
            offsets.push(off);
            let (w, b) = (&theta[off..off + din * dout], &theta[off + din * dout..off + din * dout + dout]);
            let prev = acts.last().unwrap();
            let z: Vec<f64> =
                b.iter().enumerate().map(|(j, bj)| bj + prev.iter().enumerate().map(|(p, a)| a * w[p * dout + j]).sum::<f64>()).collect();
            logit = z[0];
            acts.push(z.into_iter().map(sigmoid).collect());
            off += din * dout + dout;
        }
        // BCE from the logit: softplus(z) − y·z.
        loss += (logit.max(0.0) + (-logit.abs()).exp().ln_1p() - y * logit) / n;
        right += usize::from((logit >= 0.0) == (y == 1.0));
        // Sigmoid + BCE: the output delta is (a − y)/n; back through the transposed weights.
        let mut delta = vec![(acts[shapes.len()][0] - y) / n];
        for (l, &(din, dout)) in shapes.iter().enumerate().rev() {
            let (off, input) = (offsets[l], &acts[l]);
            for (p, a) in input.iter().enumerate() {
                for (j, dj) in delta.iter().enumerate() {
                    grad[off + p * dout + j] += a * dj;
                }
            }
            for (j, dj) in delta.iter().enumerate() {
                grad[off + din * dout + j] += dj;
            }
            delta = input
                .iter()
                .enumerate()
                .map(|(p, a)| delta.iter().enumerate().map(|(j, dj)| theta[off + p * dout + j] * dj).sum::<f64>() * a * (1.0 - a))
                .collect();
        }
    }
    (loss, grad, right)
}

/// The lecture's picture of a local minimum, with one weight: the two starts end at two
/// different minima, the higher a local one and the lower the global one, recomputed in f64
/// from each run's rows and its final weight.
#[test]
fn claim_the_perceptron_never_settles_on_noisy_clusters_and_momentum_is_faster() {
    let c = claim("perceptron");
    let dir = report().0.join("8_perceptron");
    let n = &c["numbers"]["noisy_blobs_settling"];
    let thetas = |run: &str| -> Vec<Vec<f64>> {
        let cols = csv_columns(&dir.join(run).join("metrics.csv"), &["w_x1", "w_x2", "b"]);
        (0..cols[0].len()).map(|k| cols.iter().map(|c| c[k]).collect()).collect()
    };
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let step = |a: &[f64], b: &[f64]| norm(&a.iter().zip(b).map(|(a, b)| b - a).collect::<Vec<_>>());
    // The perceptron rule replayed in f64 on the run's rows, in their order, from metrics.csv's
    // first θ: each epoch's θ as the run logged it (the same sums in the same order: exact), and
    // the mistakes of each epoch.
    let run = dir.join("perceptron_noisy_blobs");
    let data = train_set(&run.join("config.toml"));
    let logged = thetas("perceptron_noisy_blobs");
    assert_eq!(logged.len(), 201, "200 epochs and the start");
    let lr = 0.1;
    assert!(std::fs::read_to_string(run.join("config.toml")).unwrap().contains("lr = 0.1"), "the rule's η");
    let mut theta = logged[0].clone();
    let mut mistakes = Vec::new();
    for (epoch, want) in logged.iter().enumerate().skip(1) {
        let mut wrong = 0;
        for i in 0..data.len() {
            let x = data.row(i);
            let o = f64::from(u8::from(x[0] * theta[0] + x[1] * theta[1] + theta[2] >= 0.0));
            let err = data.y[i] - o;
            if err != 0.0 {
                wrong += 1;
                theta = vec![theta[0] + lr * err * x[0], theta[1] + lr * err * x[1], theta[2] + lr * err];
            }
        }
        mistakes.push(wrong);
        assert_eq!(&theta, want, "epoch {epoch}: the replayed θ against metrics.csv");
    }
    // Never settles: every one of the last 50 epochs misclassifies some row, so changes θ,
    // by over 1% of the final ‖θ‖ on average (a settled rule: 0).
    let last = 50;
    assert!(mistakes[mistakes.len() - last..].iter().all(|m| *m > 0), "{mistakes:?}");
    let share =
        |t: &[Vec<f64>]| t[t.len() - last - 1..].windows(2).map(|w| step(&w[0], &w[1])).sum::<f64>() / last as f64 / norm(&t[t.len() - 1]);
    let rule_share = share(&logged);
    assert!(rule_share > 0.01, "the perceptron's θ moves {rule_share} of ‖θ‖ per epoch");
    // Gradient descent settles: at its end θ, BCE's gradient (f64, from the rows) is small and
    // each full-batch update moves θ by η|∇C| (f32 training: to 1%), under 1e-4 of ‖θ‖.
    let gd = thetas("gd_noisy_blobs");
    let end = &gd[gd.len() - 1];
    let mut g = [0.0; 3];
    for i in 0..data.len() {
        let x = data.row(i);
        let e = sigmoid(x[0] * end[0] + x[1] * end[1] + end[2]) - data.y[i];
        for (gj, xj) in g.iter_mut().zip([x[0], x[1], 1.0]) {
            *gj += e * xj / data.len() as f64;
        }
    }
    let moved = step(&gd[gd.len() - 2], end);
    assert!((moved - lr * norm(&g)).abs() < 0.01 * moved, "the last update {moved} vs η|∇C| = {}", lr * norm(&g));
    let gd_share = share(&gd);
    assert!(gd_share < 1e-4, "gradient descent's θ moves {gd_share} of ‖θ‖ per update");
    // Momentum (β = 0.9 in its config) reaches plain descent's end loss + 1e-3 over 5 times sooner.
    let momentum = dir.join("gd_noisy_blobs_momentum");
    assert!(std::fs::read_to_string(momentum.join("config.toml")).unwrap().contains("momentum = 0.9"), "β");
    let near = *column(&dir.join("gd_noisy_blobs"), "loss").last().unwrap() + 1e-3;
    let (plain_steps, momentum_steps) =
        (first_step(&dir.join("gd_noisy_blobs"), "loss", |l| l <= near), first_step(&momentum, "loss", |l| l <= near));
    let (p, m) = (plain_steps.unwrap(), momentum_steps.unwrap());
    assert!(5 * m < p, "momentum {m} updates, plain {p}");
    // The report's numbers are these.
    close(num(n, &["perceptron_mean_step_share"]), rule_share, 1e-12, "perceptron's move per epoch");
    close(num(n, &["gd_mean_step_share"]), gd_share, 1e-12, "gradient descent's move per update");
    same_count(&n["perceptron_passes_that_moved"], Some(last), "epochs that moved θ");
    close(num(n, &["target_loss"]), near, 1e-12, "target loss");
    same_count(&n["gd_steps_to_target"], Some(p), "plain updates to the target");
    same_count(&n["momentum_steps_to_target"], Some(m), "momentum updates to the target");
    assert_states(c, 100.0 * rule_share, 0.5);
    assert_states(c, 100.0 * gd_share, 5e-5);
    assert_states(c, near, 5e-5);
    assert_states(c, p as f64, 0.0);
    assert_states(c, m as f64, 0.0);
    assert_holds(c);
}

#[test]
fn claim_one_weight_ends_in_a_local_and_the_global_minimum() {
    let c = claim("local_minima");
    let dir = report().0.join("9_local_minima");
    // C(w) = mean (σ(w·x) − y)² and C′(w) = mean 2 (σ − y) σ (1 − σ) x, written out here.
    let data = train_set(&dir.join("start_left/config.toml"));
    assert_eq!(data.dims(), 1, "one input, so one weight");
    let (x, y) = (data.x.clone(), data.y.clone());
    let loss = |w: f64| x.iter().zip(&y).map(|(x, y)| (sigmoid(w * x) - y).powi(2)).sum::<f64>() / y.len() as f64;
    let slope = |w: f64| {
        x.iter().zip(&y).map(|(x, y)| 2.0 * (sigmoid(w * x) - y) * sigmoid(w * x) * (1.0 - sigmoid(w * x)) * x).sum::<f64>()
            / y.len() as f64
    };
    let mut ends = Vec::new();
    for run in ["start_left", "start_right"] {
        let run = dir.join(run);
        assert_eq!(train_set(&run.join("config.toml")).x, data.x, "both starts see the same rows");
        let theta = neuron(&run);
        assert_eq!(theta.len(), 1, "{}: one weight and no bias", run.display());
        let w = theta[0];
        // A minimum: |C′| below 1e-4 (f32 training leaves about 1e-7) and C″ > 0, from a
        // central difference of C′ with step 1e-5 (error about 1e-10).
        let (g, curv) = (slope(w).abs(), (slope(w + 1e-5) - slope(w - 1e-5)) / 2e-5);
        assert!(g < 1e-4 && curv > 1e-6, "{}: |C′| {g}, C″ {curv} at w = {w}", run.display());
        // summary.json's loss is f32 at the same weight.
        let logged = summary(&run)["final_loss"].as_f64().unwrap();
        assert!((loss(w) - logged).abs() < 1e-6, "{}: f64 loss {}, summary {logged}", run.display(), loss(w));
        ends.push((column(&run, "w_x1")[0], w, loss(w), g, curv));
    }
    let (left, right) = (ends[0], ends[1]);
    assert!((left.1 - right.1).abs() > 0.1, "the two starts end at different weights: {left:?} {right:?}");
    assert!(left.2 - right.2 > 1e-3, "the left start ends higher: {left:?} {right:?}");
    // The lower end is the global minimum: nothing on a fine grid over [−20, 20], nor the limits
    // where every sigmoid has saturated, is lower.
    let lowest = (-2000..=2000).map(|k| f64::from(k) * 0.01).chain([-1e3, 1e3]).map(loss).fold(f64::INFINITY, f64::min);
    assert!(right.2 <= lowest + 1e-9, "global minimum {} but C reaches {lowest}", right.2);
    // A hill between the valleys: the highest C between the two ends is above both.
    let hill = (0..=1000).map(|k| left.1 + (right.1 - left.1) * f64::from(k) / 1000.0).map(loss).fold(f64::NEG_INFINITY, f64::max);
    assert!(hill > left.2 + 1e-3, "no hill between the valleys: {hill}");
    // The report's numbers are these.
    for (e, end) in c["numbers"]["two_valleys"].as_array().unwrap().iter().zip([left, right]) {
        close(num(e, &["start"]), end.0, 0.0, "start");
        close(num(e, &["w"]), end.1, 1e-12, "end weight");
        close(num(e, &["loss"]), end.2, 1e-12, "end loss");
        close(num(e, &["second_derivative"]), end.4, 1e-6, "C″");
        for (v, tol) in [(end.1, 5e-4), (end.2, 5e-5), (end.3, sci1(end.3)), (end.4, 5e-4)] {
            assert_states(c, v, tol);
        }
    }
    assert_states(c, hill, 1e-4);
    assert_holds(c);
}

#[test]
fn claim_every_end_point_is_classified_by_what_gradcheck_measures() {
    let c = claim("local_minima");
    let runs = runs_in(&report().0.join("9_local_minima/sweep/runs"));
    let config = report().0.join("configs/xor_mlp.toml");
    let ends = c["numbers"]["end_points"].as_array().unwrap();
    assert_eq!((runs.len(), ends.len()), (20, 20), "the verdict's 20 starts");
    // The claim's definitions, restated: |∇C| ≥ 1e-4 is still moving; below it, every Hessian
    // eigenvalue over 1e-6 is a minimum, one under −1e-6 a saddle, otherwise flat.
    const MOVING: f64 = 1e-4;
    const CURVED: f64 = 1e-6;
    let (mut solved, mut kinds, mut grads) = (0, Vec::new(), Vec::new());
    for (k, (run, e)) in runs.iter().zip(ends).enumerate() {
        assert!(run.ends_with(format!("{:02}_seed={}", k + 1, k + 1)), "{}", run.display());
        let s = summary(run);
        // Solved: every XOR row right (summary.json's accuracy, recounted below in f64).
        let is_solved = s["final_accuracy"].as_f64() == Some(1.0);
        solved += usize::from(is_solved);
        // The end point, in f64 from summary.json's parameters on the run's rows.
        let layers = s["parameters"]["layers"].as_array().unwrap();
        let (mut shapes, mut theta) = (Vec::new(), Vec::new());
        for l in layers {
            let w: Vec<Vec<f64>> = l["weights"].as_array().unwrap().iter().map(floats).collect();
            shapes.push((w.len(), w[0].len()));
            theta.extend(w.iter().flatten());
            theta.extend(floats(&l["bias"]));
        }
        let data = train_set(&run.join("config.toml"));
        let (loss, grad, right) = sigmoid_net(&shapes, &theta, &data);
        assert_eq!(right == data.len(), is_solved, "run {k}: {right} of {} rows right in f64", data.len());
        // summary.json's loss is f32 at the same parameters: within 1e-5.
        let logged = s["final_loss"].as_f64().unwrap();
        assert!((loss - logged).abs() < 1e-5, "run {k}: f64 loss {loss}, summary {logged}");
        let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        // The gradient at the end point from burn's autodiff (gdlab gradcheck) agrees with this
        // f64 backprop: f32 against f64, 1e-3 relative (about 1e-5 is usual at |∇C| ~ 1e-3), or
        // 1e-7 where f32 rounding of the gradient dominates.
        let o = gdlab(&["gradcheck", config.to_str().unwrap(), "--at", run.to_str().unwrap(), "--json"]);
        let rows: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
        let autodiff = rows.iter().map(|r| r["autodiff"].as_f64().unwrap().powi(2)).sum::<f64>().sqrt();
        assert!((autodiff - norm).abs() <= 1e-3 * norm + 1e-7, "run {k}: autodiff |∇C| {autodiff}, f64 {norm}");
        // The Hessian: central differences of the f64 gradient, step 1e-5 (truncation ~1e-10 times
        // the third derivative, rounding ~1e-11), symmetrised.
        let p = theta.len();
        let mut h = DMatrix::<f64>::zeros(p, p);
        for i in 0..p {
            let (mut up, mut down) = (theta.clone(), theta.clone());
            up[i] += 1e-5;
            down[i] -= 1e-5;
            let (gu, gd) = (sigmoid_net(&shapes, &up, &data).1, sigmoid_net(&shapes, &down, &data).1);
            for (j, (u, d)) in gu.iter().zip(&gd).enumerate() {
                h[(i, j)] = (u - d) / 2e-5;
            }
        }
        let h = (&h + h.transpose()) * 0.5;
        let mut eig: Vec<f64> = h.symmetric_eigenvalues().iter().copied().collect();
        eig.sort_by(f64::total_cmp);
        let (lo, hi) = (eig[0], eig[p - 1]);
        let kind = if norm >= MOVING {
            "moving"
        } else if lo < -CURVED {
            "saddle"
        } else if lo > CURVED {
            "minimum"
        } else {
            "flat"
        };
        // The report's numbers for this end point are these (f64 both: the gradient to 1e-6
        // relative, the eigenvalues to 1e-8 plus 1e-4 relative, for two difference steps).
        assert_eq!(e["kind"].as_str(), Some(kind), "run {k}: |∇C| {norm}, eigenvalues {lo} .. {hi}: {e}");
        assert_eq!(e["solved"].as_bool(), Some(is_solved), "run {k}");
        close(num(e, &["final_loss"]), logged, 1e-12, &format!("run {k}: final loss"));
        close(num(e, &["grad_norm"]), norm, 1e-6 * norm, &format!("run {k}: |∇C|"));
        close(num(e, &["min_eigenvalue"]), lo, 1e-8 + 1e-4 * lo.abs(), &format!("run {k}: smallest eigenvalue"));
        close(num(e, &["max_eigenvalue"]), hi, 1e-8 + 1e-4 * hi.abs(), &format!("run {k}: largest eigenvalue"));
        if !is_solved {
            // The verdict lists each unsolved run: loss, |∇C|, smallest and largest eigenvalue.
            for (v, tol) in [(logged, 5e-4), (norm, sci1(norm)), (lo, sci1(lo)), (hi, sci1(hi))] {
                assert_states(c, v, tol);
            }
        }
        kinds.push(kind);
        grads.push(norm);
    }
    // Different starts, different ends: some solve XOR, some do not.
    assert!(solved > 0 && solved < runs.len(), "{solved} of {} solved", runs.len());
    let n = &c["numbers"];
    same_count(&n["starts"], Some(runs.len()), "starts");
    same_count(&n["solved"], Some(solved), "solved");
    let count = |k: &str| kinds.iter().filter(|x| **x == k).count();
    for (key, kind) in [("minima", "minimum"), ("saddles", "saddle"), ("flat", "flat"), ("moving", "moving")] {
        same_count(&n[key], Some(count(kind)), key);
        assert_states(c, count(kind) as f64, 0.0);
    }
    let stalled = ends.iter().zip(&kinds).filter(|(e, k)| e["solved"] == false && **k == "minimum").count();
    same_count(&n["stalled_minima"], Some(stalled), "unsolved runs in a minimum");
    let (gmin, gmax) = grads.iter().fold((f64::INFINITY, 0.0f64), |(a, b), g| (a.min(*g), b.max(*g)));
    for v in [solved as f64, runs.len() as f64, stalled as f64] {
        assert_states(c, v, 0.0);
    }
    for v in [gmin, gmax] {
        assert_states(c, v, sci1(v));
    }
    assert_holds(c);
}

#[test]
fn the_committed_report_matches_a_fresh_run() {
    // artifacts/lecture is regenerated with `gdlab lecture` whenever an experiment changes.
    // Compared by verdict, holds, and measured numbers: each within 2% (or 1e-3), so a step
    // count near a threshold on another CPU does not fail it, while a changed result does.
    let committed: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(root().join("artifacts/lecture/lecture.json")).expect("committed report")).unwrap();
    let fresh = &report().1;
    assert_eq!(committed.len(), fresh.len());
    for (a, b) in committed.iter().zip(fresh) {
        assert_eq!(a["id"], b["id"]);
        assert_eq!(a["holds"], b["holds"]);
        for lang in ["ko", "en"] {
            let (x, y) = (numbers(a["verdict"][lang].as_str().unwrap()), numbers(b["verdict"][lang].as_str().unwrap()));
            assert_eq!(x.len(), y.len(), "{} {lang}: regenerate artifacts/lecture with `gdlab lecture`", a["id"]);
            for (u, v) in x.iter().zip(&y) {
                assert!((u - v).abs() <= 1e-3 + 0.02 * v.abs() || (u.is_nan() && v.is_nan()), "{} {lang}: {u} vs {v}", a["id"]);
            }
        }
    }
}

/// Particles (조사), and the copula's common forms (입니다, 이며), that must attach to the word
/// before them.
const PARTICLES: &[&str] = &[
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "와",
    "과",
    "의",
    "에",
    "로",
    "으로",
    "도",
    "만",
    "에서",
    "에서는",
    "에는",
    "로는",
    "보다",
    "까지",
    "부터",
    "처럼",
    "만큼",
    "와의",
    "과의",
    "입니다",
    "이며",
    "이고",
    "이지만",
    "이면",
];

/// Where the Korean report reads as template output: a particle set apart from the Latin
/// letter, digit, bracket or formula before it ("MSE 와"), 걸음 for an update (the lecture says
/// 업데이트 and 반복), and a placeholder ("-", NaN, an unfilled slot) inside a sentence. One
/// line per finding, with the sentence's start.
fn korean_seams(text: &str) -> Vec<String> {
    let hangul = |c: char| ('\u{AC00}'..='\u{D7A3}').contains(&c) || ('\u{3131}'..='\u{318E}').contains(&c);
    let mut found = Vec::new();
    for line in text.lines().filter(|l| !l.starts_with("![") && !l.starts_with("```")) {
        let quote = || line.chars().take(60).collect::<String>();
        let tokens: Vec<&str> = line.split(' ').collect();
        for w in tokens.windows(2) {
            let before = w[0].chars().last();
            let word = w[1].trim_end_matches(|c: char| ".,;:)!?".contains(c));
            // After a sentence's end "이" is the word "this", not a particle.
            if PARTICLES.contains(&word) && before.is_some_and(|c| !hangul(c) && !".,:;!?".contains(c)) {
                found.push(format!("particle apart: \"{} {}\" in \"{}\"", w[0], w[1], quote()));
            }
        }
        if line.contains("걸음") {
            found.push(format!("걸음 for an update in \"{}\"", quote()));
        }
        // A Markdown list item's "- " is a bullet, not a placeholder.
        let words = if tokens.first() == Some(&"-") { &tokens[1..] } else { &tokens[..] };
        for t in words {
            let bare = t.trim_matches(|c: char| "().,;:".contains(c));
            if bare == "-" || bare.contains("NaN") || t.contains("{{") || t.contains("}}") || t.contains("{%") {
                found.push(format!("placeholder {t:?} in \"{}\"", quote()));
            }
        }
    }
    found
}

#[test]
fn the_korean_report_reads_as_written() {
    let ko = std::fs::read_to_string(report().0.join("REPORT.ko.md")).unwrap();
    let seams = korean_seams(&ko);
    assert!(seams.is_empty(), "REPORT.ko.md, {} findings:\n{}", seams.len(), seams.join("\n"));
}

#[test]
fn the_korean_check_finds_each_kind_of_seam() {
    for bad in [
        "MSE 와 MAE",
        "b 를 늘립니다",
        "0.1 에 닿았습니다",
        "σ′ 가 큰 곳",
        "(a − b)² 입니다",
        "673 걸음 만에",
        "걸음 수: -;",
        "값은 NaN 입니다",
        "- 업데이트 수: - 번",
    ] {
        assert!(!korean_seams(bad).is_empty(), "{bad}");
    }
    for good in ["MSE와 MAE", "b를 늘립니다", "673번 업데이트 만에", "이 폴더의 실행", "−2에서 3까지", "- 실험실에서 열어 보세요."]
    {
        assert!(korean_seams(good).is_empty(), "{good}: {:?}", korean_seams(good));
    }
}

/// The technical terms a reader may need explained (KOREAN.md's vocabulary and the standard
/// terms a teacher adds), Korean and English.
const TERMS: &[(&str, &str)] = &[
    ("연결강도", "weight"),
    ("편향", "bias"),
    ("파라미터", "parameter"),
    ("손실함수", "loss function"),
    ("오차", "error"),
    ("MSE", "MSE"),
    ("MAE", "MAE"),
    ("교차 엔트로피", "cross-entropy"),
    ("시그모이드", "sigmoid"),
    ("계단 함수", "step function"),
    ("경사하강법", "gradient descent"),
    ("학습률", "learning rate"),
    ("기울기", "slope"),
    ("편미분", "partial derivative"),
    ("Taylor 근사", "Taylor approximation"),
    ("퍼셉트론", "perceptron"),
    ("델타 규칙", "delta rule"),
    ("역전파", "backpropagation"),
    ("지역 최솟값", "local minimum"),
    ("안장점", "saddle point"),
    ("헤시안", "Hessian"),
    ("고윳값", "eigenvalue"),
    ("이상치", "outlier"),
    ("에폭", "epoch"),
    ("정규방정식", "normal equations"),
];

/// The glossary's terms (the bold start of each entry) and the report before the glossary.
fn glossary_of(report: &str, heading: &str) -> (String, Vec<String>) {
    let at = report.find(&format!("## {heading}\n")).unwrap_or_else(|| panic!("no glossary heading {heading:?}"));
    let terms =
        report[at..].lines().filter_map(|l| l.strip_prefix("- **").and_then(|r| r.split_once("**")).map(|(t, _)| t.to_string())).collect();
    (report[..at].to_string(), terms)
}

#[test]
fn the_glossary_explains_every_term_the_report_uses() {
    let dir = &report().0;
    for (file, heading, korean) in [("REPORT.ko.md", "용어 풀이", true), ("REPORT.md", "Glossary", false)] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        let (body, terms) = glossary_of(&text, heading);
        assert!(terms.len() >= TERMS.len(), "{file}: {} glossary entries", terms.len());
        let mut missing = Vec::new();
        for (ko, en) in TERMS {
            let term = if korean { *ko } else { *en };
            let used = body.to_lowercase().contains(&term.to_lowercase());
            if used && !terms.iter().any(|t| t.to_lowercase().contains(&term.to_lowercase())) {
                missing.push(term);
            }
        }
        assert!(missing.is_empty(), "{file}: used but not in the glossary: {missing:?}");
        // Sorted as a reader looks a term up.
        let lower: Vec<String> = terms.iter().map(|t| t.to_lowercase()).collect();
        assert!(lower.windows(2).all(|w| w[0] <= w[1]), "{file}: the glossary is not in order: {terms:?}");
    }
    // The check can fail: a report using a term its glossary lacks.
    let (body, terms) = glossary_of("안장점이 있다\n## 용어 풀이\n- **편향**: b\n", "용어 풀이");
    assert!(body.contains("안장점") && !terms.iter().any(|t| t.contains("안장점")));
}
