//! `gdlab bench --workload serve`: the live lab under load, measured from a client's side on
//! loopback. A server is started in this process on a free loopback port; `sessions` live
//! sessions (a mix of the pages' configs) play at the top speed at once, each streamed to
//! its own reader; the gaps between a stream's events are recorded, and every
//! `PROBE_EVERY` one session is paused and stepped once, timing the control from its request
//! to the first event it causes. With `students`, the server is a classroom: each student
//! joins with the join token and plays two sessions at the page's default speed, and the
//! teacher's view is open (the gaps between its updates are recorded too). Bounded in count
//! (the sessions, one probe at a time) and in time (`seconds`, each wait `WAIT`), and it
//! stops by itself.

use crate::config::shipped::SHIPPED;
use crate::error::GdlabError;
use crate::serve::{ServeOptions, session::MAX_SPEED};
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The pages' configs, in the order sessions are opened (cycled beyond eight).
const MIX: [&str; 8] = [
    "configs/lecture/parabola.toml",
    "configs/lecture/outliers.toml",
    "configs/lecture/bias_sigmoid.toml",
    "configs/lecture/saturated_start.toml",
    "configs/lecture/sigmoid_surface.toml",
    "configs/quadratic.toml",
    "configs/xor_mlp.toml",
    "configs/lecture/least_squares.toml",
];
const PROBE_EVERY: Duration = Duration::from_millis(400);
/// The page's default speed (updates per second), at which a class's sessions play.
const PAGE_SPEED: f64 = 20.0;
const WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    /// Classroom students (two sessions each), or `None` for sessions on loopback alone.
    pub students: Option<usize>,
    pub sessions: usize,
    /// Updates per second each session was asked for.
    pub speed: f64,
    pub seconds: f64,
    /// Row events received by all streams in the window.
    pub events: usize,
    pub events_per_s: f64,
    /// Gaps between consecutive events of one stream, all streams pooled (ms).
    pub gap_p50_ms: f64,
    pub gap_p95_ms: f64,
    pub gap_max_ms: f64,
    /// From a step control's request to the first event it caused (ms).
    pub control_probes: usize,
    pub control_p50_ms: f64,
    pub control_p95_ms: f64,
    pub control_max_ms: f64,
    /// Streams that delivered no event in the window.
    pub silent_streams: usize,
    /// Classroom: updates of the teacher's view in the window, and the gaps between them (ms).
    pub teacher_updates: Option<usize>,
    pub teacher_gap_p95_ms: Option<f64>,
    pub teacher_gap_max_ms: Option<f64>,
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let class = self.students.map_or_else(String::new, |n| format!("a classroom of {n} students, "));
        writeln!(
            f,
            "serve: {class}{} sessions playing at {} steps/s for {:.1} s on loopback: {} events ({:.0}/s), {} silent streams",
            self.sessions, self.speed, self.seconds, self.events, self.events_per_s, self.silent_streams
        )?;
        writeln!(
            f,
            "  gap between a stream's events: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            self.gap_p50_ms, self.gap_p95_ms, self.gap_max_ms
        )?;
        writeln!(
            f,
            "  control (step) to its first event, {} probes: p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms",
            self.control_probes, self.control_p50_ms, self.control_p95_ms, self.control_max_ms
        )?;
        if let (Some(n), Some(p95), Some(max)) = (self.teacher_updates, self.teacher_gap_p95_ms, self.teacher_gap_max_ms) {
            writeln!(f, "  teacher's view: {n} updates, gap p95 {p95:.1} ms, max {max:.1} ms")?;
        }
        Ok(())
    }
}

fn percentile(v: &mut [f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn failed(what: impl std::fmt::Display) -> GdlabError {
    GdlabError::Input(format!("bench serve: {what}"))
}

/// A client's cookie header line (`Cookie: ...\r\n`), empty outside a classroom.
type Cookie = Arc<str>;

/// One request on its own connection; (status, head, body).
async fn request(addr: SocketAddr, cookie: &str, method: &str, path: &str, body: &str) -> Result<(u16, String, String), GdlabError> {
    let go = async {
        let mut s = TcpStream::connect(addr).await?;
        let head =
            format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}Connection: close\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(head.as_bytes()).await?;
        s.write_all(body.as_bytes()).await?;
        let mut text = String::new();
        s.read_to_string(&mut text).await?;
        Ok::<_, std::io::Error>(text)
    };
    let text =
        tokio::time::timeout(WAIT, go).await.map_err(|_| failed(format!("{method} {path}: no answer in {WAIT:?}")))?.map_err(failed)?;
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Ok((status, head.to_string(), body.to_string()))
}

/// Follows a classroom link (`/?join=...`, `/teacher?key=...`) and returns the cookie it sets,
/// as a header line.
async fn join(addr: SocketAddr, path: &str) -> Result<Cookie, GdlabError> {
    let (status, head, _) = request(addr, "", "GET", path, "").await?;
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: ").or_else(|| l.strip_prefix("Set-Cookie: ")))
        .and_then(|c| c.split(';').next())
        .filter(|_| status == 303)
        .ok_or_else(|| failed(format!("joining the class: {status}, no cookie")))?;
    Ok(format!("Cookie: {cookie}\r\n").into())
}

/// What a stream's reader has seen.
#[derive(Default)]
struct Stream {
    arrivals: Vec<Instant>,
    last_step: Option<u64>,
    /// When the first row with a step above `watch.0` arrived (a control probe).
    watch: Option<(u64, Option<Instant>)>,
}

async fn read_events(addr: SocketAddr, cookie: Cookie, id: String, seen: Arc<Mutex<Stream>>) -> Result<(), GdlabError> {
    let mut s = TcpStream::connect(addr).await.map_err(failed)?;
    s.write_all(format!("GET /api/sessions/{id}/events HTTP/1.1\r\nHost: {addr}\r\n{cookie}\r\n").as_bytes()).await.map_err(failed)?;
    let mut lines = BufReader::new(s).lines();
    while let Some(line) = lines.next_line().await.map_err(failed)? {
        let Some(data) = line.strip_prefix("data: ") else { continue };
        let now = Instant::now();
        let Ok(e) = serde_json::from_str::<serde_json::Value>(data) else { continue };
        let (Some("row"), Some(step)) = (e["event"].as_str(), e["step"].as_u64()) else { continue };
        let Ok(mut st) = seen.lock() else { break };
        st.arrivals.push(now);
        st.last_step = Some(step);
        if let Some((after, at @ None)) = &mut st.watch
            && step > *after
        {
            *at = Some(now);
        }
    }
    Ok(())
}

/// The teacher's view's stream: when each update arrived.
async fn read_teacher(addr: SocketAddr, cookie: Cookie, seen: Arc<Mutex<Vec<Instant>>>) -> Result<(), GdlabError> {
    let mut s = TcpStream::connect(addr).await.map_err(failed)?;
    s.write_all(format!("GET /api/teacher/events HTTP/1.1\r\nHost: {addr}\r\n{cookie}\r\n").as_bytes()).await.map_err(failed)?;
    let mut lines = BufReader::new(s).lines();
    while let Some(line) = lines.next_line().await.map_err(failed)? {
        if line.starts_with("data: ") {
            let Ok(mut v) = seen.lock() else { break };
            v.push(Instant::now());
        }
    }
    Ok(())
}

/// The links a started server gives: (join path, teacher path), in a classroom.
type Links = Option<(String, String)>;

/// Starts a server in this process on a free loopback port (it lives until the process ends).
fn start_server(runs: std::path::PathBuf, max_sessions: usize, classroom: bool) -> Result<(SocketAddr, Links), GdlabError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let classroom = classroom.then(|| crate::serve::classroom::ClassOptions { join_token: None, allow_hosts: Vec::new(), per_student: 2 });
    let opts = ServeOptions {
        host: [127, 0, 0, 1].into(),
        port: 0,
        runs,
        data: None,
        max_sessions,
        idle_seconds: crate::serve::IDLE_SECONDS,
        classroom,
    };
    // The links' paths (the part after the address).
    let path = |link: &str| link.splitn(4, '/').nth(3).map(|p| format!("/{p}")).unwrap_or_default();
    std::thread::spawn(move || {
        let sent = tx.clone();
        if let Err(e) = crate::serve::serve(opts, move |ready| {
            let links = ready.teacher.as_ref().map(|t| (ready.join.first().map(|j| path(j)).unwrap_or_default(), path(t)));
            let _ = sent.send(Ok((ready.addr, links)));
        }) {
            let _ = tx.send(Err(e));
        }
    });
    rx.recv_timeout(WAIT).map_err(|_| failed("the server did not start"))?
}

pub fn measure(sessions: usize, seconds: f64, students: Option<usize>) -> Result<LoadReport, GdlabError> {
    if !(1..=crate::serve::DEFAULT_MAX_SESSIONS).contains(&sessions) || !(1.0..=60.0).contains(&seconds) {
        return Err(GdlabError::Input(format!(
            "--sessions {sessions} --seconds {seconds}: use 1 to {} sessions and 1 to 60 seconds",
            crate::serve::DEFAULT_MAX_SESSIONS
        )));
    }
    let sessions = students.map_or(sessions, |n| 2 * n);
    let runs = std::env::temp_dir().join(format!("gdlab-bench-serve-{}", std::process::id()));
    let (addr, links) = start_server(runs.clone(), sessions, students.is_some())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(GdlabError::io("cannot start the client's runtime"))?;
    let result = runtime.block_on(drive(addr, sessions, seconds, students.zip(links)));
    let _ = std::fs::remove_dir_all(&runs);
    result
}

async fn drive(
    addr: SocketAddr,
    sessions: usize,
    seconds: f64,
    class: Option<(usize, (String, String))>,
) -> Result<LoadReport, GdlabError> {
    let text = |path: &str| SHIPPED.iter().find(|s| s.path == path).map(|s| s.text).ok_or_else(|| failed(format!("{path} is not shipped")));
    // A cookie per student (two sessions each) in a classroom; none on loopback alone.
    let mut cookies: Vec<Cookie> = Vec::new();
    let mut teacher = None;
    if let Some((students, (join_path, teacher_path))) = &class {
        for _ in 0..*students {
            cookies.push(join(addr, join_path).await?);
        }
        let seen = Arc::new(Mutex::new(Vec::new()));
        tokio::spawn(read_teacher(addr, join(addr, teacher_path).await?, Arc::clone(&seen)));
        teacher = Some(seen);
    }
    let cookie_of = |k: usize| cookies.get(k / 2).cloned().unwrap_or_else(|| Arc::from(""));
    let mut streams = Vec::new();
    for k in 0..sessions {
        // Long enough to play through the whole window.
        let (status, _, body) =
            request(addr, &cookie_of(k), "POST", "/api/sessions?set=optimizer.steps%3D200000", text(MIX[k % MIX.len()])?).await?;
        if status != 201 {
            return Err(failed(format!("opening session {k}: {status} {body}")));
        }
        let id = serde_json::from_str::<serde_json::Value>(&body).map_err(failed)?["id"].as_str().unwrap_or_default().to_string();
        let seen = Arc::new(Mutex::new(Stream::default()));
        tokio::spawn(read_events(addr, cookie_of(k), id.clone(), Arc::clone(&seen)));
        streams.push((id, cookie_of(k), seen));
    }
    let control = |id: &str, cookie: &Cookie, body: String| {
        let path = format!("/api/sessions/{id}/control");
        let cookie = Arc::clone(cookie);
        async move {
            match request(addr, &cookie, "POST", &path, &body).await? {
                (204, _, _) => Ok(()),
                (s, _, b) => Err(failed(format!("{path}: {s} {b}"))),
            }
        }
    };
    let speed = if class.is_some() { PAGE_SPEED } else { MAX_SPEED };
    for (id, cookie, _) in &streams {
        control(id, cookie, format!(r#"{{"action": "play", "speed": {speed}}}"#)).await?;
    }
    let started = Instant::now();
    let window = Duration::from_secs_f64(seconds);
    let mut latencies = Vec::new();
    // Per stream, when a probe held it paused: its gaps then are the probe's, not load.
    let mut held: Vec<Vec<(Instant, Instant)>> = vec![Vec::new(); streams.len()];
    let mut k = 0;
    while started.elapsed() < window {
        tokio::time::sleep(PROBE_EVERY).await;
        let which = k % streams.len();
        let (id, cookie, seen) = &streams[which];
        k += 1;
        let paused = Instant::now();
        control(id, cookie, r#"{"action": "pause"}"#.into()).await?;
        // Rows already on their way arrive first; then the stream is quiet.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let last = seen.lock().map_err(|_| failed("a reader failed"))?.last_step.unwrap_or(0);
        if let Ok(mut st) = seen.lock() {
            st.watch = Some((last, None));
        }
        let sent = Instant::now();
        control(id, cookie, r#"{"action": "step"}"#.into()).await?;
        loop {
            let got = seen.lock().map_err(|_| failed("a reader failed"))?.watch.and_then(|w| w.1);
            if let Some(at) = got {
                latencies.push(at.duration_since(sent).as_secs_f64() * 1e3);
                break;
            }
            if sent.elapsed() > WAIT {
                return Err(failed(format!("session {id}: no event within {WAIT:?} of a step")));
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        control(id, cookie, r#"{"action": "play"}"#.into()).await?;
        held[which].push((paused, Instant::now()));
    }
    let elapsed = started.elapsed();
    let end = started + elapsed;
    let mut gaps = Vec::new();
    let (mut events, mut silent) = (0, 0);
    for ((_, _, seen), held) in streams.iter().zip(&held) {
        let st = seen.lock().map_err(|_| failed("a reader failed"))?;
        let inside: Vec<Instant> = st.arrivals.iter().copied().filter(|t| *t >= started && *t <= end).collect();
        events += inside.len();
        silent += usize::from(inside.is_empty());
        // A gap that overlaps a probe's pause is left out (the stream was told to stop).
        let probed = |a: Instant, b: Instant| held.iter().any(|&(p, q)| a <= q && b >= p);
        gaps.extend(inside.windows(2).filter(|w| !probed(w[0], w[1])).map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1e3));
    }
    let secs = elapsed.as_secs_f64();
    let teacher = match teacher {
        Some(seen) => {
            let v = seen.lock().map_err(|_| failed("the teacher's reader failed"))?;
            let inside: Vec<Instant> = v.iter().copied().filter(|t| *t >= started && *t <= end).collect();
            let mut gaps: Vec<f64> = inside.windows(2).map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1e3).collect();
            Some((inside.len(), percentile(&mut gaps, 0.95), gaps.iter().copied().fold(0.0, f64::max)))
        }
        None => None,
    };
    Ok(LoadReport {
        students: class.as_ref().map(|c| c.0),
        sessions,
        speed,
        seconds: secs,
        events,
        events_per_s: events as f64 / secs,
        gap_p50_ms: percentile(&mut gaps, 0.5),
        gap_p95_ms: percentile(&mut gaps, 0.95),
        gap_max_ms: gaps.iter().copied().fold(0.0, f64::max),
        control_probes: latencies.len(),
        control_p50_ms: percentile(&mut latencies, 0.5),
        control_p95_ms: percentile(&mut latencies, 0.95),
        control_max_ms: latencies.iter().copied().fold(0.0, f64::max),
        silent_streams: silent,
        teacher_updates: teacher.map(|t| t.0),
        teacher_gap_p95_ms: teacher.map(|t| t.1),
        teacher_gap_max_ms: teacher.map(|t| t.2),
    })
}
