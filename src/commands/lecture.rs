//! `gdlab lecture`: the claims of the lecture (경사하강법), in lecture order, as runs, figures and
//! verdicts computed from the measured numbers, in Korean and English: REPORT.ko.md,
//! REPORT.md, index.html (both, with a switch) and lecture.json. Each verdict is two templates
//! filled with the same numbers; `holds` is decided by those numbers, and tests/lecture.rs
//! checks each claim on the runs independently of this code's thresholds.

use crate::commands::inspect::{self, TaylorOptions};
use crate::commands::perceptron;
use crate::commands::surface::{self, SurfaceOptions};
use crate::commands::sweep::{self, RunRow, SweepOptions};
use crate::config;
use crate::error::GdlabError;
use crate::report::plot::{self, LineChart, Series};
use crate::run::artifacts;
use crate::run::{self, TrainOptions};
use crate::train::experiment;
use serde::Serialize;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// The shipped configs the lecture runs (embedded, so the report can be made from any
/// directory); each is written into the report's configs/ under its file name.
const CONFIGS: &[&str] = &[
    "configs/lecture/parabola.toml",
    "configs/lecture/least_squares.toml",
    "configs/lecture/bias_sigmoid.toml",
    "configs/lecture/saturated_start.toml",
    "configs/lecture/outliers.toml",
    "configs/lecture/error_area.toml",
    "configs/lecture/sigmoid_surface.toml",
    "configs/lecture/gates.toml",
    "configs/lecture/noisy_blobs.toml",
    "configs/xor_mlp.toml",
    "configs/linear_regression.toml",
];

/// A sentence in the lecture's language and in English. Verdicts fill both templates from the
/// same measured numbers (tests/lecture.rs checks that the numbers agree).
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

fn text(ko: impl Into<String>, en: impl Into<String>) -> Text {
    Text { ko: ko.into(), en: en.into() }
}

/// The report's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Lang {
    /// Korean: REPORT.ko.md.
    Ko,
    /// English: REPORT.md.
    En,
    /// Both reports, and index.html with a language switch.
    Both,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        if lang == Lang::Ko { &self.ko } else { &self.en }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Claim {
    pub id: &'static str,
    /// The lecture's teaching points this claim shows (numbers of ../shared/lecture's list).
    pub points: &'static [u32],
    /// A short quote of the lecture naming the point.
    pub quote: &'static str,
    pub title: Text,
    pub statement: Text,
    /// Filled in from the measurements.
    pub verdict: Text,
    /// Whether the measurements support the statement.
    pub holds: bool,
    /// Figure paths relative to the report folder (without extension: .svg and .png exist).
    pub figures: Vec<String>,
    pub numbers: serde_json::Value,
}

struct Lab {
    dir: PathBuf,
    never: AtomicBool,
}

impl Lab {
    fn config(&self, name: &str) -> PathBuf {
        self.dir.join("configs").join(format!("{name}.toml"))
    }

    /// Trains `name` with overrides into `<claim>/<run>`.
    fn train(&self, name: &str, sets: &[&str], claim: &str, run: &str) -> Result<RunRow, GdlabError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let loaded = config::load(&self.config(name), &sets)?;
        let out = self.dir.join(claim).join(run);
        run::train(loaded, &TrainOptions { out: Some(out.clone()), quiet: true }, &self.never)?;
        RunRow::read(run.to_string(), &out)
    }

    fn perceptron(&self, name: &str, sets: &[&str], claim: &str, run: &str) -> Result<RunRow, GdlabError> {
        let sets: Vec<String> = sets.iter().map(|s| s.to_string()).collect();
        let loaded = config::load(&self.config(name), &sets)?;
        let out = self.dir.join(claim).join(run);
        perceptron::perceptron(loaded, Some(&out), &self.never)?;
        RunRow::read(run.to_string(), &out)
    }

    fn rel(&self, p: &Path) -> String {
        p.strip_prefix(&self.dir).unwrap_or(p).with_extension("").display().to_string()
    }
}

/// A metrics column of a run (NaN where empty; empty when the column is missing).
fn column(run: &Path, name: &str) -> Vec<f64> {
    artifacts::metrics_columns(run, &[name]).map(|mut c| c.remove(0)).unwrap_or_default()
}

/// First logged step whose `col` satisfies `pred`.
fn first_step(run: &Path, col: &str, pred: impl Fn(f64) -> bool) -> Option<usize> {
    let steps = column(run, "step");
    column(run, col).iter().zip(&steps).find(|(v, _)| pred(**v)).map(|(_, s)| *s as usize)
}

/// A line chart at the report's figure size, written as `dir/stem.svg` and `dir/stem.png`.
fn line_figure(dir: &Path, stem: &str, chart: LineChart) -> Result<(), GdlabError> {
    plot::write(dir, stem, (900, 560), &chart).map_err(GdlabError::io(format!("cannot write the {stem} figure")))
}

fn yes(b: bool) -> &'static str {
    if b { "holds" } else { "DOES NOT HOLD" }
}

fn yes_ko(b: bool) -> &'static str {
    if b { "성립" } else { "성립하지 않음" }
}

/// Largest eigenvalue of the least-squares Hessian H = (2/n) A^T A, A = [X | 1], by power
/// iteration in f64: gradient descent on MSE is stable for lr < 2 / lambda_max.
pub fn lambda_max(x: &[f64], n: usize, d: usize) -> f64 {
    let k = d + 1;
    let mut h = vec![0.0; k * k];
    for i in 0..n {
        let row: Vec<f64> = x[i * d..(i + 1) * d].iter().copied().chain([1.0]).collect();
        for a in 0..k {
            for b in 0..k {
                h[a * k + b] += 2.0 * row[a] * row[b] / n as f64;
            }
        }
    }
    let mut v = vec![1.0; k];
    let mut lambda = 0.0;
    for _ in 0..500 {
        let w: Vec<f64> = (0..k).map(|a| (0..k).map(|b| h[a * k + b] * v[b]).sum()).collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        lambda = norm / v.iter().map(|x| x * x).sum::<f64>().sqrt();
        v = w.iter().map(|x| x / norm).collect();
    }
    lambda
}

/// How a run behaved: "diverges", "oscillates" (successive updates mostly point in opposite
/// directions), "slow" (the loss above `floor`, the best any run of the sweep reached, is
/// still more than 1e-3 of what it was at the start) or "converges".
fn behaviour(run: &Path, names: &[String], floor: f64) -> &'static str {
    let loss = column(run, "loss");
    let (first, last) = (loss[0], *loss.last().unwrap());
    if !last.is_finite() || last > first {
        return "diverges";
    }
    let cols: Vec<Vec<f64>> = names.iter().map(|n| column(run, n)).collect();
    let steps = cols[0].len();
    let delta = |k: usize| cols.iter().map(|c| c[k + 1] - c[k]).collect::<Vec<f64>>();
    let (mut flips, mut total) = (0, 0);
    for k in 0..steps.saturating_sub(2) {
        let (a, b) = (delta(k), delta(k + 1));
        let dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        if dot != 0.0 {
            total += 1;
            flips += usize::from(dot < 0.0);
        }
    }
    if last - floor > (first - floor) * 1e-3 && flips * 2 <= total {
        "slow"
    } else if flips * 2 > total {
        "oscillates"
    } else {
        "converges"
    }
}

fn parabola(lab: &Lab) -> Result<Claim, GdlabError> {
    let run = lab.train("parabola", &[], "4_parabola", "descent")?;
    // A start right of the vertex: the slope is positive there, so b must decrease.
    let right = lab.train("parabola", &["model.start.bias=8.0"], "4_parabola", "from_the_right")?;
    let a = 3.0;
    let toward = |b: &[f64]| b.windows(2).all(|w| (a - w[0]).signum() == (w[1] - w[0]).signum() || w[1] == w[0]);
    let shrink = |b: &[f64]| b.windows(3).all(|w| (w[2] - w[1]).abs() <= (w[1] - w[0]).abs() + 1e-12);
    let (b, br) = (column(&run.dir, "b"), column(&right.dir, "b"));
    let (toward_l, toward_r) = (toward(&b), toward(&br));
    let steps_shrink = shrink(&b) && shrink(&br);
    let (end, end_r) = (*b.last().unwrap(), *br.last().unwrap());
    let slope_end = -2.0 * (a - end);
    // The figure: the parabola, the iterates from both sides, one tangent segment per iterate
    // (a colour of its own, in the legend).
    let curve: Vec<(f64, f64)> = (0..=200).map(|k| -3.0 + 12.0 * k as f64 / 200.0).map(|x| (x, (a - x) * (a - x))).collect();
    let tangents = |b: &[f64]| -> Vec<[(f64, f64); 2]> {
        b.iter()
            .take(5)
            .map(|&x| ((a - x) * (a - x), -2.0 * (a - x), x))
            .map(|(c, m, x)| [(x - 0.7, c - 0.7 * m), (x + 0.7, c + 0.7 * m)])
            .collect()
    };
    let on_curve = |b: &[f64]| b.iter().map(|&x| (x, (a - x) * (a - x))).collect::<Vec<_>>();
    let series = vec![
        Series::line("C(b) = (3 − b)²", curve),
        Series::dots("b_k from b₀ = −2 (slope < 0: b grows)", on_curve(&b)),
        Series::dots("b_k from b₀ = 8 (slope > 0: b shrinks)", on_curve(&br)),
        Series::segments("tangents at the first five b_k", [tangents(&b), tangents(&br)].concat()),
    ];
    let fig = lab.dir.join("4_parabola").join("parabola");
    line_figure(
        fig.parent().unwrap(),
        "parabola",
        LineChart {
            title: "C(b) = (3 − b)², η = 0.1: iterates from both sides and their tangents",
            x_label: "b",
            y_label: "C(b)",
            series: &series,
            log_y: Some(false),
        },
    )?;
    // Point 17: the slope Δy/Δx of a secant from b₀ tends to the tangent's dC/db as Δb shrinks;
    // autodiff's |∂C/∂b| at b₀ is the run's own grad_norm at step 0.
    let c = |x: f64| (a - x) * (a - x);
    let b0 = b[0];
    let secants: Vec<f64> = [1.0, 0.1, 0.01].iter().map(|h| (c(b0 + h) - c(b0)) / h).collect();
    let autodiff = column(&run.dir, "grad_norm")[0];
    let tangent = -2.0 * (a - b0);
    let secants_close =
        secants.windows(2).all(|w| (w[1] - tangent).abs() < (w[0] - tangent).abs()) && (autodiff - tangent.abs()).abs() < 1e-4;
    let holds = toward_l && toward_r && steps_shrink && (end - a).abs() < 1e-3 && (end_r - a).abs() < 1e-3 && secants_close;
    let n = b.len() - 1;
    let [s1, s01, s001] = [secants[0], secants[1], secants[2]];
    let visits = b.len();
    Ok(Claim {
        id: "parabola",
        points: &[1, 14, 15, 16, 17, 18, 19],
        quote: "접선의 기울기가 0",
        title: text("포물선 위의 경사하강법", "Descent on a parabola"),
        statement: text(
            "n = 1, 매개변수 하나일 때 손실함수는 포물선 C(b) = (a − b)² 입니다. 접선의 기울기 ∂C/∂b 가 음수이면 b 를 늘리고 양수이면 줄입니다 (Δb = −η·∂C/∂b). 기울기가 클수록 걸음이 크고, 반복점은 접선의 기울기가 0 인 꼭짓점 b = a 에 이릅니다. 눈은 그래프에서 최솟점을 바로 보지만 기계는 곡선 전체를 보지 못합니다: 서 있는 곳의 C 와 기울기만 압니다. 기울기는 직선에서는 Δy/Δx, 곡선에서는 Δx 를 줄여 간 극한 dy/dx(접선의 기울기)입니다.",
            "With n = 1 and one parameter the loss is the parabola C(b) = (a − b)². A negative slope ∂C/∂b means increase b, a positive one decrease it (Δb = −η·∂C/∂b); a bigger slope gives a bigger step, and the iterates reach the vertex b = a, where the tangent's slope is 0. The eye sees the minimum on the graph; the machine never sees the curve, only C and its slope where it stands. A slope is Δy/Δx on a line and, on a curve, the limit dy/dx as Δx shrinks (the tangent's slope).",
        ),
        verdict: text(
            format!(
                "{}: b₀ = −2 (기울기 음수) 에서는 모든 걸음이 b 를 늘렸고 ({toward_l}), b₀ = 8 (기울기 양수) 에서는 모든 걸음이 b 를 줄였습니다 ({toward_r}). 걸음은 기울기와 함께 줄었고 ({steps_shrink}), {n} 걸음 뒤 b = {end:.6} 과 {end_r:.6} (최솟점 3, 그곳의 기울기 {slope_end:.2e}). 경사하강법은 C 와 기울기를 방문한 {visits} 개의 점에서만 계산했습니다. b₀ = −2 에서 할선의 기울기 ΔC/Δb 는 Δb = 1, 0.1, 0.01 일 때 {s1:.3}, {s01:.3}, {s001:.3} 으로 접선의 기울기 dC/db = {tangent:.3} 에 다가가고, autodiff 의 |∂C/∂b| 는 {autodiff:.4} 입니다.",
                yes_ko(holds)
            ),
            format!(
                "{}: from b₀ = −2 (negative slope) every step increased b ({toward_l}); from b₀ = 8 (positive slope) every step decreased it ({toward_r}); steps shrank with the slope ({steps_shrink}); after {n} steps b = {end:.6} and {end_r:.6} (the minimum is 3, the slope there {slope_end:.2e}). Descent computed C and its slope at the {visits} points it visited, nowhere else. At b₀ = −2 the secant slope ΔC/Δb is {s1:.3}, {s01:.3}, {s001:.3} for Δb = 1, 0.1, 0.01, approaching the tangent's dC/db = {tangent:.3}; autodiff's |∂C/∂b| is {autodiff:.4}.",
                yes(holds)
            ),
        ),
        holds,
        figures: vec![lab.rel(&fig), lab.rel(&run.dir.join("loss"))],
        numbers: json!({ "secant_slopes": secants, "tangent_slope": tangent, "autodiff_slope_magnitude": autodiff, "visited": visits, "final_b": end, "final_b_from_right": end_r, "a": a, "moved_toward_a": toward_l, "moved_toward_a_from_right": toward_r, "steps_shrink": steps_shrink }),
    })
}

/// First step at which the loss's excess over `floor` (the best any rate reached) is at most
/// `fraction` of its excess at the start (None: never in the run).
fn steps_to_fraction(run: &Path, floor: f64, fraction: f64) -> Option<usize> {
    let first = column(run, "loss").first().copied()?;
    first_step(run, "loss", |l| l - floor <= (first - floor) * fraction)
}

fn learning_rate(lab: &Lab) -> Result<Claim, GdlabError> {
    let mut parts_en = Vec::new();
    let mut parts_ko = Vec::new();
    let mut numbers = serde_json::Map::new();
    let mut figures = Vec::new();
    let mut holds = true;
    // Multiples of the stability limit lr* = 2/λ_max; 0.5 lr* = 1/λ_max is, for (a − b)²,
    // the rate that lands on the minimum in one step.
    let factors = [0.005, 0.2, 0.5, 0.7, 0.95, 1.05, 1.5];
    for (name, en, ko) in [("parabola", "parabola (3 − b)²", "포물선 (3 − b)²"), ("least_squares", "least squares", "최소제곱")]
    {
        let exp = experiment::prepare(config::load(&lab.config(name), &[])?)?;
        let t = &exp.splits.train;
        let theory = 2.0 / lambda_max(&t.x, t.len(), t.dims());
        // Four significant digits: plain labels, and the factors are what is reported.
        let lrs: Vec<String> = factors.iter().map(|f| plot::format_tick(f * theory)).collect();
        let dir = lab.dir.join("5_learning_rate").join(name);
        let sweep::Comparison { dir: sdir, rows, .. } = sweep::sweep(
            &lab.config(name),
            &SweepOptions {
                axes: vec![format!("optimizer.lr={}", lrs.join(","))],
                until_loss: None,
                jobs: None,
                out: Some(dir),
                progress: false,
                launcher: sweep::Launcher::Local,
            },
            &AtomicBool::new(false),
        )?
        .done()?;
        let floor = rows.iter().map(|r| r.final_loss).filter(|l| l.is_finite()).fold(f64::INFINITY, f64::min);
        let kinds: Vec<&str> = rows.iter().map(|r| behaviour(&r.dir, &exp.param_names, floor)).collect();
        let stable_max = factors.iter().zip(&kinds).filter(|(_, k)| **k != "diverges").map(|(f, _)| *f).fold(0.0, f64::max);
        let diverge_min = factors.iter().zip(&kinds).filter(|(_, k)| **k == "diverges").map(|(f, _)| *f).fold(f64::INFINITY, f64::min);
        let bracket = stable_max < 1.0 && diverge_min > 1.0 && stable_max < diverge_min;
        let all_four = ["slow", "converges", "oscillates", "diverges"].iter().all(|k| kinds.contains(k));
        // Fastest: fewest steps to bring the loss's excess over the best reached to 1e-4 of
        // its start (least squares has a noise floor; the parabola's is 0).
        let speed: Vec<Option<usize>> = rows.iter().map(|r| steps_to_fraction(&r.dir, floor, 1e-4)).collect();
        let (fastest, fastest_steps) = factors
            .iter()
            .zip(&speed)
            .filter_map(|(f, s)| s.map(|s| (*f, s)))
            .min_by_key(|(_, s)| *s)
            .map_or((f64::NAN, None), |(f, s)| (f, Some(s)));
        holds &= bracket && all_four && fastest_steps.is_some();
        let fastest_kind = factors.iter().position(|f| *f == fastest).map_or("-", |i| kinds[i]);
        let list = factors.iter().map(|f| format!("{f}")).collect::<Vec<_>>().join("/");
        let steps_list = speed.iter().map(|s| s.map_or("-".into(), |s| s.to_string())).collect::<Vec<_>>().join("/");
        let ko_kinds: Vec<&str> = kinds.iter().map(|k| behaviour_ko(k)).collect();
        parts_en.push(format!(
            "{en}: lr* = 2/λ_max = {theory:.4}; lr = {list} lr* behave as {}; steps until the loss above the best reached falls to 1e-4 of its start {steps_list}; fastest {fastest} lr* ({fastest_kind}); stable up to {stable_max} lr*, diverging from {diverge_min} lr*",
            kinds.join("/")
        ));
        parts_ko.push(format!(
            "{ko}: lr* = 2/λ_max = {theory:.4}; 학습률 {list} lr* 의 결과는 {}; 최저 손실 위의 남은 손실이 처음의 1e-4 배가 되기까지 걸음 수 {steps_list}; 가장 빠른 것은 {fastest} lr* ({}); {stable_max} lr* 까지 안정, {diverge_min} lr* 부터 발산",
            ko_kinds.join("/"),
            behaviour_ko(fastest_kind)
        ));
        numbers.insert(
            name.into(),
            json!({ "theory_lr": theory, "factors": factors, "behaviour": kinds, "stable_max_factor": stable_max, "diverge_min_factor": diverge_min, "steps_to_1e-4": speed, "fastest_factor": fastest }),
        );
        if name == "parabola" {
            // The iterates b_k themselves: a loss curve cannot show a zigzag, b_k can.
            let series: Vec<Series> = factors
                .iter()
                .zip(&rows)
                .map(|(f, r)| {
                    let b = column(&r.dir, "b");
                    let pts = b.iter().enumerate().map(|(k, v)| (k as f64, *v)).filter(|(_, v)| v.abs() < 20.0).collect();
                    Series::line(format!("η = {} ({f} lr*)", plot::format_tick(f * theory)), pts)
                })
                .chain([Series::line("b* = 3", vec![(0.0, 3.0), (40.0, 3.0)])])
                .collect();
            let fig = lab.dir.join("5_learning_rate");
            line_figure(
                &fig,
                "iterates",
                LineChart {
                    title: "b_k on (3 − b)² for each learning rate (|b| > 20 not drawn)",
                    x_label: "step k",
                    y_label: "b_k",
                    series: &series,
                    log_y: Some(false),
                },
            )?;
            figures.push(lab.rel(&fig.join("iterates")));
        }
        figures.push(lab.rel(&sdir.join("sweep_loss")));
    }
    Ok(Claim {
        id: "learning_rate",
        points: &[19, 27],
        quote: "학습률",
        title: text("학습률", "The learning rate"),
        statement: text(
            "너무 작은 학습률은 느리고, 알맞은 학습률은 수렴하고, 큰 학습률은 진동하며(이어지는 두 걸음이 반대 방향: 포물선에서는 b_k − b* 의 부호가 매번 바뀜), 더 크면 발산합니다. 경계는 (a − b)² 에서 η = 1, 최소제곱에서 2/λ_max (헤시안의 가장 큰 고윳값) 입니다. 진동한다고 나쁜 것은 아닙니다: (a − b)² 에서는 η = 1/λ_max = 0.5 가 한 걸음에 최솟점에 닿고, 그보다 조금 큰 학습률도 작은 학습률보다 빠릅니다. (손실이 1e-13 근처에서 멈추는 것은 f32 의 b 가 3 에서 약 3e-7 이내까지만 다가가기 때문입니다: (3e-7)² ≈ 1e-13.)",
            "Too small is slow, a good rate converges, a large one oscillates (successive updates point in opposite directions: on the parabola b_k − b* changes sign every step), larger still diverges; the threshold is η = 1 for (a − b)² and 2/λ_max (the Hessian's largest eigenvalue) for least squares. Oscillating is not bad in itself: on (a − b)², η = 1/λ_max = 0.5 lands on the minimum in one step, and a somewhat larger rate is still faster than a small one. (The losses stop near 1e-13: b in f32 is within about 3e-7 of 3, and (3e-7)² ≈ 1e-13.)",
        ),
        verdict: text(format!("{}: {}.", yes_ko(holds), parts_ko.join("; ")), format!("{}: {}.", yes(holds), parts_en.join("; "))),
        holds,
        figures,
        numbers: numbers.into(),
    })
}

fn behaviour_ko(kind: &str) -> &'static str {
    match kind {
        "slow" => "느림",
        "converges" => "수렴",
        "oscillates" => "진동하며 수렴",
        "diverges" => "발산",
        _ => "-",
    }
}

fn bias(lab: &Lab) -> Result<Claim, GdlabError> {
    let with = lab.train("bias_sigmoid", &[], "1_bias", "with_bias")?;
    let without = lab.train("bias_sigmoid", &["model.bias=false"], "1_bias", "without_bias")?;
    let target = 0.1;
    let (sw, so) = (with.steps_to(target), without.steps_to(target));
    let best_without = column(&without.dir, "loss").into_iter().fold(f64::INFINITY, f64::min);
    let holds = match (sw, so) {
        (Some(a), Some(b)) => a * 5 < b,
        (Some(_), None) => true,
        _ => false,
    };
    let cdir = sweep::compare(
        &[with.dir.clone(), without.dir.clone()],
        &[],
        Some(target),
        Some(&lab.dir.join("1_bias").join("compare")),
        Some("Blobs around x = 3 and x = 5: sigmoid neuron with and without a bias (BCE)"),
        &AtomicBool::new(false),
    )?
    .dir;
    let (sw_s, so_s) = (sw.map_or("-".into(), |s| s.to_string()), so.map_or("-".into(), |s| s.to_string()));
    let steps = without.steps;
    Ok(Claim {
        id: "bias",
        points: &[2, 3, 4],
        quote: "기울기가 급해지기",
        title: text("편향은 시그모이드를 옮긴다", "A bias moves the sigmoid"),
        statement: text(
            "편향이 있으면 시그모이드의 가파른 부분(σ′ 가 큰 곳)을 입력이 있는 곳으로 옮길 수 있습니다. 입력이 x ≈ 3 과 5 에 모여 있으면, 편향 없는 σ(w·x) 는 언제나 x = 0 에서 ½ 을 지나므로 두 무리 사이에 경계를 둘 수 없습니다.",
            "A bias lets the steep part of the sigmoid (where σ′ is large) move to where the inputs are. With inputs around x ≈ 3 and 5, σ(w·x) without a bias always crosses ½ at x = 0, so its boundary cannot sit between the two clusters.",
        ),
        verdict: text(
            format!(
                "{}: 편향이 있으면 손실이 {target} 에 {sw_s} 걸음 만에 닿았고, 편향이 없으면 {steps} 걸음 동안 닿지 못했습니다 (걸음 수: {so_s}; 가장 낮은 손실 {best_without:.3}).",
                yes_ko(holds)
            ),
            format!(
                "{}: with a bias the loss reached {target} after {sw_s} steps; without one it did not in {steps} steps (steps: {so_s}; best loss {best_without:.3}).",
                yes(holds)
            ),
        ),
        holds,
        figures: vec![lab.rel(&cdir.join("compare_loss"))],
        numbers: json!({ "target": target, "steps_with_bias": sw, "steps_without_bias": so, "best_loss_without_bias": best_without }),
    })
}

fn cross_entropy(lab: &Lab) -> Result<Claim, GdlabError> {
    let bce = lab.train("saturated_start", &[], "3_cross_entropy", "bce")?;
    let mse = lab.train("saturated_start", &["loss.kind=\"mse\""], "3_cross_entropy", "mse")?;
    let to90 = |r: &RunRow| first_step(&r.dir, "accuracy", |a| a >= 0.9);
    let (sb, sm) = (to90(&bce), to90(&mse));
    let g0 = |r: &RunRow| column(&r.dir, "grad_norm")[0];
    let holds = match (sb, sm) {
        (Some(a), Some(b)) => a * 5 <= b,
        (Some(_), None) => true,
        _ => false,
    };
    // Accuracy over steps, one figure for both losses.
    let series: Vec<Series> = [(&bce, "binary cross-entropy"), (&mse, "mean squared error")]
        .iter()
        .map(|(r, n)| Series::line(*n, column(&r.dir, "step").into_iter().zip(column(&r.dir, "accuracy")).collect()))
        .collect();
    let dir = lab.dir.join("3_cross_entropy");
    line_figure(
        &dir,
        "accuracy",
        LineChart {
            title: "From a saturated wrong start (w = [-6, 6]): training accuracy",
            x_label: "step",
            y_label: "accuracy",
            series: &series,
            log_y: Some(false),
        },
    )?;
    let (b90, m90) = (sb.map_or("-".into(), |s| s.to_string()), sm.map_or("-".into(), |s| s.to_string()));
    let (gb, gm) = (g0(&bce), g0(&mse));
    let ratio = gb / gm;
    // The first 100 steps, where BCE does all its work (the full run squeezes it to the axis).
    let zoom: Vec<Series> =
        series.iter().map(|s| Series::line(s.name.clone(), s.points.iter().copied().filter(|p| p.0 <= 100.0).collect())).collect();
    line_figure(
        &dir,
        "accuracy_first_100",
        LineChart { title: "The same, first 100 steps", x_label: "step", y_label: "accuracy", series: &zoom, log_y: Some(false) },
    )?;
    Ok(Claim {
        id: "cross_entropy",
        points: &[12, 13],
        quote: "학습속도가 빠르다",
        title: text("시그모이드에서는 교차 엔트로피가 MSE 보다 빨리 배운다", "Cross-entropy learns faster than MSE with a sigmoid"),
        statement: text(
            "자신 있게 틀린(포화된) 시작점에서 BCE 는 MSE 보다 훨씬 적은 걸음에 빠져나옵니다. 출력층의 오차 신호가 BCE 에서는 a − y 이지만, MSE 에서는 2(a − y)·a(1 − a) 로 포화된 시그모이드의 기울기 a(1 − a) 가 곱해지기 때문입니다.",
            "From a confidently wrong (saturated) start, BCE escapes in far fewer steps than MSE: the output error signal is a − y for BCE but 2(a − y)·a(1 − a) for MSE, which carries the saturated sigmoid's slope a(1 − a).",
        ),
        verdict: text(
            format!(
                "{}: 학습 정확도 90% 까지 BCE 는 {b90} 걸음, MSE 는 {m90} 걸음. 시작점의 기울기 크기 |∇C| 는 BCE {gb:.3e}, MSE {gm:.3e} 로 {ratio:.1} 배 차이입니다 (행마다의 a(1 − a) 와 MSE 의 인수 2 가 섞인 값이며, a(1 − a) 하나만은 아닙니다).",
                yes_ko(holds)
            ),
            format!(
                "{}: 90% training accuracy after {b90} steps with BCE and {m90} with MSE; at the start |∇C| was {gb:.3e} (BCE) and {gm:.3e} (MSE), a factor of {ratio:.1} (a mix of each row's a(1 − a) and MSE's factor 2, not a(1 − a) alone).",
                yes(holds)
            ),
        ),
        holds,
        figures: vec![lab.rel(&dir.join("accuracy_first_100")), lab.rel(&dir.join("accuracy"))],
        numbers: json!({ "steps_to_90_bce": sb, "steps_to_90_mse": sm, "grad_norm_start_bce": gb, "grad_norm_start_mse": gm }),
    })
}

fn mae(lab: &Lab) -> Result<Claim, GdlabError> {
    let mse = lab.train("outliers", &[], "2_mse_mae", "mse")?;
    let mae = lab.train("outliers", &["loss.kind=\"mae\""], "2_mse_mae", "mae")?;
    let line = |r: &RunRow| {
        // A neuron of two parameters: summary.json lists them.
        let p = r.summary.as_ref().and_then(|s| s.parameters.as_ref()).map(|p| p.flat()).unwrap_or_default();
        (p.first().copied().unwrap_or(f64::NAN), p.get(1).copied().unwrap_or(f64::NAN))
    };
    let (wm, bm) = line(&mse);
    let (wa, ba) = line(&mae);
    let dist = |w: f64, b: f64| ((w - 2.0).powi(2) + (b - 0.5).powi(2)).sqrt();
    let (dm, da) = (dist(wm, bm), dist(wa, ba));
    let holds = da * 5.0 < dm;
    // The data and both fitted lines.
    let exp = experiment::prepare(config::load(&lab.config("outliers"), &[])?)?;
    let t = &exp.splits.train;
    let pts: Vec<(f64, f64)> = (0..t.len()).map(|i| (t.row(i)[0], t.y[i])).collect();
    let (lo, hi) = pts.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let fit = |w: f64, b: f64| vec![(lo, w * lo + b), (hi, w * hi + b)];
    // The true line as markers on top: the MAE fit lies almost on it.
    let marks: Vec<(f64, f64)> = (0..=12).map(|k| lo + (hi - lo) * k as f64 / 12.0).map(|x| (x, 2.0 * x + 0.5)).collect();
    let series = vec![
        Series::dots("data (5 outliers shifted by +30)", pts),
        Series::line(format!("MSE fit y = {wm:.2}x + {bm:.2}"), fit(wm, bm)),
        Series::line(format!("MAE fit y = {wa:.2}x + {ba:.2}"), fit(wa, ba)),
        Series::dots("true line y = 2x + 0.5 (markers)", marks),
    ];
    let dir = lab.dir.join("2_mse_mae");
    line_figure(
        &dir,
        "fits",
        LineChart { title: "Outliers pull the MSE fit, not the MAE fit", x_label: "x", y_label: "y", series: &series, log_y: Some(false) },
    )?;
    let (abs, sq) = ((1.0f64 - 1.1).abs(), (1.0f64 - 1.1).powi(2));
    let area = error_areas(lab, "2_mse_mae")?;
    // The loss is an f32 mean of 8 squares: 1e-5 is a hundred times its rounding.
    let holds = holds && area.shrinks && area.mse_gap < 1e-5;
    let [(s0, b0), (s1, b1), (sk, bk)] = area.totals;
    let k = area.last_step;
    Ok(Claim {
        id: "mse_mae",
        points: &[5, 6, 7, 8, 9, 10, 11],
        quote: "부호의 효과를 없애기",
        title: text("MSE 와 MAE", "MSE vs MAE"),
        statement: text(
            "손실은 예측과 실제의 차이입니다. MSE 는 오차를 제곱해(부호를 없애고) 평균하고, MAE 는 절댓값을 평균합니다. 큰 이상치가 몇 개 있으면 MAE 의 직선은 참 직선 가까이 머물고 MSE 의 직선은 끌려갑니다. 또 제곱은 작은 오차를 더 작게 만듭니다: |1 − 1.1| = 0.1 이지만 (1 − 1.1)² = 0.01. 강의처럼 오차의 합을 넓이로 그리면: 각 오차는 점에서 직선까지의 막대(MAE 가 평균하는 길이)이고, 그 막대 위의 정사각형(MSE 가 평균하는 넓이)입니다. 학습은 매개변수를 조금씩, 반복해서 고쳐 이 넓이를 줄입니다.",
            "The loss is the gap between prediction and truth. MSE squares the errors (removing the sign) and averages them; MAE averages their absolute values. With a few large outliers MAE's fit stays near the true line while MSE's is pulled away; and squaring shrinks small errors: |1 − 1.1| = 0.1 but (1 − 1.1)² = 0.01. Drawn as the lecture draws the summed error, as an area: each error is a bar from the point to the line (the length MAE averages) and the square on that bar (the area MSE averages). Learning changes the parameters a little, again and again, and the area shrinks.",
        ),
        verdict: text(
            format!(
                "{}: MAE 직선 w = {wa:.3}, b = {ba:.3} (참 (2, 0.5) 에서 거리 {da:.3}); MSE 직선 w = {wm:.3}, b = {bm:.3} (거리 {dm:.3}). 작은 오차: |1 − 1.1| = {abs:.3}, (1 − 1.1)² = {sq:.3}. 오차를 넓이로 보면(점 8 개, 수평선에서 출발): 정사각형 넓이의 합 {s0:.3} → 한 번 갱신 후 {s1:.3} → {k} 번 후 {sk:.3}, 막대 길이의 합 {b0:.3} → {b1:.3} → {bk:.3}. 정사각형 넓이의 평균이 곧 MSE 입니다(기록된 손실과 차이 {gap:.1e}).",
                yes_ko(holds),
                gap = area.mse_gap
            ),
            format!(
                "{}: MAE fit w = {wa:.3}, b = {ba:.3} (distance {da:.3} from the true (2, 0.5)); MSE fit w = {wm:.3}, b = {bm:.3} (distance {dm:.3}). Small errors: |1 − 1.1| = {abs:.3}, (1 − 1.1)² = {sq:.3}. The errors as areas (8 points, a line started flat): the squares' total area {s0:.3} → {s1:.3} after one update → {sk:.3} after {k}; the bars' total length {b0:.3} → {b1:.3} → {bk:.3}. The squares' mean area is the MSE itself (it differs from the logged loss by {gap:.1e}).",
                yes(holds),
                gap = area.mse_gap
            ),
        ),
        holds,
        figures: vec![lab.rel(&dir.join("fits")), lab.rel(&dir.join("areas"))],
        numbers: json!({ "mae_fit": [wa, ba], "mse_fit": [wm, bm], "mae_distance": da, "mse_distance": dm, "abs_error": abs, "squared_error": sq, "square_areas": [s0, s1, sk], "bar_lengths": [b0, b1, bk], "area_steps": [0, 1, k], "mse_gap": area.mse_gap }),
    })
}

/// A loss curve's steepest `window` consecutive steps: where they start, the share of the whole
/// fall (first minus last) they make, and the largest single step inside them as a share of
/// the window's own fall.
fn sudden_fall(loss: &[f64], window: usize) -> (usize, f64, f64) {
    let total = loss.first().copied().unwrap_or(f64::NAN) - loss.last().copied().unwrap_or(f64::NAN);
    let fall = |i: usize| loss[i] - loss[i + window];
    let start = (0..loss.len().saturating_sub(window)).max_by(|a, b| fall(*a).total_cmp(&fall(*b))).unwrap_or(0);
    let step = (start + 1..=(start + window).min(loss.len() - 1)).map(|i| loss[i - 1] - loss[i]).fold(0.0, f64::max);
    (start, fall(start) / total, step / fall(start))
}

/// The errors of a line as bars and squares at three stages of descent (points 6 and 7).
struct Areas {
    /// (sum of squares, sum of |errors|) at step 0, after one update, and at the end.
    totals: [(f64, f64); 3],
    last_step: usize,
    /// Both totals fall at every shown stage.
    shrinks: bool,
    /// Largest |mean square - logged loss| / loss over the stages: the squares are the MSE.
    mse_gap: f64,
}

fn error_areas(lab: &Lab, claim: &str) -> Result<Areas, GdlabError> {
    let run = lab.train("error_area", &[], claim, "areas")?;
    let dir = lab.dir.join(claim);
    let exp = experiment::prepare(config::load(&lab.config("error_area"), &[])?)?;
    let t = &exp.splits.train;
    let pts: Vec<(f64, f64)> = (0..t.len()).map(|i| (t.row(i)[0], t.y[i])).collect();
    let cols = artifacts::metrics_columns(&run.dir, &["step", "loss", "w_x1", "b"]).map_err(GdlabError::Runtime)?;
    let last = cols[0].len().saturating_sub(1);
    let rows = [0, 1.min(last), last];
    let mut totals = [(0.0, 0.0); 3];
    let mut panels = Vec::new();
    let mut mse_gap = 0.0f64;
    for (k, &r) in rows.iter().enumerate() {
        let (step, loss, w, b) = (cols[0][r], cols[1][r], cols[2][r], cols[3][r]);
        let errors: Vec<f64> = pts.iter().map(|(x, y)| w * x + b - y).collect();
        let (sq, bars) = (errors.iter().map(|e| e * e).sum::<f64>(), errors.iter().map(|e| e.abs()).sum::<f64>());
        mse_gap = mse_gap.max((sq / pts.len() as f64 - loss).abs() / loss.abs().max(1e-12));
        totals[k] = (sq, bars);
        panels.push((format!("step {step}: squares {sq:.2}, bars {bars:.2}"), w, b));
    }
    plot::write(
        &dir,
        "areas",
        (1200, 470),
        &plot::ErrorAreas {
            title: "Errors as bars (MAE) and squares (MSE): the total area shrinks with each update",
            points: &pts,
            panels: &panels,
        },
    )
    .map_err(GdlabError::io("cannot write the areas figure"))?;
    let falls = |a: f64, b: f64| b < a;
    let shrinks = (0..2).all(|k| falls(totals[k].0, totals[k + 1].0) && falls(totals[k].1, totals[k + 1].1));
    Ok(Areas { totals, last_step: cols[0][last] as usize, shrinks, mse_gap })
}

fn not_a_parabola(lab: &Lab) -> Result<Claim, GdlabError> {
    let run = lab.train("sigmoid_surface", &[], "6_surface", "descent")?;
    let out = lab.dir.join("6_surface").join("surface");
    let (sdir, field) = surface::surface(
        &lab.config("sigmoid_surface"),
        &[],
        &SurfaceOptions {
            params: ("w_x1".into(), "w_x2".into()),
            range: Some(((-10.0, 10.0), (-10.0, 10.0))),
            grid: 61,
            run: Some(run.dir.clone()),
            out: Some(out),
        },
    )?;
    // A parabola (quadratic) has the same positive curvature everywhere; count grid points
    // where the loss curves downward along an axis, and the flat plateau cells.
    let z = &field.z;
    let (n, mut negative, mut total) = (z.len(), 0usize, 0usize);
    for j in 1..n - 1 {
        for i in 1..n - 1 {
            let dxx = z[j][i + 1] - 2.0 * z[j][i] + z[j][i - 1];
            let dyy = z[j + 1][i] - 2.0 * z[j][i] + z[j - 1][i];
            total += 1;
            negative += usize::from(dxx < 0.0 || dyy < 0.0);
        }
    }
    // Plateaus: cells where the slope is under 10% of the steepest on the grid, away from the
    // minimum (loss more than 10% of the range above it).
    let (lo, hi) = z.iter().flatten().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    let slope = |j: usize, i: usize| ((z[j][i + 1] - z[j][i - 1]).hypot(z[j + 1][i] - z[j - 1][i])) / 2.0;
    let inner: Vec<(f64, f64)> = (1..n - 1).flat_map(|j| (1..n - 1).map(move |i| (j, i))).map(|(j, i)| (slope(j, i), z[j][i])).collect();
    let steepest = inner.iter().map(|p| p.0).fold(0.0, f64::max);
    let plateau = inner.iter().filter(|(g, v)| *g < 0.1 * steepest && *v > lo + 0.1 * (hi - lo)).count() as f64 / inner.len() as f64;
    let frac = negative as f64 / total as f64;
    // Linear least squares, by contrast, is solved in one go: the normal equations
    // (AᵀA) θ = Aᵀy with A = [X | 1], in f64, against gradient descent's end point.
    let ls = lab.train("least_squares", &["optimizer.steps=2000"], "6_surface", "least_squares")?;
    let exp = experiment::prepare(config::load(&lab.config("least_squares"), &[])?)?;
    let t = &exp.splits.train;
    let (n, d) = (t.len(), t.dims());
    let a = nalgebra::DMatrix::<f64>::from_fn(n, d + 1, |i, j| if j < d { t.x[i * d + j] } else { 1.0 });
    let y = nalgebra::DVector::<f64>::from_column_slice(&t.y[..n]);
    let closed: Vec<f64> = (a.transpose() * &a).lu().solve(&(a.transpose() * y)).map(|v| v.iter().copied().collect()).unwrap_or_default();
    let descended = ls.summary.as_ref().and_then(|s| s.parameters.as_ref()).map(|p| p.flat()).unwrap_or_default();
    let gap = closed.iter().zip(&descended).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    let fmt_all = |v: &[f64]| v.iter().map(|x| format!("{x:.4}")).collect::<Vec<_>>().join(", ");
    let (cf, gd) = (fmt_all(&closed), fmt_all(&descended));
    // f32 training against an f64 solve: 1e-3 is far above f32 rounding, far below a wrong fit.
    let holds = frac > 0.1 && plateau > 0.02 && closed.len() == d + 1 && gap < 1e-3;
    let (pct, plat, fl) = (100.0 * frac, 100.0 * plateau, run.final_loss);
    Ok(Claim {
        id: "not_a_parabola",
        points: &[20, 21, 22],
        quote: "Cost Function with Sigmoid Activation and MSE",
        title: text("왜 한 번에 풀지 않나: 시그모이드 + MSE 의 곡면", "Why not solve it directly: the sigmoid + MSE surface"),
        statement: text(
            "강의는 근의공식을 떠올리지만, 근의공식은 근(C = 0 인 곳)을 찾지 최솟값을 찾지 않습니다. 선형 최소제곱에는 닫힌 해(정규방정식)가 있습니다. 그러나 입력이 둘인 시그모이드 뉴런(편향 없음: 두 연결강도가 매개변수의 전부)의 MSE 손실은 포물선이 아닙니다: 평탄한 곳과 휘어진 골짜기가 있어 ∇C = 0 을 손으로 풀기 어렵고, 그래서 경사하강법을 씁니다.",
            "The lecture reaches for the quadratic formula, but that finds roots (where C = 0), not a minimum; linear least squares does have a closed form (the normal equations). The MSE loss of a two-input sigmoid neuron (no bias: the two weights are all its parameters) is not a parabola: it has plateaus and curved valleys, so ∇C = 0 is hard to solve by hand, hence gradient descent.",
        ),
        verdict: text(
            format!(
                "{}: w ∈ [−10, 10]² 의 격자점 중 {pct:.0}% 에서 손실이 한 축을 따라 아래로 휘고 (포물선이면 0%), {plat:.1}% 가 평탄한 곳입니다 (기울기가 가장 가파른 곳의 10% 미만, 손실은 최솟값보다 한참 위). 손실은 [{lo:.3}, {hi:.3}] 안에 머물러 포물선처럼 커지지 않습니다. (−6, 6) 에서 시작한 경사하강법은 손실 {fl:.4} 에서 끝났습니다. 선형 최소제곱은 정규방정식으로 한 번에 풀립니다: ({cf}), 2000 걸음의 경사하강법은 ({gd}), 가장 큰 차이 {gap:.1e}.",
                yes_ko(holds)
            ),
            format!(
                "{}: over w ∈ [−10, 10]² the loss curves downward along an axis at {pct:.0}% of grid points (a parabola: 0%) and {plat:.1}% of it is plateau (slope under 10% of the steepest, loss well above the minimum); the loss stays within [{lo:.3}, {hi:.3}] instead of growing like a parabola; gradient descent from (−6, 6) ended at loss {fl:.4}. Linear least squares is solved in one go by the normal equations: ({cf}); 2000 steps of gradient descent: ({gd}); largest difference {gap:.1e}.",
                yes(holds)
            ),
        ),
        holds,
        figures: vec![lab.rel(&sdir.join("surface")), lab.rel(&sdir.join("surface3d"))],
        numbers: json!({ "negative_curvature_fraction": frac, "plateau_fraction": plateau, "loss_min": lo, "loss_max": hi, "normal_equations": closed, "least_squares_descent": descended, "closed_form_gap": gap }),
    })
}

fn taylor(lab: &Lab) -> Result<Claim, GdlabError> {
    let out = lab.dir.join("7_taylor").join("taylor");
    let report = inspect::taylor(
        &lab.config("linear_regression"),
        &[],
        &TaylorOptions { lrs: vec![0.001, 0.01, 0.1, 0.5, 1.2], steps: 10, directions: 200, out: Some(out) },
    )?;
    let dir = report.dir.clone();
    let ratios: Vec<f64> = report.lrs.iter().map(|l| l.first_ratio).collect();
    // The first step's length |ΔW| = η|∇C| = sqrt(−η · predicted), predicted = −η|∇C|².
    let lengths: Vec<f64> = report.lrs.iter().map(|l| (-l.first_predicted * l.lr).sqrt()).collect();
    let departs = report.lrs.iter().zip(&ratios).find(|(_, r)| (**r - 1.0).abs() > 0.05).map(|(l, _)| l.lr);
    let beaten = report.random_directions_beating_gradient;
    let step = report.steepest.length;
    let holds = (ratios[0] - 1.0).abs() < 0.01 && (ratios[ratios.len() - 1] - 1.0).abs() > 0.5 && beaten == 0;
    let join = |v: &[f64], digits: usize| v.iter().map(|x| format!("{x:.digits$}")).collect::<Vec<_>>().join("/");
    let (r, len) = (join(&ratios, 3), join(&lengths, 4));
    let dep = departs.map_or("-".into(), |d| d.to_string());
    Ok(Claim {
        id: "taylor",
        points: &[23, 24, 25],
        quote: "Taylor",
        title: text("테일러 전개와 가장 가파른 내리막", "Taylor and steepest descent"),
        statement: text(
            "일차 근사로 ΔC ≈ ∂C/∂w₁·Δw₁ + ∂C/∂w₂·Δw₂ = ∇C·ΔW 입니다. 작은 걸음에서는 맞고 큰 걸음에서는 어긋납니다. 같은 길이의 걸음 중에서 ΔW = −η∇C 가 (일차 근사에서) C 를 가장 많이 줄입니다: ΔC 가 가장 큰 것이 아니라 가장 *음수*인 방향입니다. 강의의 ΔW = −∇C 에는 학습률 η 가 빠져 있습니다. 기울기(경사)를 따라 내려가므로 경사하강법입니다.",
            "To first order, ΔC ≈ ∂C/∂w₁·Δw₁ + ∂C/∂w₂·Δw₂ = ∇C·ΔW: right for small steps, wrong for large ones. Among steps of one length, ΔW = −η∇C decreases C the most (to first order): the direction where ΔC is most *negative*, not largest. The lecture's ΔW = −∇C lacks the learning rate η. Descending along the gradient (경사) is what names 경사하강법.",
        ),
        verdict: text(
            format!(
                "{}: 첫 걸음의 실제/예측 손실 변화 비율은 η = 0.001/0.01/0.1/0.5/1.2 에서 {r} (걸음 길이 |ΔW| = {len}); 1 에서 5% 넘게 벗어나는 첫 학습률 {dep}. 걸음 길이 {step:.3e} 에서 무작위 단위 방향 200 개 중 {beaten} 개가 −∇C 보다 많이 줄였습니다.",
                yes_ko(holds)
            ),
            format!(
                "{}: actual/predicted loss change on the first step = {r} for η = 0.001/0.01/0.1/0.5/1.2 (step lengths |ΔW| = {len}); the first rate whose ratio departs from 1 by over 5%: {dep}. At step length {step:.3e}, {beaten} of 200 random unit directions decreased C more than −∇C.",
                yes(holds)
            ),
        ),
        holds,
        figures: vec![lab.rel(&dir.join("taylor")), lab.rel(&dir.join("taylor_ratio"))],
        numbers: json!({ "first_ratios": ratios, "step_lengths": lengths, "first_departing_lr": departs, "steepest_step_length": step, "random_directions_beating_gradient": beaten }),
    })
}

/// Passes over the data the perceptron figure shows.
const PASSES_DRAWN: f64 = 200.0;

fn perceptron_vs_gd(lab: &Lab) -> Result<Claim, GdlabError> {
    let mut numbers = serde_json::Map::new();
    let (mut en, mut ko) = (Vec::new(), Vec::new());
    let mut holds = true;
    let mut series = Vec::new();
    // Gradient descent needs a differentiable neuron: the same data, a sigmoid and BCE.
    const GD: [&str; 2] = ["model.activation=\"sigmoid\"", "loss.kind=\"bce\""];
    let error_rate = |dir: &Path, x: &str| -> Vec<(f64, f64)> {
        column(dir, x).into_iter().zip(column(dir, "accuracy").into_iter().map(|a| 1.0 - a)).collect()
    };
    for (set, name, config) in [
        (Some("data.gate=\"and\""), "AND", "gates"),
        (Some("data.gate=\"or\""), "OR", "gates"),
        (Some("data.gate=\"xor\""), "XOR", "gates"),
        (None, "noisy blobs", "noisy_blobs"),
    ] {
        let sets: Vec<&str> = set.into_iter().collect();
        let tag = name.to_lowercase().replace(' ', "_");
        let p = lab.perceptron(config, &sets, "8_perceptron", &format!("perceptron_{tag}"))?;
        let gd_sets: Vec<&str> = sets.iter().copied().chain(GD).collect();
        let gd = lab.train(config, &gd_sets, "8_perceptron", &format!("gd_{tag}"))?;
        let (pa, ga) = (p.final_accuracy.unwrap_or(0.0), gd.final_accuracy.unwrap_or(0.0));
        holds &= match name {
            "XOR" => pa < 1.0 && ga < 1.0,
            "noisy blobs" => ga > 0.9,
            _ => pa == 1.0 && ga == 1.0,
        };
        let (pp, gp, pe) = (100.0 * pa, 100.0 * ga, p.steps);
        en.push(format!("{name}: perceptron {pp:.1}% after {pe} row updates, gradient descent {gp:.1}%"));
        ko.push(format!("{name}: 퍼셉트론 {pp:.1}% (행 갱신 {pe} 번), 경사하강법 {gp:.1}%"));
        numbers.insert(
            tag.clone(),
            json!({ "perceptron_accuracy": pa, "gd_accuracy": ga, "perceptron_row_updates": p.steps, "perceptron_stop": p.stop_reason }),
        );
        // Both rules per pass over the data: a perceptron epoch, a full-batch step.
        // The first passes, where the rules differ; the verdict gives where each ended.
        let first = |v: Vec<(f64, f64)>| v.into_iter().filter(|p| p.0 <= PASSES_DRAWN).collect();
        series.push(Series::line(format!("{name}: perceptron rule"), first(error_rate(&p.dir, "epoch"))));
        series.push(Series::line(format!("{name}: gradient descent (σ + BCE)"), first(error_rate(&gd.dir, "step"))));
    }
    let fig = lab.dir.join("8_perceptron");
    line_figure(
        &fig,
        "perceptron",
        LineChart {
            title: "Training error rate, first 200 passes over the data: perceptron rule vs gradient descent",
            x_label: "passes over the data (perceptron epochs; full-batch steps)",
            y_label: "fraction misclassified",
            series: &series,
            log_y: Some(false),
        },
    )?;
    Ok(Claim {
        id: "perceptron",
        points: &[26, 27, 29, 30, 31],
        quote: "반장",
        title: text("퍼셉트론 규칙과 경사하강법", "Perceptron rule vs gradient descent"),
        statement: text(
            "퍼셉트론 규칙은 계단 함수 뉴런을 w ← w + η·x·(t − o) 로 고칩니다 (오차 t − o 는 −1, 0, 1 중 하나). 경사하강법은 같은 데이터에서 시그모이드 뉴런을 BCE 로 학습합니다 (전체 배치, 2000 걸음): 그 갱신은 델타 규칙 w ← w + η·x·(y − a) 로, 입력 × 오차 × 학습률의 꼴은 같지만 오차가 연속값입니다. AND 와 OR 은 둘 다 완벽히 맞히고, XOR 은 직선 하나로 나눌 수 없어 어느 쪽도 못 맞힙니다 (여기서 다층 신경망이 시작됩니다). 강의의 반장 비유가 이 식에 있습니다: 선생님을 폭발시킨 것은 소리의 크기가 아니라 평소와 다른 사건이었듯, 갱신의 크기는 입력이 얼마나 큰가가 아니라 그 입력이 오차(놀람) y − a 와 함께 움직이는가로 정해집니다. 입력이 커도 오차가 0 이면 연결강도는 그대로입니다.",
            "The perceptron rule updates a step neuron by w ← w + η·x·(t − o) (the error t − o is −1, 0 or 1). Gradient descent here trains a sigmoid neuron with BCE on the same data (full batch, 2000 steps): its update is the delta rule w ← w + η·x·(y − a), the same input × error × rate form with a continuous error. Both get AND and OR right; on XOR, which no line separates, neither can (where multi-layer nets begin). The lecture's class-monitor analogy is in this formula: what set the teacher off was not the loudest voice but the unusual event, and an update's size is set not by how large an input is but by how it moves with the error (the surprise) y − a. A large input with an error of 0 leaves its weight unchanged.",
        ),
        verdict: text(format!("{}: {}.", yes_ko(holds), ko.join("; ")), format!("{}: {}.", yes(holds), en.join("; "))),
        holds,
        figures: vec![lab.rel(&fig.join("perceptron"))],
        numbers: numbers.into(),
    })
}

/// Where a run ended, told by the gradient and the curvature there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndPoint {
    /// |∇C| below `FLAT_GRADIENT` and every Hessian eigenvalue above `CURVATURE` > 0.
    Minimum,
    /// |∇C| below `FLAT_GRADIENT` and an eigenvalue below −`CURVATURE`: a way down remains.
    Saddle,
    /// |∇C| below `FLAT_GRADIENT`, no negative curvature, but some eigenvalue within
    /// ±`CURVATURE`: flat in some direction, so not provably a minimum.
    Flat,
    /// |∇C| at or above `FLAT_GRADIENT`: still descending when the run ended.
    Moving,
}

/// The thresholds of the classification (f64 throughout; the Hessian is a central
/// difference of the analytic gradient with step 1e-5, whose error, about 1e-10 times the
/// third derivative, is far below them).
pub const FLAT_GRADIENT: f64 = 1e-4;
pub const CURVATURE: f64 = 1e-6;

/// The gradient norm and the Hessian's eigenvalues (ascending) of an mlp's loss at `theta`.
pub fn curvature(
    layers: &[crate::gradient::backprop::Layer],
    spec: &crate::config::spec::ModelSpec,
    loss: crate::config::LossKind,
    x: &[f64],
    y: &[f64],
    n: usize,
) -> Option<(f64, Vec<f64>)> {
    use crate::gradient::backprop;
    let flat: Vec<f64> = layers.iter().flat_map(|l| l.weights.iter().chain(l.bias.iter().flatten()).copied()).collect();
    let rebuild = |theta: &[f64]| {
        let mut k = 0;
        layers
            .iter()
            .map(|l| {
                let mut take = |m: usize| {
                    k += m;
                    theta[k - m..k].to_vec()
                };
                backprop::Layer {
                    d_in: l.d_in,
                    d_out: l.d_out,
                    weights: take(l.d_in * l.d_out),
                    bias: l.bias.as_ref().map(|b| take(b.len())),
                }
            })
            .collect::<Vec<_>>()
    };
    let grad = |theta: &[f64]| backprop::gradient(&rebuild(theta), spec.hidden(), spec.output(), loss, x, y, n);
    let g = grad(&flat)?;
    let p = flat.len();
    let mut h = nalgebra::DMatrix::<f64>::zeros(p, p);
    for i in 0..p {
        let step = 1e-5 * flat[i].abs().max(1.0);
        let (mut up, mut down) = (flat.clone(), flat.clone());
        up[i] += step;
        down[i] -= step;
        let (gu, gd) = (grad(&up)?, grad(&down)?);
        for j in 0..p {
            h[(i, j)] = (gu[j] - gd[j]) / (2.0 * step);
        }
    }
    let h = (&h + h.transpose()) * 0.5;
    let mut eig: Vec<f64> = h.symmetric_eigenvalues().iter().copied().collect();
    eig.sort_by(f64::total_cmp);
    Some((g.iter().map(|v| v * v).sum::<f64>().sqrt(), eig))
}

pub fn classify(grad_norm: f64, eigenvalues: &[f64]) -> EndPoint {
    let lo = eigenvalues.first().copied().unwrap_or(0.0);
    if grad_norm >= FLAT_GRADIENT {
        EndPoint::Moving
    } else if lo < -CURVATURE {
        EndPoint::Saddle
    } else if lo > CURVATURE {
        EndPoint::Minimum
    } else {
        EndPoint::Flat
    }
}

fn local_minima(lab: &Lab) -> Result<Claim, GdlabError> {
    let seeds: Vec<String> = (1..=20).map(|s| s.to_string()).collect();
    let sweep::Comparison { dir: sdir, rows, .. } = sweep::sweep(
        &lab.config("xor_mlp"),
        &SweepOptions {
            axes: vec![format!("experiment.seed={}", seeds.join(","))],
            until_loss: None,
            jobs: None,
            out: Some(lab.dir.join("9_local_minima").join("sweep")),
            progress: false,
            launcher: sweep::Launcher::Local,
        },
        &AtomicBool::new(false),
    )?
    .done()?;
    let exp = experiment::prepare(config::load(&lab.config("xor_mlp"), &[])?)?;
    let (t, spec) = (&exp.splits.train, &exp.loaded.spec);
    let mut ends = Vec::new();
    for r in &rows {
        let Some(crate::nn::model::Parameters::Mlp { layers }) = r.summary.as_ref().and_then(|s| s.parameters.clone()) else {
            return Err(GdlabError::Runtime(format!("{}: no parameters in summary.json", r.dir.display())));
        };
        let host: Vec<crate::gradient::backprop::Layer> = layers
            .iter()
            .map(|l| crate::gradient::backprop::Layer {
                d_in: l.weights.len(),
                d_out: l.weights.first().map_or(0, Vec::len),
                weights: l.weights.iter().flatten().copied().collect(),
                bias: l.bias.clone(),
            })
            .collect();
        let (g, eig) = curvature(&host, &spec.model, spec.loss, &t.x, &t.y, t.len())
            .ok_or_else(|| GdlabError::Runtime("the XOR net has no analytic gradient".into()))?;
        let flat: Vec<f64> = host.iter().flat_map(|l| l.weights.iter().chain(l.bias.iter().flatten()).copied()).collect();
        // `curvature` returns the eigenvalues ascending.
        let kind = classify(g, &eig);
        ends.push((r.final_loss, r.final_accuracy == Some(1.0), g, eig, kind, flat));
    }
    let count = |k: EndPoint| ends.iter().filter(|e| e.4 == k).count();
    let (minima, saddles, flat, moving) =
        (count(EndPoint::Minimum), count(EndPoint::Saddle), count(EndPoint::Flat), count(EndPoint::Moving));
    let solved = ends.iter().filter(|e| e.1).count();
    let stalled_minima = ends.iter().filter(|e| !e.1 && e.4 == EndPoint::Minimum).count();
    // End points in parameter space: projected on the two main axes of their spread.
    let p = ends[0].5.len();
    let m = nalgebra::DMatrix::<f64>::from_fn(ends.len(), p, |i, j| ends[i].5[j]);
    let mean = m.row_mean();
    let centred = nalgebra::DMatrix::<f64>::from_fn(ends.len(), p, |i, j| m[(i, j)] - mean[j]);
    let cov = centred.transpose() * &centred;
    let eig = cov.symmetric_eigen();
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|a, b| eig.eigenvalues[*b].total_cmp(&eig.eigenvalues[*a]));
    let axis = |k: usize| eig.eigenvectors.column(order[k]).into_owned();
    let (a1, a2) = (axis(0), axis(1));
    let project = |i: usize| (centred.row(i).dot(&a1.transpose()), centred.row(i).dot(&a2.transpose()));
    // One colour per outcome that occurred: solved or not, and the kind of end point.
    let mut series = Vec::new();
    for solved_here in [true, false] {
        for (kind, label) in [
            (EndPoint::Minimum, "minimum (|∇C| < 1e-4, Hessian positive definite)"),
            (EndPoint::Saddle, "saddle (|∇C| < 1e-4, a negative eigenvalue)"),
            (EndPoint::Flat, "flat (|∇C| < 1e-4, an eigenvalue near 0)"),
            (EndPoint::Moving, "still moving (|∇C| ≥ 1e-4)"),
        ] {
            let pts: Vec<(f64, f64)> = (0..ends.len()).filter(|&i| ends[i].4 == kind && ends[i].1 == solved_here).map(project).collect();
            if !pts.is_empty() {
                let outcome = if solved_here { "solved" } else { "not solved" };
                series.push(Series::dots(format!("{outcome}, {label}: {}", pts.len()), pts));
            }
        }
    }
    let fig = lab.dir.join("9_local_minima");
    line_figure(
        &fig,
        "end_points",
        LineChart {
            title: "Where 20 starts ended (2-3-1 XOR net), in parameter space",
            x_label: "first principal axis of the end points",
            y_label: "second principal axis",
            series: &series,
            log_y: Some(false),
        },
    )?;
    // Different starts, different ends: some solve XOR, some do not.
    let holds = solved > 0 && solved < rows.len();
    let n = rows.len();
    // The unsolved runs: loss, |∇C|, smallest and largest Hessian eigenvalue.
    let losses: Vec<String> = ends
        .iter()
        .filter(|e| !e.1)
        .map(|e| {
            format!(
                "{:.3} ({:.1e}, {:.1e}, {:.1e})",
                e.0,
                e.2,
                e.3.first().copied().unwrap_or(f64::NAN),
                e.3.last().copied().unwrap_or(f64::NAN)
            )
        })
        .collect();
    let stalled = if losses.is_empty() { "-".into() } else { losses.join(", ") };
    let (gmin, gmax) = ends.iter().fold((f64::INFINITY, 0.0f64), |(a, b), e| (a.min(e.2), b.max(e.2)));
    // Point 33, gradual vs sudden (頓悟): solved runs whose steepest 100 steps come after a
    // plateau (they start past step 20), the share of the whole fall those steps make, and the
    // largest single update inside them.
    let window = 100;
    let sudden: Vec<(usize, f64, f64)> = rows
        .iter()
        .zip(&ends)
        .filter(|(_, e)| e.1)
        .map(|(r, _)| sudden_fall(&column(&r.dir, "loss"), window))
        .filter(|s| s.0 > 20)
        .collect();
    let plateaus = sudden.len();
    let (at_lo, at_hi) = sudden.iter().fold((usize::MAX, 0), |(a, b), s| (a.min(s.0), b.max(s.0)));
    let (w_lo, w_hi) = sudden.iter().fold((f64::INFINITY, 0.0f64), |(a, b), s| (a.min(100.0 * s.1), b.max(100.0 * s.1)));
    let s_hi = sudden.iter().fold(0.0f64, |a, s| a.max(100.0 * s.2));
    Ok(Claim {
        id: "local_minima",
        points: &[28, 32, 33, 34],
        quote: "Local minima문제",
        title: text("지역 최솟값 (그리고 역전파로 가는 다리)", "Local minima (and the bridge to backpropagation)"),
        statement: text(
            "볼록하지 않은 손실에서는 시작점에 따라 다른 곳에서 멈춥니다. 강의는 사람의 깨달음에 점진적인 것과 단번의 것(頓悟)이 있다고 합니다; 경사하강법의 손실 곡선에도 긴 평탄 뒤의 급한 하강이 보이는데, 그것이 한 번의 큰 걸음인지 작은 걸음의 연속인지를 잽니다. 역전파(강의가 꼭 기억하라던 ΔC/Δw)로 학습한 2-3-1 XOR 신경망을 20 개의 시작점에서 돌리고, 끝점마다 기울기 크기 |∇C| 와 헤시안의 고윳값(f64)으로 종류를 가립니다: |∇C| < 1e-4 이고 모든 고윳값 > 1e-6 이면 최솟값, 고윳값 < −1e-6 이 있으면 안장점, 그 밖은 평탄; |∇C| ≥ 1e-4 이면 아직 움직이는 중. 최솟값이라고 확인된 것만 최솟값이라 부릅니다.",
            "On a non-convex loss, starts end in different places. The lecture contrasts gradual learning with sudden insight (頓悟); gradient descent's loss curves also show a plateau and then a steep fall, and we measure whether that fall is one big step or many small ones. The 2-3-1 XOR net trained by backpropagation (ΔC/Δw, the quantity the lecture asks to remember) runs from 20 starts, and each end point is classified by its gradient norm |∇C| and its Hessian's eigenvalues (f64): |∇C| < 1e-4 with every eigenvalue > 1e-6 is a minimum, with an eigenvalue < −1e-6 a saddle, otherwise flat; |∇C| ≥ 1e-4 is still moving. Only a checked minimum is called a minimum.",
        ),
        verdict: text(
            format!(
                "{}: {n} 개의 시작점 중 {solved} 개가 XOR 을 풀었습니다. 끝점의 종류: 최솟값 {minima}, 안장점 {saddles}, 평탄 {flat}, 아직 움직이는 중 {moving} (|∇C| 는 {gmin:.1e} 에서 {gmax:.1e}); 풀지 못하고 최솟값에 갇힌 것 {stalled_minima}. 풀지 못한 실행 (손실, |∇C|, 가장 작은 고윳값, 가장 큰 고윳값): {stalled}. 음의 고윳값은 그곳이 최솟값이 아니라 안장점 같은 평탄한 곳임을 뜻합니다. 푼 실행도 최솟값이 아닙니다: XOR 을 맞힌 BCE 손실은 연결강도가 커질수록 계속 줄어 유한한 최솟점이 없습니다. 頓悟 처럼 보이는 하강: 푼 {solved} 개 중 {plateaus} 개는 평탄 뒤에 급히 떨어졌습니다 (가장 가파른 {window} 걸음이 {at_lo}–{at_hi} 걸음째에 시작해 전체 하강의 {w_lo:.0}–{w_hi:.0}% 를 만듦). 그 {window} 걸음 안에서 가장 큰 한 걸음은 그 하강의 {s_hi:.1}% 이하였습니다: 갑작스러워 보여도 작은 걸음들의 합입니다.",
                yes_ko(holds)
            ),
            format!(
                "{}: {solved} of {n} starts solve XOR. End points: {minima} minima, {saddles} saddles, {flat} flat, {moving} still moving (|∇C| from {gmin:.1e} to {gmax:.1e}); {stalled_minima} unsolved runs sit in a checked minimum. The unsolved runs (loss, |∇C|, smallest and largest Hessian eigenvalue): {stalled}. A negative eigenvalue means a saddle-like plateau, not a minimum. The solved runs are not at a minimum either: on XOR solved, BCE keeps falling as the weights grow, with no finite minimum. The 頓悟-like fall: {plateaus} of the {solved} solved runs fell steeply after a plateau (their steepest {window} steps start at steps {at_lo}–{at_hi} and make {w_lo:.0}–{w_hi:.0}% of the whole fall); inside those {window} steps no single update made more than {s_hi:.1}% of that fall: sudden to the eye, small steps all the same.",
                yes(holds)
            ),
        ),
        holds,
        figures: vec![lab.rel(&fig.join("end_points")), lab.rel(&sdir.join("sweep_loss"))],
        numbers: json!({
            "starts": n, "solved": solved, "minima": minima, "saddles": saddles, "flat": flat, "moving": moving,
            "stalled_minima": stalled_minima,
            "plateau_runs": plateaus, "steepest_window_start": [at_lo, at_hi], "steepest_window_share": [w_lo / 100.0, w_hi / 100.0], "largest_step_share_in_window": s_hi / 100.0, "window": window,
            "end_points": ends.iter().map(|e| json!({ "final_loss": e.0, "solved": e.1, "grad_norm": e.2, "min_eigenvalue": e.3.first(), "max_eigenvalue": e.3.last(), "kind": e.4 })).collect::<Vec<_>>(),
        }),
    })
}

/// One lecture claim: its runs, figure and verdict.
type ClaimStep = fn(&Lab) -> Result<Claim, GdlabError>;

/// The claims in report order: adding one is a function and an entry here.
// In the lecture's order of teaching points.
const STEPS: &[ClaimStep] = &[bias, mae, cross_entropy, parabola, learning_rate, not_a_parabola, taylor, perceptron_vs_gd, local_minima];

/// How many claims the report holds.
pub const CLAIM_COUNT: usize = STEPS.len();

/// Runs every claim and writes the report into `out` (default `artifacts/lecture`). An earlier
/// report there is kept aside while the new one is made and restored if it fails.
/// `configs`: a folder whose files (named as in the report's configs/, e.g. xor_mlp.toml) replace
/// the shipped ones, to run the lecture on changed experiments; the others stay shipped.
pub fn lecture(out: Option<&Path>, lang: Lang, configs: Option<&Path>) -> Result<(PathBuf, Vec<Claim>), GdlabError> {
    // Bad input is refused before anything is moved or written.
    if let Some(dir) = configs {
        let known: Vec<&str> = CONFIGS.iter().filter_map(|p| Path::new(p).file_name()?.to_str()).collect();
        let entries = std::fs::read_dir(dir).map_err(GdlabError::io(format!("cannot read --configs {}", dir.display())))?;
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !known.contains(&name.as_str()) {
                return Err(GdlabError::Input(format!(
                    "--configs {}: {name} is not one of the lecture's configs\n  hint: name a file as in the report's configs/: {}",
                    dir.display(),
                    known.join(", ")
                )));
            }
        }
    }
    let target = out.map_or_else(|| PathBuf::from("artifacts/lecture"), Path::to_path_buf);
    // The previous report steps aside until the new one is complete, and comes back on failure.
    let previous = target.with_file_name(format!(
        ".{}.previous-{}",
        target.file_name().and_then(|n| n.to_str()).unwrap_or("lecture"),
        std::process::id()
    ));
    if target.exists() {
        std::fs::rename(&target, &previous).map_err(GdlabError::io("cannot move the previous report aside"))?;
    }
    let restore = |e: GdlabError| {
        let _ = std::fs::remove_dir_all(&target);
        if previous.exists() {
            let _ = std::fs::rename(&previous, &target);
        }
        e
    };
    let work = target.clone();
    std::fs::create_dir_all(work.join("configs")).map_err(GdlabError::io("cannot create the report folder")).map_err(restore)?;
    for path in CONFIGS {
        let shipped = crate::config::shipped::get(path)
            .ok_or_else(|| GdlabError::Runtime(format!("{path} is not embedded in this binary")))
            .map_err(restore)?;
        let name = Path::new(path).file_name().unwrap_or_default();
        let text = match configs.map(|dir| dir.join(name)).filter(|p| p.exists()) {
            Some(own) => {
                std::fs::read_to_string(&own).map_err(GdlabError::io(format!("cannot read {}", own.display()))).map_err(restore)?
            }
            None => shipped.text.to_string(),
        };
        artifacts::write_atomic(&work.join("configs").join(name), text.as_bytes())
            .map_err(GdlabError::io("cannot write a lecture config"))
            .map_err(restore)?;
    }
    let lab = Lab { dir: work.clone(), never: AtomicBool::new(false) };
    let mut claims = Vec::new();
    for step in STEPS {
        claims.push(step(&lab).map_err(restore)?);
    }
    let claims = write_report(&work, &claims, lang).map_err(restore)?;
    if previous.exists() {
        let _ = std::fs::remove_dir_all(&previous);
    }
    Ok((target, claims))
}

/// The notation block of index.html, in MathML (no network, no script).
const NOTATION: &str = "<p class=\"math\"><math display=\"block\"><mi>Δ</mi><mi>W</mi><mo>=</mo><mo>−</mo><mi>η</mi><mo>∇</mo><mi>C</mi></math>\
<math display=\"block\"><mi>Δ</mi><mi>C</mi><mo>≈</mo><mfrac><mrow><mo>∂</mo><mi>C</mi></mrow><mrow><mo>∂</mo><msub><mi>w</mi><mn>1</mn></msub></mrow></mfrac><mi>Δ</mi><msub><mi>w</mi><mn>1</mn></msub><mo>+</mo><mfrac><mrow><mo>∂</mo><mi>C</mi></mrow><mrow><mo>∂</mo><msub><mi>w</mi><mn>2</mn></msub></mrow></mfrac><mi>Δ</mi><msub><mi>w</mi><mn>2</mn></msub><mo>=</mo><mo>∇</mo><mi>C</mi><mo>·</mo><mi>Δ</mi><mi>W</mi></math>\
<math display=\"block\"><mi>C</mi><mo>(</mo><mi>b</mi><mo>)</mo><mo>=</mo><msup><mrow><mo>(</mo><mi>a</mi><mo>−</mo><mi>b</mi><mo>)</mo></mrow><mn>2</mn></msup><mo>,</mo><mspace width=\"1em\"/><mi>w</mi><mo>←</mo><mi>w</mi><mo>+</mo><mi>η</mi><mo>·</mo><mi>x</mi><mo>·</mo><mo>(</mo><mi>y</mi><mo>−</mo><mi>a</mi><mo>)</mo></math></p>";

fn markdown(claims: &[Claim], lang: Lang) -> String {
    let (title, intro, verdict, points) = match lang {
        Lang::Ko => (
            "gdlab 강의 보고서: 경사하강법",
            "아래의 판정은 모두 이 폴더의 실행에서 `gdlab lecture` 가 계산한 것입니다 (설정은 `configs/`). 미리 써 둔 결과는 없습니다.",
            "판정",
            "강의의 요점",
        ),
        _ => (
            "gdlab lecture report: gradient descent",
            "Every verdict below is computed from the runs in this folder by `gdlab lecture` (configs in `configs/`); nothing is written in advance.",
            "Verdict",
            "Lecture points",
        ),
    };
    let mut md = format!("# {title}\n\n{intro}\n\n");
    for (k, c) in claims.iter().enumerate() {
        let pts = c.points.iter().map(u32::to_string).collect::<Vec<_>>().join(", ");
        md += &format!(
            "## {}. {}\n\n> «{}» ({points} {pts})\n\n{}\n\n**{verdict}:** {}\n\n",
            k + 1,
            c.title.get(lang),
            c.quote,
            c.statement.get(lang),
            c.verdict.get(lang)
        );
        for f in &c.figures {
            md += &format!("![{}]({f}.png)\n\n", c.title.get(lang));
        }
    }
    md
}

fn html_section(claims: &[Claim], lang: Lang) -> String {
    let code = if lang == Lang::Ko { "ko" } else { "en" };
    let (intro, verdict) = if lang == Lang::Ko {
        ("아래의 판정은 모두 실행에서 <code>gdlab lecture</code> 가 계산한 것입니다.", "판정")
    } else {
        ("Every verdict is computed from the runs by <code>gdlab lecture</code>.", "Verdict")
    };
    let mut h = format!("<section lang=\"{code}\" class=\"lang-{code}\"><p>{intro}</p>");
    for (k, c) in claims.iter().enumerate() {
        h += &format!(
            "<h2>{}. {}</h2><blockquote>«{}»</blockquote><p>{}</p><p class=\"v{}\"><b>{verdict}:</b> {}</p>",
            k + 1,
            escape(c.title.get(lang)),
            escape(c.quote),
            escape(c.statement.get(lang)),
            if c.holds { "" } else { " x" },
            escape(c.verdict.get(lang))
        );
        for f in &c.figures {
            // Linked, not inlined: the page stays small and opens from the folder.
            h += &format!("<figure><img src=\"{f}.png\" alt=\"{}\" loading=\"lazy\"></figure>", escape(c.title.get(lang)));
        }
    }
    h + "</section>"
}

/// Writes the report and returns the claims as lecture.json has them (figures under figures/).
fn write_report(dir: &Path, claims: &[Claim], lang: Lang) -> Result<Vec<Claim>, GdlabError> {
    // Figures are copied into figures/ so the report (and what the repository keeps of it)
    // does not depend on the run folders.
    let figs = dir.join("figures");
    std::fs::create_dir_all(&figs).map_err(GdlabError::io("cannot create figures/"))?;
    let mut claims = claims.to_vec();
    for c in &mut claims {
        for (k, f) in c.figures.iter_mut().enumerate() {
            let name = format!("figures/{}_{}", c.id, k + 1);
            for ext in ["png", "svg"] {
                std::fs::copy(dir.join(format!("{f}.{ext}")), dir.join(format!("{name}.{ext}")))
                    .map_err(GdlabError::io(format!("cannot copy {f}.{ext}")))?;
            }
            *f = name;
        }
    }
    let json = serde_json::to_string_pretty(&claims).expect("claims serialise");
    artifacts::write_atomic(&dir.join("lecture.json"), json.as_bytes()).map_err(GdlabError::io("cannot write lecture.json"))?;
    let langs: &[Lang] = match lang {
        Lang::Both => &[Lang::Ko, Lang::En],
        one => std::slice::from_ref(match one {
            Lang::Ko => &Lang::Ko,
            _ => &Lang::En,
        }),
    };
    let mut html = String::from(
        "<!doctype html><html lang=\"ko\"><head><meta charset=\"utf-8\"><title>gdlab lecture: 경사하강법</title><style>body{font-family:system-ui,'Noto Sans CJK KR',sans-serif;max-width:980px;margin:2em auto;line-height:1.5;padding:0 1em}figure{margin:1em 0}img{max-width:100%;height:auto}.v{padding:.6em;border-left:4px solid #2c7;background:#f4fbf6}.x{border-color:#d33;background:#fdf2f2}blockquote{color:#555;margin:.3em 0}.math{text-align:center}nav button{font:inherit;margin-right:.4em}body.en .lang-ko,body.ko .lang-en{display:none}</style></head><body class=\"ko\"><h1>gdlab lecture: 경사하강법 / gradient descent</h1>",
    );
    if langs.len() > 1 {
        html += "<nav><button onclick=\"document.body.className='ko';document.documentElement.lang='ko'\">한국어</button><button onclick=\"document.body.className='en';document.documentElement.lang='en'\">English</button></nav><script>if(!(navigator.language||'ko').toLowerCase().startsWith('ko')){document.body.className='en';document.documentElement.lang='en'}</script>";
    } else if langs[0] == Lang::En {
        html = html.replace("<html lang=\"ko\">", "<html lang=\"en\">").replace("<body class=\"ko\">", "<body class=\"en\">");
    }
    html += NOTATION;
    for l in langs {
        html += &html_section(&claims, *l);
        let file = if *l == Lang::Ko { "REPORT.ko.md" } else { "REPORT.md" };
        artifacts::write_atomic(&dir.join(file), markdown(&claims, *l).as_bytes())
            .map_err(GdlabError::io(format!("cannot write {file}")))?;
    }
    html += "</body></html>\n";
    artifacts::write_atomic(&dir.join("index.html"), html.as_bytes()).map_err(GdlabError::io("cannot write index.html"))?;
    Ok(claims)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
