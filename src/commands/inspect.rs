//! `gdlab gradcheck` and `gdlab taylor`: look at the gradient of an experiment without
//! training it to the end. Orchestration and output only; the maths is in `gradient`.

use crate::config::spec::{Budget, Descent, Schedule};
use crate::config::{self, BackendName, DType};
use crate::error::GdlabError;
use crate::gradient::{self, LossFn, Report, params, taylor};
use crate::nn::model::Network;
use crate::report::plot::{self, FigureLang, LineChart, LogLogScatter, Series};
use crate::run::artifacts;
use crate::train::experiment::{self, Experiment};
use crate::train::{Settings, Trainer};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// Loads the config with `--set` overrides and an optional dtype override.
fn prepare(config_path: &Path, sets: &[String], dtype: Option<DType>) -> Result<Experiment, GdlabError> {
    let mut sets = sets.to_vec();
    if let Some(d) = dtype {
        sets.push(format!("backend.dtype=\"{}\"", config::name(&d)));
    }
    experiment::prepare(config::load_named(config_path, &sets)?)
}

/// The experiment's starting model, or a finished run's parameters loaded into it.
pub fn model_at(exp: &Experiment, run_dir: Option<&Path>) -> Result<Network, GdlabError> {
    let Some(dir) = run_dir else { return Ok(exp.model.clone()) };
    let state = artifacts::RunState::read_verified(dir)?;
    let loaded = crate::run::load_parameters(dir, &state, exp.model.clone())?;
    // Re-create the parameters in this process's dtype (the run may have used another).
    Ok(params::with_values(&exp.model, &params::values(&loaded)))
}

pub struct GradcheckOptions {
    /// None: the starting parameters; Some(dir): a finished run's.
    pub at: Option<PathBuf>,
    pub dtype: Option<DType>,
    pub perturb: Option<String>,
}

/// `gdlab gradcheck`'s result: the three gradients per parameter and what the table header
/// says about them. JSON: the list of rows (one object per scalar parameter).
pub struct Gradcheck {
    pub experiment: String,
    /// "the starting parameters" or the run folder.
    pub at: String,
    pub backend: BackendName,
    /// The dtype the config asked for (the check may run in f32 where the backend computes so).
    pub config_dtype: DType,
    pub train_rows: usize,
    pub report: Report,
    /// Checked at a run folder whose run diverged.
    pub diverged: bool,
}

impl Serialize for Gradcheck {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.report.rows.serialize(s)
    }
}

impl std::fmt::Display for Gradcheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.report;
        writeln!(
            f,
            "gradient check: {} at {} ({} {}, loss {} on {} training rows)",
            self.experiment,
            self.at,
            config::name(&self.backend),
            config::name(&r.dtype),
            crate::report::number(r.loss),
            self.train_rows
        )?;
        f.write_str(&gradient::compare::table(&r.rows, r.method))?;
        let max_grad = r.rows.iter().fold(0.0f64, |m, r| m.max(r.autodiff.abs()));
        let (fo, n) = gradient::compare::tolerances(r.dtype, r.loss, max_grad);
        writeln!(
            f,
            "tolerance: formula vs autodiff {:.1e} + {:.0e}|g|; finite differences vs autodiff {:.1e} + {:.0e}|g| (step {:.1e} x max(|theta|, 1))",
            fo.atol,
            fo.rtol,
            n.atol,
            n.rtol,
            gradient::numeric::relative_step(r.dtype)
        )?;
        if r.dtype != self.config_dtype {
            writeln!(
                f,
                "note: {} computes sigmoid in f32 even on an f64 device, so this check uses f32 precision",
                config::name(&self.backend)
            )?;
        }
        if r.kink_rows > 0 {
            writeln!(
                f,
                "note: {} rows sit within a finite-difference step of the MAE kink (|residual| ~ 0); there the difference quotient is not a derivative",
                r.kink_rows
            )?;
        }
        if !r.loss.is_finite() {
            if self.diverged {
                writeln!(
                    f,
                    "verdict: not checked: the loss is {} at these parameters (the run diverged), so there is no gradient to compare",
                    r.loss
                )?;
            } else {
                writeln!(f, "verdict: FAILED: the loss is {} at these parameters, which are not a diverged run's", r.loss)?;
            }
        } else if r.failures().is_empty() {
            writeln!(f, "verdict: all {} parameters agree", r.rows.len())?;
        }
        Ok(())
    }
}

/// Runs the check and writes gradcheck.json into the run folder when one is given.
pub fn gradcheck(config_path: &Path, sets: &[String], o: &GradcheckOptions) -> Result<Gradcheck, GdlabError> {
    let exp = prepare(config_path, sets, o.dtype)?;
    if let Some(p) = o.perturb.as_deref().filter(|p| !exp.param_names.iter().any(|n| n == p)) {
        let names = &exp.param_names;
        let shown = if names.len() > 12 { format!("{}, ... ({} in all)", names[..12].join(", "), names.len()) } else { names.join(", ") };
        return Err(GdlabError::Input(format!(
            "--perturb-analytic {p}: no such parameter in {}\n  hint: the parameters are {shown}",
            config_path.display()
        )));
    }
    let model = model_at(&exp, o.at.as_deref())?;
    let spec = &exp.loaded.spec;
    let precision = crate::backend::effective_precision(spec.backend.name(), spec.backend.dtype, &spec.model);
    let report =
        gradient::check_on(&exp.objective, &exp.splits.train, &exp.device, precision, &model, &exp.param_names, o.perturb.as_deref());
    if let Some(dir) = &o.at {
        let json = serde_json::to_string_pretty(&report.rows).map_err(|e| GdlabError::Runtime(e.to_string()))?;
        artifacts::write_atomic(&dir.join("gradcheck.json"), json.as_bytes()).map_err(GdlabError::io("cannot write gradcheck.json"))?;
    }
    let c = &exp.loaded.config;
    let diverged = o.at.as_deref().is_some_and(|d| {
        matches!(artifacts::RunState::read(d), Ok(artifacts::RunState::Finished(s)) if s.stop_reason == crate::train::StopReason::Diverged)
    });
    Ok(Gradcheck {
        experiment: c.experiment.name.clone(),
        at: o.at.as_ref().map_or("the starting parameters".into(), |d| d.display().to_string()),
        backend: c.backend.name,
        config_dtype: c.backend.dtype,
        train_rows: exp.splits.train.len(),
        report,
        diverged,
    })
}

pub struct TaylorOptions {
    pub lrs: Vec<f64>,
    pub steps: usize,
    pub directions: usize,
    pub out: Option<PathBuf>,
}

#[derive(Serialize)]
pub struct LrResult {
    pub lr: f64,
    pub first_predicted: f64,
    pub first_actual: f64,
    pub first_ratio: f64,
    /// Median of actual / predicted over the steps whose change stands clear of rounding noise.
    pub median_ratio: f64,
    pub steps: Vec<taylor::Step>,
}

/// `gdlab taylor`'s result (also written as taylor.json into its folder).
#[derive(Serialize)]
pub struct TaylorReport {
    pub experiment: String,
    /// Gradient steps per learning rate.
    pub steps: usize,
    pub lrs: Vec<LrResult>,
    pub steepest: taylor::Steepest,
    pub random_directions_beating_gradient: usize,
    /// The folder the files went to.
    pub dir: PathBuf,
}

impl std::fmt::Display for TaylorReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "first-order check: {} (one series per lr, {} steps each)", self.experiment, self.steps)?;
        writeln!(f, "{:>10} {:>15} {:>15} {:>12} {:>14}", "lr", "predicted dC", "actual dC", "ratio", "median ratio")?;
        for r in &self.lrs {
            writeln!(
                f,
                "{:>10} {:>15} {:>15} {:>12.6} {:>14.6}",
                r.lr,
                crate::report::number(r.first_predicted),
                crate::report::number(r.first_actual),
                r.first_ratio,
                r.median_ratio
            )?;
        }
        let s = &self.steepest;
        writeln!(
            f,
            "steepest descent at the start, step length {}: loss drop along -grad C {}; best of {} random directions {}",
            crate::report::number(s.length),
            crate::report::number(s.gradient_drop),
            s.random_drops.len(),
            crate::report::number(s.best_random())
        )?;
        let beaten = self.random_directions_beating_gradient;
        if beaten == 0 {
            writeln!(f, "verdict: no random direction beat -grad C")?;
        } else {
            // Real at a long step (second order), or f32 rounding at a short one: the drops then
            // differ by less than C's rounding.
            writeln!(
                f,
                "verdict: {beaten} random directions beat -grad C: by second-order effects at this step length, or by rounding if the drops differ by less than the dtype resolves (try backend.dtype = \"f64\")"
            )?;
        }
        writeln!(f, "written to {}", self.dir.display())
    }
}

/// Trains a few steps at each lr, comparing predicted and actual loss changes, and compares
/// -grad C with random directions at the starting point. Returns the folder it wrote.
pub fn taylor(config_path: &Path, sets: &[String], o: &TaylorOptions) -> Result<TaylorReport, GdlabError> {
    let exp = prepare(config_path, sets, None)?;
    let c = &exp.loaded.config;
    if o.lrs.is_empty() || o.lrs.iter().any(|lr| !(lr.is_finite() && *lr > 0.0)) {
        return Err(GdlabError::Input(format!("--lr {:?}: every learning rate must be a number > 0 (e.g. --lr 0.001,0.01,0.1,1)", o.lrs)));
    }
    let never = AtomicBool::new(false);
    let mut results = Vec::new();
    for &lr in &o.lrs {
        let settings = Settings {
            descent: Descent {
                lr,
                budget: Budget::Steps(o.steps),
                schedule: Schedule::FullBatch,
                early_stop: None,
                ..exp.settings.descent.clone()
            },
            log_every: 1,
            ..exp.settings.clone()
        };
        let out = Trainer::for_datasets(exp.model.clone(), &exp.objective, &exp.splits.train, None, &settings, &exp.device)
            .run_collecting(&never, &mut |_| {});
        let steps: Vec<taylor::Step> = out
            .records
            .iter()
            .filter_map(|r| {
                let actual = r.actual_dc?;
                Some(taylor::Step { lr, loss_before: r.loss - actual, predicted: r.predicted_dc?, actual })
            })
            .collect();
        let first = steps.first().copied().unwrap_or(taylor::Step { lr, loss_before: f64::NAN, predicted: f64::NAN, actual: f64::NAN });
        results.push(LrResult {
            lr,
            first_predicted: first.predicted,
            first_actual: first.actual,
            first_ratio: first.ratio(),
            median_ratio: crate::stats::median(steps.iter().filter(|s| s.resolvable()).map(|s| s.ratio()).collect()),
            steps,
        });
    }
    // Steepest descent at the start, at the step length of the smallest lr.
    let loss = LossFn::new(&exp.objective, &exp.splits.train, &exp.device);
    let (_, g) = loss.with_gradient(&exp.model);
    let lr_min = o.lrs.iter().copied().fold(f64::INFINITY, f64::min);
    let length = lr_min * taylor::dot(&g, &g).sqrt();
    let steepest = taylor::steepest(&loss, &exp.model, length, o.directions, c.experiment.seed);
    let beaten = steepest.beaten_by();

    let folder = artifacts::create_run_dir(&c.output.dir, &format!("{}-taylor", c.experiment.name), o.out.as_deref())?;
    let dir = folder.dir.clone();
    let report = TaylorReport {
        experiment: c.experiment.name.clone(),
        steps: o.steps,
        lrs: results,
        steepest,
        random_directions_beating_gradient: beaten,
        dir: dir.clone(),
    };
    write_taylor(&dir, &report)?;
    Ok(report)
}

fn write_taylor(dir: &Path, r: &TaylorReport) -> Result<(), GdlabError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["lr", "step", "loss_before", "predicted_dc", "actual_dc", "ratio", "resolvable"]).expect("in-memory");
    for l in &r.lrs {
        for (k, s) in l.steps.iter().enumerate() {
            w.write_record([
                l.lr.to_string(),
                (k + 1).to_string(),
                s.loss_before.to_string(),
                s.predicted.to_string(),
                s.actual.to_string(),
                s.ratio().to_string(),
                s.resolvable().to_string(),
            ])
            .expect("in-memory");
        }
    }
    artifacts::write_atomic(&dir.join("taylor.csv"), &w.into_inner().expect("in-memory"))
        .map_err(GdlabError::io("cannot write taylor.csv"))?;
    artifacts::write_atomic(&dir.join("taylor.json"), serde_json::to_string_pretty(r).expect("serialises").as_bytes())
        .map_err(GdlabError::io("cannot write taylor.json"))?;

    // Decreases are negative: plot -dC so both axes are positive on log scales.
    let series: Vec<Series> = r
        .lrs
        .iter()
        .map(|l| {
            let pts: Vec<(f64, f64)> =
                l.steps.iter().filter(|s| s.resolvable() && s.actual < 0.0).map(|s| (-s.predicted, -s.actual)).collect();
            // A rate whose steps all raised the loss has nothing on a log-log plot of decreases.
            let note = if pts.is_empty() { " (loss rose: not drawn)" } else { "" };
            Series::dots(format!("lr = {}{note}", l.lr), pts)
        })
        .collect();
    plot::write(
        dir,
        "taylor",
        (900, 640),
        &LogLogScatter {
            title: &format!("{}: predicted vs actual loss decrease (increases not shown)", r.experiment),
            x_label: "predicted decrease  lr |grad C|^2",
            y_label: "actual decrease  C(W) - C(W + dW)",
            series: &series,
            lang: FigureLang::En,
        },
    )
    .map_err(GdlabError::io("cannot write the taylor plot"))?;
    let ratio_series: Vec<Series> = r
        .lrs
        .iter()
        .map(|l| {
            let points = l.steps.iter().enumerate().filter(|(_, s)| s.resolvable()).map(|(k, s)| ((k + 1) as f64, s.ratio())).collect();
            Series::line(format!("lr = {}", l.lr), points)
        })
        .collect();
    plot::write(
        dir,
        "taylor_ratio",
        (900, 560),
        &LineChart {
            title: &format!("{}: actual / predicted loss change (1 = first order exact)", r.experiment),
            x_label: "step",
            y_label: "actual dC / predicted dC",
            series: &ratio_series,
            log_y: Some(false),
            lang: FigureLang::En,
        },
    )
    .map_err(GdlabError::io("cannot write the taylor ratio plot"))?;
    Ok(())
}
