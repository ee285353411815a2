//! `gdlab surface`: the loss over a grid of two parameters (all others held where they are),
//! as a heat map with contour lines (and a run's descent path on top), plus a 3-D view. Works
//! for any two scalar parameters of any model, by name (`w_x1`, `b`, `l1.w[0,1]`, ...).

use crate::commands::inspect::model_at;
use crate::commands::sweep::RunRow;
use crate::config;
use crate::error::GdlabError;
use crate::gradient::{LossFn, params};
use crate::report::plot::{self, FigureLang, HeatMap, Surface3d};
use crate::run::artifacts;
use crate::train::experiment;
use std::path::{Path, PathBuf};

pub struct SurfaceOptions {
    pub params: (String, String),
    /// (x range, y range); default: around the start (and the run's path), +- 3.
    pub range: Option<Ranges>,
    pub grid: usize,
    pub run: Option<PathBuf>,
    pub out: Option<PathBuf>,
}

/// The computed field, for tests and the lecture.
pub struct Field {
    pub xs: Vec<f64>,
    pub ys: Vec<f64>,
    pub z: Vec<Vec<f64>>,
    pub path: Vec<(f64, f64)>,
}

/// (lo, hi) for each of the two parameters.
pub type Ranges = ((f64, f64), (f64, f64));

/// `a:b,c:d` (the --range flag).
pub fn parse_ranges(s: &str) -> Result<Ranges, String> {
    let (x, y) = s.split_once(',').ok_or("give two ranges: --range -3:3,-3:3")?;
    Ok((crate::surface::parse_range(x)?, crate::surface::parse_range(y)?))
}

pub fn surface(config_path: &Path, sets: &[String], o: &SurfaceOptions) -> Result<(PathBuf, Field), GdlabError> {
    let exp = experiment::prepare(config::load_named(config_path, sets)?)?;
    if o.grid < 3 {
        return Err(GdlabError::Input(format!("--grid {}: needs at least 3 points per side", o.grid)));
    }
    let find = |name: &str| {
        exp.param_names.iter().position(|n| n == name).ok_or_else(|| {
            GdlabError::Input(format!("--params: `{name}` is not a parameter of this model\n  parameters: {}", exp.param_names.join(", ")))
        })
    };
    let (i, j) = (find(&o.params.0)?, find(&o.params.1)?);
    if i == j {
        return Err(GdlabError::Input("--params: give two different parameters".into()));
    }
    let model = model_at(&exp, None)?;
    let base = params::values(&model);
    // The run's path through the two parameters, from its metrics columns.
    let path: Vec<(f64, f64)> = match &o.run {
        None => Vec::new(),
        Some(dir) => {
            RunRow::read(String::new(), dir)?;
            let mut curves = artifacts::metrics_curves(dir, &o.params.0, &[&o.params.1], artifacts::PLOT_POINTS)
                .map_err(|e| GdlabError::Input(format!("{e} (parameters are logged for models with at most 8)")))?;
            curves.pop().unwrap_or_default().into_iter().filter(|p| p.0.is_finite() && p.1.is_finite()).collect()
        }
    };
    let ((x0, x1), (y0, y1)) = o.range.unwrap_or_else(|| {
        let (mut xs, mut ys) = (vec![base[i]], vec![base[j]]);
        xs.extend(path.iter().map(|p| p.0));
        ys.extend(path.iter().map(|p| p.1));
        let span = |v: &[f64]| {
            let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(*x), b.max(*x)));
            let pad = ((hi - lo) * 0.25).max(3.0);
            (lo - pad, hi + pad)
        };
        (span(&xs), span(&ys))
    });
    let (xs, ys) = (crate::surface::axis((x0, x1), o.grid), crate::surface::axis((y0, y1), o.grid));
    let loss = LossFn::new(&exp.objective, &exp.splits.train, &exp.device);
    let z = crate::surface::loss_grid(&loss, &model, i, &xs, Some((j, &ys)));

    let c = &exp.loaded.config;
    let folder = artifacts::create_run_dir(&c.output.dir, &format!("{}-surface", c.experiment.name), o.out.as_deref())?;
    let dir = folder.dir.clone();
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([o.params.0.as_str(), o.params.1.as_str(), "loss"]).expect("in-memory");
    for (row, y) in z.iter().zip(&ys) {
        for (v, x) in row.iter().zip(&xs) {
            w.write_record([x.to_string(), y.to_string(), v.to_string()]).expect("in-memory");
        }
    }
    artifacts::write_atomic(&dir.join("surface.csv"), &w.into_inner().expect("in-memory"))
        .map_err(GdlabError::io("cannot write surface.csv"))?;
    let field = Field { xs, ys, z, path };
    let positive = field.z.iter().flatten().filter(|v| v.is_finite());
    let (lo, hi) = positive.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(*v), b.max(*v)));
    let loss_name = crate::config::name(&c.loss.kind).to_uppercase();
    // "Others fixed" only when there are others.
    let others = if exp.param_names.len() > 2 { ", others fixed" } else { "" };
    let title = format!("{}: {loss_name} loss over ({}, {}){others}", c.experiment.name, o.params.0, o.params.1);
    let z_label = format!("loss C ({loss_name})");
    let heat = HeatMap {
        title: &title,
        x_label: &o.params.0,
        y_label: &o.params.1,
        xs: &field.xs,
        ys: &field.ys,
        z: &field.z,
        z_label: &z_label,
        log: lo > 0.0 && hi / lo > 100.0,
        path: &field.path,
        lang: FigureLang::En,
    };
    plot::write(&dir, "surface", (820, 720), &heat).map_err(GdlabError::io("cannot write the surface plot"))?;
    plot::write(&dir, "surface3d", (820, 720), &Surface3d(&heat)).map_err(GdlabError::io("cannot write the 3-D plot"))?;
    Ok((dir, field))
}
