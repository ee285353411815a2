//! The HTTP API (documented in docs/live-lab.md) and the embedded page.

use super::classroom::Who;
use super::session::{Control, Owner, Session};
use super::{App, MAX_BODY, MAX_SESSION_STEPS, guard, views};
use crate::config::spec::{CsvFile, CsvSource, DataSource};
use crate::config::{self, shipped};
use crate::run::artifacts::{self, RunState};
use axum::extract::{DefaultBodyLimit, Extension, Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio_stream::StreamExt;

/// An API error: a status and the message the CLI would print.
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({ "error": self.1 }))).into_response()
    }
}

/// For handlers whose refusals carry headers of their own (`Retry-After`).
impl From<ApiError> for Response {
    fn from(e: ApiError) -> Self {
        e.into_response()
    }
}

impl From<crate::error::GdlabError> for ApiError {
    fn from(e: crate::error::GdlabError) -> Self {
        let status = if e.exit_code() == 2 { StatusCode::BAD_REQUEST } else { StatusCode::INTERNAL_SERVER_ERROR };
        ApiError(status, e.to_string())
    }
}

pub(super) fn bad(message: impl Into<String>) -> ApiError {
    ApiError(StatusCode::BAD_REQUEST, message.into())
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

pub fn router(app: Arc<App>) -> Router {
    super::teacher::routes()
        .route("/", get(|| async { page("text/html; charset=utf-8", include_str!("page/index.html")) }))
        .route("/app.js", get(|| async { page("text/javascript; charset=utf-8", include_str!("page/app.js")) }))
        .route("/pages.js", get(|| async { page("text/javascript; charset=utf-8", include_str!("page/pages.js")) }))
        .route("/style.css", get(|| async { page("text/css; charset=utf-8", include_str!("page/style.css")) }))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/report", get(super::report::bare))
        .route("/report/", get(super::report::index))
        .route("/report/figures/{name}", get(super::report::figure))
        .route("/api/experiments", get(experiments))
        .route("/api/sessions", post(create))
        .route("/api/sessions/{id}", get(describe).delete(close))
        .route("/api/sessions/{id}/events", get(events))
        .route("/api/sessions/{id}/control", post(control))
        .route("/api/sessions/{id}/save", post(save))
        .route("/api/sessions/{id}/surface", get(views::surface))
        .route("/api/sessions/{id}/probe", get(views::probe))
        .route("/api/sessions/{id}/boundary", get(views::boundary))
        .route("/api/perceptron", post(views::perceptron))
        .route("/api/datasets", post(views::dataset))
        .route("/api/runs", get(runs))
        .route("/api/runs/{experiment}/{run_id}", get(run))
        .fallback(|| async { ApiError(StatusCode::NOT_FOUND, "no such page or API route".into()) })
        .layer(axum::middleware::from_fn(guard::bounded_body))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), super::classroom::gate))
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&app), guard::same_origin))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(guard::json_errors))
        .with_state(app)
}

pub(super) fn page(kind: &'static str, body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-store")], body).into_response()
}

async fn experiments() -> Json<Value> {
    let list: Vec<Value> = shipped::SHIPPED
        .iter()
        .filter_map(|s| {
            let c = toml::from_str::<config::Config>(s.text).ok()?;
            Some(json!({ "path": s.path, "name": c.experiment.name, "description": c.experiment.description, "toml": s.text }))
        })
        .collect();
    Json(json!({ "experiments": list }))
}

impl App {
    /// A live session `who` may see and drive: a student only their own (another's is as
    /// missing as one that never was), the teacher any.
    pub(super) fn session(&self, who: &Who, id: &str) -> ApiResult<Arc<Session>> {
        let missing = || ApiError(StatusCode::NOT_FOUND, format!("no live session `{id}`"));
        let id: u64 = id.parse().map_err(|_| missing())?;
        let s = self.sessions.lock().ok().and_then(|s| s.get(&id).cloned()).ok_or_else(missing)?;
        match who.student() {
            Some(me) if s.owner.student.as_ref().is_none_or(|o| o.id != me.id) => Err(missing()),
            _ => Ok(s),
        }
    }

    /// Where `who`'s runs are saved and listed: the runs folder, or a student's own
    /// `class/sN/` in it.
    pub(super) fn runs_of(&self, who: &Who) -> std::path::PathBuf {
        match who.student() {
            Some(s) => self.runs.join("class").join(s.label()),
            None => self.runs.clone(),
        }
    }
}

/// Runs blocking work (burn, files) off the server's threads.
/// Runs `f` (a computation: a surface, a probe, a data set's preparation, the perceptron rule)
/// on the blocking pool, at most `HEAVY_AT_ONCE` at a time: requests beyond those wait their
/// turn for up to `HEAVY_WAIT`, then get 503, so a burst cannot hold more memory and threads
/// than a few computations need.
pub(super) async fn blocking<T: Send + 'static>(
    app: &App,
    f: impl FnOnce() -> Result<T, crate::error::GdlabError> + Send + 'static,
) -> ApiResult<T> {
    let permit = tokio::time::timeout(super::HEAVY_WAIT, Arc::clone(&app.heavy).acquire_owned())
        .await
        .map_err(|_| {
            ApiError(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "busy: {} computations are already running and others are waiting\n  hint: retry in a few seconds",
                    super::HEAVY_AT_ONCE
                ),
            )
        })?
        .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let result = tokio::task::spawn_blocking(move || {
        let _held = permit;
        f()
    })
    .await;
    Ok(result.map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??)
}

/// A posted config, checked like `gdlab train` checks one, and then for the server: data only
/// from the shipped data or the runs folder, and a bounded number of updates.
pub(super) fn load_posted(app: &App, text: &str, sets: &[String], who: &Who) -> ApiResult<config::Loaded> {
    let mut sets = sets.to_vec();
    sets.push(format!("output.dir={}", toml::Value::String(app.runs_of(who).display().to_string())));
    // A student reads their own folder (and --data), never a classmate's runs or the
    // teacher's; relative paths resolve there.
    let runs = app.runs_of(who);
    let base = match (&app.data, who.student()) {
        (None, Some(_)) => runs.clone(),
        _ => app.base.clone(),
    };
    let loaded = config::from_text(text, "<posted config>", base.clone(), &sets).map_err(|e| bad(e.to_string()))?;
    if let DataSource::Csv(CsvSource { file: CsvFile::Path(c_path), .. }) = &loaded.spec.data.source {
        let path = base.join(c_path);
        let inside =
            std::fs::canonicalize(&path).is_ok_and(|p| app.data.as_ref().is_some_and(|d| p.starts_with(d)) || p.starts_with(&runs));
        if !inside {
            let shown =
                if who.student().is_some() { "your own runs and data sets".to_string() } else { format!("the runs in {}", runs.display()) };
            return Err(bad(format!(
                "key `data.path`: `{}` is outside the folders this server reads ({}{shown})\n  hint: name a shipped data set instead, e.g. dataset = \"iris\" ({}), post your table to /api/datasets, or start the server with --data DIR for your own CSV files",
                c_path.display(),
                app.data.as_ref().map_or_else(String::new, |d| format!("{} given with --data, ", d.display())),
                crate::data::shipped::names().join(", ")
            )));
        }
    }
    if app.classroom.is_some() {
        within_class_bounds(&loaded.spec)?;
    }
    Ok(loaded)
}

/// Weights and biases a classroom session's network may have: memory stays bounded whatever
/// a student posts (64 sessions at the cap hold 16 M parameters).
pub const CLASS_MAX_PARAMS: usize = 250_000;
/// Generated data values (rows × inputs) a classroom session may hold.
pub const CLASS_MAX_CELLS: usize = 1_000_000;

/// A classroom's bounds on one session: its network's size and its generated data's.
fn within_class_bounds(spec: &crate::config::spec::Spec) -> ApiResult<()> {
    use crate::config::spec::{Architecture, Generator};
    if let Architecture::Mlp { layers, .. } = &spec.model.shape {
        let params: usize = layers.windows(2).map(|w| w[0].saturating_mul(w[1]).saturating_add(w[1])).fold(0, usize::saturating_add);
        if params > CLASS_MAX_PARAMS {
            return Err(bad(format!(
                "key `model.layers`: {layers:?} has {params} weights and biases; a classroom session has at most {CLASS_MAX_PARAMS}\n  hint: narrower hidden layers, or train it with gdlab train"
            )));
        }
    }
    if let DataSource::Generated(g) = &spec.data.source {
        let (n, dims) = match g {
            Generator::Linear { n, dims, .. } | Generator::Logistic { n, dims, .. } | Generator::Blobs { n, dims, .. } => (*n, *dims),
            Generator::Gates { n, .. } => (*n, 2),
            Generator::Constant { n, .. } => (*n, 1),
            Generator::Points { rows } => (rows.len(), g.dims()),
        };
        if n.saturating_mul(dims) > CLASS_MAX_CELLS {
            return Err(bad(format!(
                "key `data.n`: {n} rows of {dims} inputs; a classroom session holds at most {CLASS_MAX_CELLS} values\n  hint: fewer rows, or train it with gdlab train"
            )));
        }
    }
    Ok(())
}

/// The `set=KEY=VALUE` overrides of a query (nothing else is accepted).
pub(super) fn overrides(q: Vec<(String, String)>) -> ApiResult<Vec<String>> {
    q.into_iter().map(|(k, v)| if k == "set" { Ok(v) } else { Err(bad(format!("query `{k}`: only set=KEY=VALUE is accepted"))) }).collect()
}

/// A refusal for now, with when to ask again (429 and `Retry-After`).
fn too_many(message: String, retry_after: u64) -> Response {
    let mut r = ApiError(StatusCode::TOO_MANY_REQUESTS, format!("{message}\n  hint: retry in {retry_after} s")).into_response();
    r.headers_mut().insert(header::RETRY_AFTER, retry_after.into());
    r
}

/// Why one more session cannot start now, if it cannot: the class's cap, or (for a student)
/// their own. In a classroom both are 429 with a time to retry; on loopback the cap is 503,
/// as it always was.
fn refusal(app: &App, sessions: &std::collections::HashMap<u64, Arc<Session>>, who: &Who) -> Option<Response> {
    let retry = app.idle.as_secs().max(1);
    if let (Some(me), Some(class)) = (who.student(), &app.classroom) {
        let mine = sessions.values().filter(|s| s.owner.student.as_ref().is_some_and(|o| o.id == me.id)).count();
        if mine >= class.per_student {
            return Some(too_many(
                format!(
                    "you have {mine} live sessions, the most one student may have; close one (leaving a page closes its sessions; one no page watches ends after {retry} s)"
                ),
                retry,
            ));
        }
    }
    if sessions.len() >= app.max_sessions {
        let message =
            format!("at most {} live sessions; close one (DELETE /api/sessions/ID) or restart with --max-sessions", app.max_sessions);
        return Some(if app.classroom.is_some() {
            too_many(format!("the class has {} live sessions, the most this server runs", app.max_sessions), retry)
        } else {
            ApiError(StatusCode::SERVICE_UNAVAILABLE, message).into_response()
        });
    }
    None
}

/// `POST /api/sessions[?set=KEY=VALUE...]` with a TOML config as the body (overrides as in
/// `--set`, e.g. the start point the page's click chose).
async fn create(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    axum::extract::Query(q): axum::extract::Query<Vec<(String, String)>>,
    body: String,
) -> Result<(StatusCode, Json<Value>), Response> {
    // `page=ID`: the page that opens the session, for the teacher's view.
    let (pages, q): (Vec<_>, Vec<_>) = q.into_iter().partition(|(k, _)| k == "page");
    let page = pages.into_iter().next_back().map(|p| p.1).unwrap_or_default();
    if !page.is_empty() && !super::teacher::page_name(&page) {
        return Err(bad(format!("query `page={page}`: a page's id, such as lab or parabola")).into_response());
    }
    let sets = overrides(q)?;
    {
        let sessions = app.sessions.lock().map_err(|_| bad("server state unavailable"))?;
        if let Some(no) = refusal(&app, &sessions, &who) {
            return Err(no);
        }
    }
    let loaded = load_posted(&app, &body, &sets, &who)?;
    let config = config::to_toml(&loaded.config);
    let exp = blocking(&app, move || crate::train::experiment::prepare(loaded)).await?;
    let max_steps = exp.settings.max_steps(exp.splits.train.len());
    if max_steps > MAX_SESSION_STEPS {
        return Err(bad(format!(
            "key `optimizer.steps`: {max_steps} updates; a live session makes at most {MAX_SESSION_STEPS}\n  hint: train long runs with gdlab train"
        ))
        .into());
    }
    let id = app.next_id.fetch_add(1, Ordering::Relaxed);
    let params = exp.param_names.clone();
    let data = views::points(&exp.splits.train);
    let mut sessions = app.sessions.lock().map_err(|_| bad("server state unavailable"))?;
    // Checked again under the lock: two posts may have prepared at once.
    if let Some(no) = refusal(&app, &sessions, &who) {
        return Err(no);
    }
    let student = who.student().cloned();
    let share = match (&app.fair, &student) {
        (Some(fair), Some(s)) => Some(super::fair::Share::new(fair, s.id)),
        _ => None,
    };
    sessions.insert(id, Session::start(id, Owner { student, page }, config.clone(), exp, share));
    drop(sessions);
    Ok((
        StatusCode::CREATED,
        Json(json!({ "id": id.to_string(), "params": params, "max_steps": max_steps, "config": config, "data": data })),
    ))
}

async fn describe(State(app): State<Arc<App>>, Extension(who): Extension<Who>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let s = app.session(&who, &id)?;
    Ok(Json(json!({ "id": id, "params": s.param_names, "config": s.config, "lr": s.lr() })))
}

async fn close(State(app): State<Arc<App>>, Extension(who): Extension<Who>, Path(id): Path<String>) -> ApiResult<StatusCode> {
    let s = app.session(&who, &id)?;
    if let Ok(mut all) = app.sessions.lock() {
        all.remove(&s.id);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Counts an open event stream for as long as it lives.
struct Watching(Arc<Session>);

impl Drop for Watching {
    fn drop(&mut self) {
        self.0.watchers.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

async fn events(State(app): State<Arc<App>>, Extension(who): Extension<Who>, Path(id): Path<String>) -> ApiResult<impl IntoResponse> {
    let s = app.session(&who, &id)?;
    let (history, rx) = s.subscribe();
    s.watchers.fetch_add(1, Ordering::Relaxed);
    let watching = Watching(s);
    let live = tokio_stream::wrappers::BroadcastStream::new(rx).filter_map(Result::ok);
    let stream = tokio_stream::iter(history).chain(live).map(move |json| {
        let _alive = &watching;
        Ok::<_, std::convert::Infallible>(Event::default().data(json))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ControlBody {
    action: Option<String>,
    lr: Option<f64>,
    speed: Option<f64>,
}

async fn control(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    Path(id): Path<String>,
    body: String,
) -> ApiResult<StatusCode> {
    let s = app.session(&who, &id)?;
    let c: ControlBody = serde_json::from_str(&body).map_err(|e| {
        bad(format!("{e}\n  hint: {{\"action\": \"play\" | \"pause\" | \"step\" | \"reset\"}}, optionally with \"lr\" and \"speed\""))
    })?;
    let mut controls = Vec::new();
    if let Some(lr) = c.lr {
        if !(lr.is_finite() && lr > 0.0) {
            return Err(bad(format!("lr: must be a finite number > 0, got {lr}")));
        }
        controls.push(Control::Lr(lr));
    }
    if let Some(v) = c.speed {
        if !(v.is_finite() && v > 0.0) {
            return Err(bad(format!("speed: updates per second, a number > 0, got {v}")));
        }
        controls.push(Control::Speed(v));
    }
    match c.action.as_deref() {
        None => {}
        Some("play") => controls.push(Control::Play),
        Some("pause") => controls.push(Control::Pause),
        Some("step") => controls.push(Control::Step),
        Some("reset") => controls.push(Control::Reset),
        Some(other) => return Err(bad(format!("action `{other}`: use play, pause, step or reset"))),
    }
    s.touch();
    for c in controls {
        if !s.control(c) {
            return Err(ApiError(StatusCode::GONE, format!("session `{id}` has ended")));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}

/// "Save as run": trains the session's config, with its current learning rate, as `gdlab
/// train` would, into an ordinary run folder under the runs folder (a student's under
/// `class/sN/`, beside `student.json` with the name they chose).
async fn save(State(app): State<Arc<App>>, Extension(who): Extension<Who>, Path(id): Path<String>) -> ApiResult<(StatusCode, Json<Value>)> {
    let s = app.session(&who, &id)?;
    let loaded = load_posted(&app, &s.config, &[format!("optimizer.lr={:e}", s.lr())], &who)?;
    let student = who.student().map(|p| (app.runs_of(&who), p.label(), p.name()));
    // One save at a time per student: each is a whole run.
    let _saving = match who.student() {
        Some(p) => Some(Saving::start(p).ok_or_else(|| {
            ApiError(StatusCode::TOO_MANY_REQUESTS, "a save of yours is under way\n  hint: wait until it is done, then save again".into())
        })?),
        None => None,
    };
    let stopping = Arc::clone(&app);
    // Not one of the computations' permits: a save trains a whole run, and two of them must not
    // make every surface and probe wait.
    let result = tokio::task::spawn_blocking(move || {
        if let Some((dir, id, name)) = student {
            let text = serde_json::to_string_pretty(&json!({ "student": id, "name": name })).unwrap_or_default() + "\n";
            std::fs::create_dir_all(&dir)
                .and_then(|()| crate::atomic::write_atomic(&dir.join("student.json"), text.as_bytes()))
                .map_err(crate::error::GdlabError::io(format!("cannot write {}", dir.join("student.json").display())))?;
        }
        // Stopping the server stops the save (its folder is an interrupted run, as after Ctrl-C).
        crate::run::train(loaded, &crate::run::TrainOptions { out: None, quiet: true }, &stopping.stopping)
    })
    .await
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))??;
    let rel = result.dir.strip_prefix(&app.runs).unwrap_or(&result.dir).display().to_string();
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "run": rel, "stop_reason": result.summary.stop_reason, "final_loss": crate::nonfinite::Floats::to_json(&result.summary.final_loss) }),
        ),
    ))
}

/// A student's save under way, until dropped.
struct Saving(Arc<super::classroom::Student>);

impl Saving {
    fn start(s: &Arc<super::classroom::Student>) -> Option<Self> {
        (!s.saving.swap(true, Ordering::Relaxed)).then(|| Saving(Arc::clone(s)))
    }
}

impl Drop for Saving {
    fn drop(&mut self) {
        self.0.saving.store(false, Ordering::Relaxed);
    }
}

/// A file or folder name: no separators, not `.` or `..`.
fn plain(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// A run folder, canonical, when it and every link in it resolve inside the runs folder: a
/// symlink out of it (to a folder or to a file) is not followed. Plain files are not resolved,
/// so one renamed away while the folder is read (a run writing it) does not hide the run.
fn inside_runs(app: &App, dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let dir = std::fs::canonicalize(dir).ok().filter(|d| d.starts_with(&app.runs))?;
    let inside = |e: std::fs::DirEntry| match e.file_type() {
        Ok(t) if t.is_symlink() => std::fs::canonicalize(e.path()).is_ok_and(|p| p.starts_with(&app.runs)),
        _ => true,
    };
    std::fs::read_dir(&dir).ok()?.all(|e| e.map_or(true, inside)).then_some(dir)
}

async fn runs(State(app): State<Arc<App>>, Extension(who): Extension<Who>) -> Json<Value> {
    let mut list = Vec::new();
    let dirs = |p: &std::path::Path| -> Vec<std::fs::DirEntry> {
        // Folders only, not links: an experiment's `latest` names a run listed already.
        let mut v: Vec<_> =
            std::fs::read_dir(p).map(|d| d.flatten().filter(|e| e.file_type().is_ok_and(|t| t.is_dir())).collect()).unwrap_or_default();
        v.sort_by_key(|e| e.file_name());
        v
    };
    for exp in dirs(&app.runs_of(&who)) {
        for run in dirs(&exp.path()) {
            if let Some(dir) = inside_runs(&app, &run.path())
                && let Ok(state) = RunState::read(&dir)
            {
                list.push(json!({
                    "experiment": exp.file_name().to_string_lossy(),
                    "run_id": run.file_name().to_string_lossy(),
                    "state": state.describe_at(&dir),
                }));
            }
        }
    }
    Json(json!({ "runs": list }))
}

async fn run(
    State(app): State<Arc<App>>,
    Extension(who): Extension<Who>,
    Path((experiment, run_id)): Path<(String, String)>,
) -> ApiResult<Json<Value>> {
    let missing = || ApiError(StatusCode::NOT_FOUND, format!("no run `{experiment}/{run_id}` in the runs folder"));
    if !plain(&experiment) || !plain(&run_id) {
        return Err(missing());
    }
    let dir = inside_runs(&app, &app.runs_of(&who).join(&experiment).join(&run_id)).ok_or_else(missing)?;
    let state = RunState::read(&dir).map_err(|_| missing())?;
    let curves = artifacts::metrics_curves(&dir, "step", &["loss", "val_loss"], artifacts::PLOT_POINTS).unwrap_or_default();
    let summary = match &state {
        RunState::Finished(s) => serde_json::to_value(s).unwrap_or(Value::Null),
        RunState::Interrupted { .. } => Value::Null,
    };
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap_or_default();
    Ok(Json(
        json!({ "experiment": experiment, "run_id": run_id, "state": state.describe_at(&dir), "summary": summary, "config": config, "loss": curves.first(), "val_loss": curves.get(1) }),
    ))
}

/// Drops sessions no page has watched for `--idle-seconds`, looking every 5 s (or twice per
/// idle time, when that is shorter), so none outlives it by more than the look's interval.
pub async fn reap_idle(app: Arc<App>) {
    let every = (app.idle / 2).min(std::time::Duration::from_secs(5));
    loop {
        tokio::time::sleep(every).await;
        if let Ok(mut all) = app.sessions.lock() {
            all.retain(|_, s| s.watched() || s.last_seen.lock().map_or(true, |t| t.elapsed() < app.idle));
        }
    }
}
