//! `gdlab bench --workload serve`: the live lab under load, measured from a client's side on
//! loopback. A server is started in this process on a free loopback port; `sessions` live
//! sessions (a mix of the pages' configs) play at the top speed at once, each streamed to
//! its own reader; the gaps between a stream's events are recorded, and every
//! `PROBE_EVERY` one session is paused and stepped once, timing the control from its request
//! to the first event it causes. Bounded in count (the sessions, one probe at a time) and in
//! time (`seconds`, each wait `WAIT`), and it stops by itself.

use super::{ServeOptions, session::MAX_SPEED};
use crate::config::shipped::SHIPPED;
use crate::error::GdlabError;
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
const WAIT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Serialize)]
pub struct LoadReport {
    pub sessions: usize,
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
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "serve: {} sessions playing at {MAX_SPEED} steps/s for {:.1} s on loopback: {} events ({:.0}/s), {} silent streams",
            self.sessions, self.seconds, self.events, self.events_per_s, self.silent_streams
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
        )
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

/// One request on its own connection; (status, body).
async fn request(addr: SocketAddr, method: &str, path: &str, body: &str) -> Result<(u16, String), GdlabError> {
    let go = async {
        let mut s = TcpStream::connect(addr).await?;
        let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(head.as_bytes()).await?;
        s.write_all(body.as_bytes()).await?;
        let mut text = String::new();
        s.read_to_string(&mut text).await?;
        Ok::<_, std::io::Error>(text)
    };
    let text =
        tokio::time::timeout(WAIT, go).await.map_err(|_| failed(format!("{method} {path}: no answer in {WAIT:?}")))?.map_err(failed)?;
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, text.split_once("\r\n\r\n").map_or("", |p| p.1).to_string()))
}

/// What a stream's reader has seen.
#[derive(Default)]
struct Stream {
    arrivals: Vec<Instant>,
    last_step: Option<u64>,
    /// When the first row with a step above `watch.0` arrived (a control probe).
    watch: Option<(u64, Option<Instant>)>,
}

async fn read_events(addr: SocketAddr, id: String, seen: Arc<Mutex<Stream>>) -> Result<(), GdlabError> {
    let mut s = TcpStream::connect(addr).await.map_err(failed)?;
    s.write_all(format!("GET /api/sessions/{id}/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes()).await.map_err(failed)?;
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

/// Starts a server in this process on a free loopback port (it lives until the process ends).
fn start_server(runs: std::path::PathBuf, max_sessions: usize) -> Result<SocketAddr, GdlabError> {
    let (tx, rx) = std::sync::mpsc::channel();
    let opts = ServeOptions { host: [127, 0, 0, 1].into(), port: 0, runs, data: None, max_sessions, idle_seconds: super::IDLE_SECONDS };
    std::thread::spawn(move || {
        let sent = tx.clone();
        if let Err(e) = super::serve(opts, move |addr| {
            let _ = sent.send(Ok(addr));
        }) {
            let _ = tx.send(Err(e));
        }
    });
    rx.recv_timeout(WAIT).map_err(|_| failed("the server did not start"))?
}

pub fn measure(sessions: usize, seconds: f64) -> Result<LoadReport, GdlabError> {
    if !(1..=super::DEFAULT_MAX_SESSIONS).contains(&sessions) || !(1.0..=60.0).contains(&seconds) {
        return Err(GdlabError::Input(format!(
            "--sessions {sessions} --seconds {seconds}: use 1 to {} sessions and 1 to 60 seconds",
            super::DEFAULT_MAX_SESSIONS
        )));
    }
    let runs = std::env::temp_dir().join(format!("gdlab-bench-serve-{}", std::process::id()));
    let addr = start_server(runs.clone(), sessions)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(GdlabError::io("cannot start the client's runtime"))?;
    let result = runtime.block_on(drive(addr, sessions, seconds));
    let _ = std::fs::remove_dir_all(&runs);
    result
}

async fn drive(addr: SocketAddr, sessions: usize, seconds: f64) -> Result<LoadReport, GdlabError> {
    let text = |path: &str| SHIPPED.iter().find(|s| s.path == path).map(|s| s.text).ok_or_else(|| failed(format!("{path} is not shipped")));
    let mut streams = Vec::new();
    for k in 0..sessions {
        // Long enough to play through the whole window.
        let (status, body) = request(addr, "POST", "/api/sessions?set=optimizer.steps%3D200000", text(MIX[k % MIX.len()])?).await?;
        if status != 201 {
            return Err(failed(format!("opening session {k}: {status} {body}")));
        }
        let id = serde_json::from_str::<serde_json::Value>(&body).map_err(failed)?["id"].as_str().unwrap_or_default().to_string();
        let seen = Arc::new(Mutex::new(Stream::default()));
        tokio::spawn(read_events(addr, id.clone(), Arc::clone(&seen)));
        streams.push((id, seen));
    }
    let control = |id: &str, body: &'static str| {
        let path = format!("/api/sessions/{id}/control");
        async move {
            match request(addr, "POST", &path, body).await? {
                (204, _) => Ok(()),
                (s, b) => Err(failed(format!("{path}: {s} {b}"))),
            }
        }
    };
    for (id, _) in &streams {
        control(id, r#"{"action": "play", "speed": 1000}"#).await?;
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
        let (id, seen) = &streams[which];
        k += 1;
        let paused = Instant::now();
        control(id, r#"{"action": "pause"}"#).await?;
        // Rows already on their way arrive first; then the stream is quiet.
        tokio::time::sleep(Duration::from_millis(50)).await;
        let last = seen.lock().map_err(|_| failed("a reader failed"))?.last_step.unwrap_or(0);
        if let Ok(mut st) = seen.lock() {
            st.watch = Some((last, None));
        }
        let sent = Instant::now();
        control(id, r#"{"action": "step"}"#).await?;
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
        control(id, r#"{"action": "play"}"#).await?;
        held[which].push((paused, Instant::now()));
    }
    let elapsed = started.elapsed();
    let end = started + elapsed;
    let mut gaps = Vec::new();
    let (mut events, mut silent) = (0, 0);
    for ((_, seen), held) in streams.iter().zip(&held) {
        let st = seen.lock().map_err(|_| failed("a reader failed"))?;
        let inside: Vec<Instant> = st.arrivals.iter().copied().filter(|t| *t >= started && *t <= end).collect();
        events += inside.len();
        silent += usize::from(inside.is_empty());
        // A gap that overlaps a probe's pause is left out (the stream was told to stop).
        let probed = |a: Instant, b: Instant| held.iter().any(|&(p, q)| a <= q && b >= p);
        gaps.extend(inside.windows(2).filter(|w| !probed(w[0], w[1])).map(|w| w[1].duration_since(w[0]).as_secs_f64() * 1e3));
    }
    let secs = elapsed.as_secs_f64();
    Ok(LoadReport {
        sessions,
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
    })
}
