//! What the page draws beside a session's stream, computed by gdlab itself (burn's autodiff
//! for losses and gradients, the host forward pass of the gradient checks for the network's
//! outputs): the loss over one or two parameters (surface), the loss, gradient and actual
//! change after a step ΔW at any point (probe: the Taylor drag), the current network over
//! the input plane (boundary), the perceptron rule's trajectory, and the small data sets the
//! page edits (datasets).

use super::App;
use super::api::{ApiError, ApiResult, bad, blocking, load_posted, overrides};
use super::session::Control;
use crate::gradient::{LossFn, backprop, params};
use crate::nonfinite::Floats;
use axum::Json;
use axum::extract::{Extension, Path, Query, State};
use axum::http::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;

/// Training rows the page is sent (a scatter, not a data export).
pub const MAX_POINTS: usize = 1000;

/// `lo:hi` with lo < hi, both finite.
fn range(key: &str, t: &str) -> ApiResult<(f64, f64)> {
    crate::surface::parse_range(t).map_err(|e| bad(format!("{key}: {e}")))
}

/// A comma-separated list of exactly `n` finite numbers.
fn numbers(key: &str, t: &str, n: usize) -> ApiResult<Vec<f64>> {
    let v: Vec<f64> = t
        .split(',')
        .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect::<Option<_>>()
        .ok_or_else(|| bad(format!("{key} = `{t}`: give {n} finite numbers separated by commas")))?;
    if v.len() != n {
        return Err(bad(format!("{key}: {} numbers given; the model has {n} parameters", v.len())));
    }
    Ok(v)
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurfaceQuery {
    /// Range of the first parameter, `lo:hi`.
    x: String,
    /// Range of the second (models with two or more parameters), `lo:hi`.
    y: Option<String>,
    /// Points per side (3 to 101).
    n: Option<usize>,
}

/// The loss over the first one or two parameters (the others at their start): what the page
/// draws under the iterates (the parabola of one parameter, the contour map of two).
pub async fn surface(
    State(app): State<Arc<App>>,
    Extension(who): Extension<super::classroom::Who>,
    Path(id): Path<String>,
    Query(q): Query<SurfaceQuery>,
) -> ApiResult<Json<Value>> {
    let s = app.session(&who, &id)?;
    let n = q.n.unwrap_or(41);
    if !(3..=101).contains(&n) {
        return Err(bad(format!("n = {n}: use 3 to 101 points per side")));
    }
    let xr = range("x", &q.x)?;
    let yr = q.y.as_deref().map(|y| range("y", y)).transpose()?;
    if yr.is_some() && s.param_names.len() < 2 {
        return Err(bad("y: the model has one parameter"));
    }
    let loaded = load_posted(&app, &s.config, &[], &who)?;
    let grid = blocking(&app, move || {
        let exp = crate::train::experiment::prepare(loaded)?;
        let loss = LossFn::new(&exp.objective, &exp.splits.train, &exp.device);
        let xs = crate::surface::axis(xr, n);
        let json = |row: &[f64]| row.iter().map(Floats::to_json).collect::<Vec<Value>>();
        Ok(match yr {
            None => json!({ "x": xs, "loss": json(&crate::surface::loss_grid(&loss, &exp.model, 0, &xs, None)[0]) }),
            Some(yr) => {
                let ys = crate::surface::axis(yr, n);
                let z: Vec<Vec<Value>> =
                    crate::surface::loss_grid(&loss, &exp.model, 0, &xs, Some((1, &ys))).iter().map(|r| json(r)).collect();
                json!({ "x": xs, "y": ys, "loss": z })
            }
        })
    })
    .await?;
    Ok(Json(grid))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeQuery {
    /// Every parameter's value, comma-separated, in the session's `params` order.
    at: String,
    /// A step ΔW of the same length: the answer then has C(W + ΔW) and ∇C·ΔW.
    dw: Option<String>,
}

/// C(W), the autodiff gradient ∇C(W), and for a step ΔW the first-order prediction ∇C·ΔW
/// beside the actual change C(W + ΔW) − C(W) (the lecture's ΔC ≈ ∇C·ΔW, at any point).
pub async fn probe(
    State(app): State<Arc<App>>,
    Extension(who): Extension<super::classroom::Who>,
    Path(id): Path<String>,
    Query(q): Query<ProbeQuery>,
) -> ApiResult<Json<Value>> {
    let s = app.session(&who, &id)?;
    let k = s.param_names.len();
    let at = numbers("at", &q.at, k)?;
    let dw = q.dw.as_deref().map(|t| numbers("dw", t, k)).transpose()?;
    let loaded = load_posted(&app, &s.config, &[], &who)?;
    let answer = blocking(&app, move || {
        let exp = crate::train::experiment::prepare(loaded)?;
        let loss = LossFn::new(&exp.objective, &exp.splits.train, &exp.device);
        let (c, g) = loss.with_gradient(&params::with_values(&exp.model, &at));
        let mut out = json!({ "loss": Floats::to_json(&c), "gradient": Floats::to_json(&g) });
        if let Some(dw) = dw {
            let moved: Vec<f64> = at.iter().zip(&dw).map(|(w, d)| w + d).collect();
            let after = loss.value(&params::with_values(&exp.model, &moved));
            let predicted: f64 = g.iter().zip(&dw).map(|(g, d)| g * d).sum();
            out["loss_after"] = Floats::to_json(&after);
            out["predicted_dc"] = Floats::to_json(&predicted);
            out["actual_dc"] = Floats::to_json(&(after - c));
        }
        Ok(out)
    })
    .await?;
    Ok(Json(answer))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoundaryQuery {
    /// Points per side (5 to 81).
    n: Option<usize>,
}

/// Most hidden units whose own maps are sent.
const MAX_HIDDEN_MAPS: usize = 64;

/// The session's current network over the plane of its two inputs: the output (a decision
/// map), each hidden unit's activation, and the weights, for the multi-layer page.
pub async fn boundary(
    State(app): State<Arc<App>>,
    Extension(who): Extension<super::classroom::Who>,
    Path(id): Path<String>,
    Query(q): Query<BoundaryQuery>,
) -> ApiResult<Json<Value>> {
    let s = app.session(&who, &id)?;
    let n = q.n.unwrap_or(41);
    if !(5..=81).contains(&n) {
        return Err(bad(format!("n = {n}: use 5 to 81 points per side")));
    }
    if s.view.dims != 2 {
        return Err(bad(format!("the model has {} inputs; the decision map needs 2", s.view.dims)));
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let gone = || ApiError(StatusCode::GONE, format!("session `{id}` has ended"));
    if !s.control(Control::Layers(tx)) {
        return Err(gone());
    }
    let layers = rx.await.map_err(|_| gone())?;
    // A forward pass over n² points of a network of any width: a computation, off the
    // server's threads and within its permits.
    blocking(&app, move || Ok(boundary_of(&s.view, &layers, n))).await.map(Json)
}

fn boundary_of(view: &super::session::View, layers: &[crate::gradient::backprop::Layer], n: usize) -> Value {
    // The plane the data covers, with a margin.
    let span = |c: usize| {
        let vs = view.x.chunks(2).map(|r| r[c]);
        let (lo, hi) = vs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (-1.0, 1.0) };
        let m = ((hi - lo) * 0.15).max(0.5);
        (lo - m, hi + m)
    };
    let (xs, ys) = (crate::surface::axis(span(0), n), crate::surface::axis(span(1), n));
    let plane: Vec<f64> = ys.iter().flat_map(|&y| xs.iter().flat_map(move |&x| [x, y])).collect();
    let trace = backprop::forward(layers, view.hidden, view.output, &plane, n * n);
    let unit_map = |a: &[f64], width: usize, j: usize| -> Vec<Vec<Value>> {
        (0..n).map(|r| (0..n).map(|c| Floats::to_json(&a[(r * n + c) * width + j])).collect()).collect()
    };
    let last = trace.a.last().map(Vec::as_slice).unwrap_or(&[]);
    let k = layers.last().map_or(1, |l| l.d_out);
    // One output: its activation; several (softmax): the winning class.
    let output: Vec<Vec<Value>> = if k == 1 {
        unit_map(last, 1, 0)
    } else {
        (0..n * n)
            .map(|i| {
                let row = &last[i * k..(i + 1) * k];
                (0..k).fold(0, |best, j| if row[j] > row[best] { j } else { best })
            })
            .collect::<Vec<_>>()
            .chunks(n)
            .map(|r| r.iter().map(|&c| json!(c)).collect())
            .collect()
    };
    let hidden_units: usize = layers.iter().take(layers.len().saturating_sub(1)).map(|l| l.d_out).sum();
    let hidden: Vec<Vec<Vec<Vec<Value>>>> = if hidden_units <= MAX_HIDDEN_MAPS {
        trace.a[1..trace.a.len().saturating_sub(1)]
            .iter()
            .zip(layers)
            .map(|(a, l)| (0..l.d_out).map(|j| unit_map(a, l.d_out, j)).collect())
            .collect()
    } else {
        Vec::new()
    };
    let weights: Vec<Value> = layers
        .iter()
        .map(|l| json!({ "d_in": l.d_in, "d_out": l.d_out, "weights": Floats::to_json(&l.weights), "bias": l.bias.as_ref().map(Floats::to_json) }))
        .collect();
    json!({ "x": xs, "y": ys, "outputs": k, "output": output, "hidden": hidden, "layers": weights })
}

/// Epochs the page's perceptron runs at most (a record each goes back to the page).
const PAGE_EPOCHS: usize = 10_000;

/// `POST /api/perceptron[?set=...]` with a config: Rosenblatt's rule on its data, epoch by
/// epoch (the same code as `gdlab perceptron`, no files written), for the page to animate
/// beside a gradient-descent session on the same data.
pub async fn perceptron(
    State(app): State<Arc<App>>,
    Extension(who): Extension<super::classroom::Who>,
    Query(q): Query<Vec<(String, String)>>,
    body: String,
) -> ApiResult<Json<Value>> {
    let loaded = load_posted(&app, &body, &overrides(q)?, &who)?;
    let r = blocking(&app, move || crate::train::perceptron::rule(loaded, PAGE_EPOCHS, &std::sync::atomic::AtomicBool::new(false))).await?;
    let records: Vec<Value> = r
        .outcome
        .records
        .iter()
        .map(|rec| json!({ "epoch": rec.epoch, "step": rec.step, "error_rate": rec.loss, "params": Floats::to_json(&rec.params) }))
        .collect();
    Ok(Json(json!({ "params": r.param_names, "records": records, "stop": r.outcome.stop, "data": points(&r.splits.train) })))
}

/// Training rows for the page's scatter (at most `MAX_POINTS`), in the model's input space.
pub fn points(d: &crate::data::Dataset) -> Value {
    let n = d.len().min(MAX_POINTS);
    let k = d.outputs();
    json!({
        "features": d.feature_names,
        "targets": d.target_names,
        "x": (0..n).map(|i| Floats::to_json(&d.row(i).to_vec())).collect::<Vec<_>>(),
        "y": (0..n).map(|i| Floats::to_json(&d.y[i * k])).collect::<Vec<_>>(),
    })
}

/// The most rows and columns of a data set the page may post.
const MAX_DATASET_ROWS: usize = 2000;
const MAX_DATASET_COLUMNS: usize = 8;

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetBody {
    columns: Vec<String>,
    rows: Vec<Vec<f64>>,
}

/// `POST /api/datasets` with `{"columns": [...], "rows": [[...], ...]}`: a small data set the
/// page made (points dragged on the error-as-area page) written as a CSV under the runs
/// folder's `live-data/`, named by its content's SHA-256, so a config posted next may read it
/// (`data.path`) and a saved run keeps pointing at the same rows.
pub async fn dataset(
    State(app): State<Arc<App>>,
    Extension(who): Extension<super::classroom::Who>,
    body: String,
) -> ApiResult<(StatusCode, Json<Value>)> {
    use sha2::{Digest, Sha256};
    let d: DatasetBody = serde_json::from_str(&body)
        .map_err(|e| bad(format!("{e}\n  hint: {{\"columns\": [\"x\", \"y\"], \"rows\": [[0.5, 1.2], ...]}}")))?;
    if d.columns.is_empty() || d.columns.len() > MAX_DATASET_COLUMNS {
        return Err(bad(format!("columns: give 1 to {MAX_DATASET_COLUMNS} names")));
    }
    for (i, c) in d.columns.iter().enumerate() {
        let ok = c.len() <= 32
            && c.chars().next().is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !ok {
            return Err(bad(format!("columns[{i}] = `{c}`: a name of letters, digits and _ (at most 32), starting with a letter")));
        }
        if d.columns[..i].contains(c) {
            return Err(bad(format!("columns[{i}] = `{c}`: named twice")));
        }
    }
    if d.rows.is_empty() || d.rows.len() > MAX_DATASET_ROWS {
        return Err(bad(format!("rows: give 1 to {MAX_DATASET_ROWS} rows")));
    }
    let mut text = d.columns.join(",") + "\n";
    for (i, r) in d.rows.iter().enumerate() {
        if r.len() != d.columns.len() {
            return Err(bad(format!("rows[{i}]: {} values for {} columns", r.len(), d.columns.len())));
        }
        if let Some(j) = r.iter().position(|v| !(v.is_finite() && v.abs() <= 1e6)) {
            return Err(bad(format!("rows[{i}][{j}] = {}: give a finite number within ±1e6", r[j])));
        }
        text += &r.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(",");
        text.push('\n');
    }
    let name = format!("{}.csv", &format!("{:x}", Sha256::digest(text.as_bytes()))[..16]);
    // A student's go to their own folder, a bounded number of them.
    let dir = app.runs_of(&who).join("live-data");
    let path = dir.join(&name);
    let kept = std::fs::read_dir(&dir).map_or(0, |d| d.count());
    if who.student().is_some() && kept >= super::classroom::STUDENT_DATASETS && !path.exists() {
        return Err(ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "you have {kept} data sets here, the most one student may keep\n  hint: reuse one of them (the same points give the same file)"
            ),
        ));
    }
    blocking(&app, {
        let path = path.clone();
        move || {
            std::fs::create_dir_all(&dir).map_err(crate::error::GdlabError::io(format!("cannot create {}", dir.display())))?;
            crate::atomic::write_atomic(&path, text.as_bytes())
                .map_err(crate::error::GdlabError::io(format!("cannot write {}", path.display())))
        }
    })
    .await?;
    Ok((StatusCode::CREATED, Json(json!({ "path": path.display().to_string(), "rows": d.rows.len() }))))
}
