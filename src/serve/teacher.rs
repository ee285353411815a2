//! The teacher's view (`/teacher`) and what it sends the class: every live session as a
//! card, updated twice a second; pause all; end a student's sessions; send a page and a
//! config to every student's page (`/api/class/events`).

use super::App;
use super::api::{ApiError, ApiResult, bad};
use super::classroom::Who;
use super::session::{Control, Status};
use axum::extract::{Extension, Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::{Json, Router, routing};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;
use tokio_stream::StreamExt;

/// How often the teacher's view gets the class's state.
pub const TEACHER_EVERY: Duration = Duration::from_millis(500);

/// A page and a config sent to the whole class ("send to everyone").
#[derive(Debug, Clone, Serialize)]
pub struct Sent {
    /// Counts the sends, so a page tells a new one from one it has followed.
    pub seq: u64,
    pub page: String,
    /// The config the page starts (the lab page runs it; the lecture pages have their own).
    pub config: Option<String>,
}

/// One live session, as the teacher's view shows it.
#[derive(Debug, Serialize)]
pub struct Card {
    pub id: String,
    /// `s7`, or `None` for the teacher's (or the local user's) own sessions.
    pub student: Option<String>,
    /// The name the student chose, else their id.
    pub name: String,
    pub page: String,
    pub lr: f64,
    pub step: usize,
    #[serde(with = "crate::nonfinite")]
    pub loss: f64,
    #[serde(with = "crate::nonfinite")]
    pub curve: Vec<f64>,
    /// playing, paused, ended or diverged.
    pub state: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ClassState {
    pub classroom: bool,
    pub students: usize,
    pub sessions: Vec<Card>,
    pub max_sessions: usize,
    pub per_student: Option<usize>,
}

pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/teacher", routing::get(|| async { super::api::page("text/html; charset=utf-8", include_str!("page/teacher.html")) }))
        .route(
            "/teacher.js",
            routing::get(|| async { super::api::page("text/javascript; charset=utf-8", include_str!("page/teacher.js")) }),
        )
        .route("/api/teacher/state", routing::get(state))
        .route("/api/teacher/events", routing::get(events))
        .route("/api/teacher/pause", routing::post(pause_all))
        .route("/api/teacher/students/{student}/end", routing::post(end_student))
        .route("/api/teacher/send", routing::post(send))
        .route("/api/class/events", routing::get(class_events))
        .route("/api/me", routing::get(me).post(name))
}

impl App {
    pub(super) fn class_state(&self) -> ClassState {
        let mut sessions: Vec<_> = self.sessions.lock().map(|s| s.values().cloned().collect()).unwrap_or_default();
        sessions.sort_by_key(|s| s.id);
        let cards = sessions
            .iter()
            .map(|s| {
                let st: Status = s.status();
                let student = s.owner.student.as_ref();
                let name = student.map(|p| p.name()).filter(|n| !n.is_empty());
                Card {
                    id: s.id.to_string(),
                    student: student.map(|p| p.label()),
                    name: name.or_else(|| student.map(|p| p.label())).unwrap_or_else(|| "teacher".into()),
                    page: s.owner.page.clone(),
                    lr: s.lr(),
                    step: st.step,
                    loss: st.loss,
                    state: st.word(),
                    curve: st.curve,
                }
            })
            .collect();
        ClassState {
            classroom: self.classroom.is_some(),
            students: self.classroom.as_ref().map_or(0, |c| c.student_count()),
            sessions: cards,
            max_sessions: self.max_sessions,
            per_student: self.classroom.as_ref().map(|c| c.per_student),
        }
    }
}

async fn state(State(app): State<Arc<App>>) -> Json<ClassState> {
    Json(app.class_state())
}

/// The class's state every `TEACHER_EVERY`, for as long as the view is open.
async fn events(State(app): State<Arc<App>>) -> impl IntoResponse {
    let ticks = tokio_stream::wrappers::IntervalStream::new(tokio::time::interval(TEACHER_EVERY));
    let stream = ticks.map(move |_| {
        let json = serde_json::to_string(&app.class_state()).unwrap_or_else(|_| "{}".into());
        Ok::<_, std::convert::Infallible>(Event::default().data(json))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Serialize)]
struct Count {
    sessions: usize,
}

async fn pause_all(State(app): State<Arc<App>>) -> Json<Count> {
    let all: Vec<_> = app.sessions.lock().map(|s| s.values().cloned().collect()).unwrap_or_default();
    let sessions = all.iter().filter(|s| s.control(Control::Pause)).count();
    Json(Count { sessions })
}

/// Ends every live session of one student (`s7`).
async fn end_student(State(app): State<Arc<App>>, Path(student): Path<String>) -> ApiResult<Json<Count>> {
    let mut all = app.sessions.lock().map_err(|_| bad("server state unavailable"))?;
    let before = all.len();
    all.retain(|_, s| s.owner.student.as_ref().is_none_or(|p| p.label() != student));
    let sessions = before - all.len();
    if sessions == 0 {
        return Err(ApiError(StatusCode::NOT_FOUND, format!("student `{student}` has no live session")));
    }
    Ok(Json(Count { sessions }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    /// A live session whose page and config go to everyone.
    session: Option<String>,
    /// Or a page, and a config for it.
    page: Option<String>,
    config: Option<String>,
}

/// A page's id as the page names it: short, lower-case letters and dashes.
pub fn page_name(page: &str) -> bool {
    (1..=32).contains(&page.len()) && page.chars().all(|c| c.is_ascii_lowercase() || c == '-')
}

async fn send(State(app): State<Arc<App>>, body: String) -> ApiResult<Json<Sent>> {
    let b: SendBody = serde_json::from_str(&body)
        .map_err(|e| bad(format!("{e}\n  hint: {{\"session\": \"ID\"}}, or {{\"page\": \"lab\", \"config\": \"TOML\"}}")))?;
    let (page, config) = match (b.session, b.page) {
        (Some(id), None) => {
            let s = app.session(&Who::Local, &id)?;
            (s.owner.page.clone(), Some(s.config.clone()))
        }
        (None, Some(page)) => (page, b.config),
        _ => return Err(bad("give either `session` or `page` (with an optional `config`)")),
    };
    if !page_name(&page) {
        return Err(bad(format!("page `{page}`: a page's id, such as lab or parabola")));
    }
    if let Some(c) = &config {
        // Checked as a session would check it, so students do not each meet the error.
        super::api::load_posted(&app, c, &[], &Who::Local)?;
    }
    let seq = app.sent.borrow().as_ref().map_or(0, |s| s.seq) + 1;
    let sent = Sent { seq, page, config };
    app.sent.send_replace(Some(sent.clone()));
    Ok(Json(sent))
}

/// What the teacher sends, from when the page opens the stream on (an earlier send is not
/// followed again on a reload).
async fn class_events(State(app): State<Arc<App>>) -> impl IntoResponse {
    let mut rx = app.sent.subscribe();
    rx.mark_unchanged();
    let stream = tokio_stream::wrappers::WatchStream::from_changes(rx).filter_map(|sent| {
        let json = serde_json::to_string(&sent?).ok()?;
        Some(Ok::<_, std::convert::Infallible>(Event::default().data(json)))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Serialize)]
struct Me {
    classroom: bool,
    teacher: bool,
    student: Option<String>,
    name: Option<String>,
}

fn me_of(app: &App, who: &Who) -> Me {
    Me {
        classroom: app.classroom.is_some(),
        teacher: who.may_teach(),
        student: who.student().map(|s| s.label()),
        name: who.student().map(|s| s.name()),
    }
}

async fn me(State(app): State<Arc<App>>, Extension(who): Extension<Who>) -> Json<Me> {
    Json(me_of(&app, &who))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

/// A student's display name (the teacher's view and their saved runs show it).
async fn name(State(app): State<Arc<App>>, Extension(who): Extension<Who>, body: String) -> ApiResult<Json<Me>> {
    let b: NameBody = serde_json::from_str(&body).map_err(|e| bad(format!("{e}\n  hint: {{\"name\": \"...\"}}")))?;
    let student = who.student().ok_or_else(|| bad("only a student of a class has a name here"))?;
    student.set_name(&b.name).map_err(bad)?;
    Ok(Json(me_of(&app, &who)))
}
