//! What docs/live-lab.md promises about `gdlab serve`, each checked against the real
//! binary on loopback: the 200 updates/s cap, idle sessions dropped, a dtype mismatch refused,
//! `reset`, `/surface`, `GET /api/sessions/{id}`, loopback by default, SIGTERM with a
//! stream open, Host/Origin refusal on POSTs and streams, the session cap under concurrent
//! creation, and run paths kept inside the runs folder when symlinks point out of it.
//! Every wait is bounded and says what it waited for.

use crate::common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The longest any single wait in this file may take.
const WAIT: Duration = Duration::from_secs(10);

/// One request on its own connection; (status, body). A `Host` in `headers` replaces the
/// default (the server's own address).
fn request(addr: &str, method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let a = http(addr, method, path, body, headers, WAIT);
    (a.status, a.body)
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn config(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

const QUADRATIC: &str = "configs/quadratic.toml";

/// `POST /api/sessions{query}` that must succeed; the answer's JSON.
fn create(addr: &str, query: &str, toml: &str) -> Value {
    let (status, body) = request(addr, "POST", &format!("/api/sessions{query}"), toml, &[]);
    assert_eq!(status, 201, "creating a session: {body}");
    json(&body)
}

fn control(addr: &str, id: &str, body: &str) {
    let (status, text) = request(addr, "POST", &format!("/api/sessions/{id}/control"), body, &[]);
    assert_eq!(status, 204, "control {body}: {text}");
}

/// A session's event stream, read on its own thread: each event with its arrival time, then
/// `None` when the server closes the stream.
struct Events(Receiver<(Instant, Option<Value>)>);

impl Events {
    fn open(addr: &str, id: &str) -> Self {
        let mut stream = TcpStream::connect(addr).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        write!(stream, "GET /api/sessions/{id}/events HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
        let mut r = BufReader::new(stream);
        let mut line = String::new();
        r.read_line(&mut line).unwrap_or_else(|e| panic!("event stream of session {id}: no answer within {WAIT:?}: {e}"));
        assert!(line.starts_with("HTTP/1.1 200"), "event stream of session {id}: {line}");
        // From here a quiet stream is normal (a paused session); `next` bounds each wait.
        r.get_ref().set_read_timeout(None).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            while matches!(r.read_line(&mut line), Ok(n) if n > 0) {
                if let Some(data) = line.strip_prefix("data: ")
                    && tx.send((Instant::now(), Some(json(data.trim())))).is_err()
                {
                    return;
                }
                line.clear();
            }
            let _ = tx.send((Instant::now(), None));
        });
        Events(rx)
    }

    /// The next event (`None`: the stream ended), waiting at most `WAIT`.
    fn next(&self, what: &str) -> (Instant, Option<Value>) {
        self.0.recv_timeout(WAIT).unwrap_or_else(|_| panic!("no event within {WAIT:?} while waiting for {what}"))
    }

    fn event(&self, what: &str) -> Value {
        self.next(what).1.unwrap_or_else(|| panic!("the stream ended while waiting for {what}"))
    }

    /// The next row or end event.
    fn row(&self, what: &str) -> Value {
        loop {
            let e = self.event(what);
            if e["event"] == "row" || e["event"] == "end" {
                return e;
            }
        }
    }

    /// Takes every event already received; the arrival times of the rows among them.
    fn drain(&self) -> Vec<Instant> {
        let mut rows = Vec::new();
        loop {
            match self.0.recv_timeout(Duration::ZERO) {
                Ok((t, Some(e))) if e["event"] == "row" => rows.push(t),
                Ok((_, Some(_))) => {}
                Ok((_, None)) => panic!("the stream ended"),
                Err(RecvTimeoutError::Timeout) => return rows,
                Err(RecvTimeoutError::Disconnected) => panic!("the stream's reader stopped"),
            }
        }
    }

    /// Rows that arrive during the next `window` while `during` runs (repeatedly, until the
    /// window is over or it returns false; `|| false` just waits the window out).
    fn rows_during(&self, window: Duration, mut during: impl FnMut() -> bool) -> usize {
        self.drain();
        let from = Instant::now();
        while from.elapsed() < window && during() {}
        let left = window.saturating_sub(from.elapsed());
        std::thread::sleep(left + Duration::from_millis(20));
        self.drain().into_iter().filter(|t| *t >= from && t.duration_since(from) <= window).count()
    }
}

/// `gdlab serve --port 0` with stdout and stderr kept (common's server drops stderr).
fn spawn_serve(args: &[&str]) -> (Child, String, tempfile::TempDir) {
    let runs = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["serve", "--port", "0", "--runs", runs.path().to_str().unwrap()])
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let addr = line.trim().strip_prefix("gdlab serve: http://").unwrap_or_else(|| panic!("first line: {line:?}"));
    (child, addr.trim_end_matches('/').to_string(), runs)
}

/// The child's exit status, waiting at most `limit`.
fn exit_within(child: &mut Child, limit: Duration, what: &str) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("gdlab serve still running {limit:?} after {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stderr_of(child: &mut Child) -> String {
    let mut text = String::new();
    child.stderr.take().unwrap().read_to_string(&mut text).unwrap();
    text
}

fn sigterm(child: &Child) {
    // SAFETY: a signal to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
}

#[test]
fn a_session_never_exceeds_200_updates_per_second() {
    let s = start_server(&[]);
    let id = create(&s.addr, "?set=optimizer.steps%3D100000", &config(QUADRATIC))["id"].as_str().unwrap().to_string();
    let ev = Events::open(&s.addr, &id);
    assert_eq!(ev.row("row 0")["step"], 0);
    let window = Duration::from_secs(1);
    // The top speed asked for is capped at 200 updates per second.
    control(&s.addr, &id, r#"{"action": "play", "speed": 100000}"#);
    std::thread::sleep(Duration::from_millis(200));
    let fast = ev.rows_during(window, || false);
    // 200 in the window, 10% more for rows bunched by the reader at its ends, and 5 more for
    // the 20 ms the count waits after it; and at least half the cap (a step of the parabola
    // takes microseconds, so only a broken schedule falls that far below it).
    assert!(fast <= 220 + 5, "{fast} rows in {window:?} at the top speed: above 200 updates/s");
    assert!(fast >= 100, "{fast} rows in {window:?} at the top speed: far below the 200 updates/s asked");
    // A lower setting is slower.
    control(&s.addr, &id, r#"{"speed": 10}"#);
    std::thread::sleep(Duration::from_millis(200));
    let slow = ev.rows_during(window, || false);
    assert!((1..=12 + 2).contains(&slow), "{slow} rows in {window:?} at 10 updates/s");
    assert!(2 * slow <= fast, "10 updates/s gave {slow} rows, the top speed {fast}");
    // Pressing play again and again does not add updates beyond the cap.
    control(&s.addr, &id, r#"{"speed": 100000}"#);
    std::thread::sleep(Duration::from_millis(200));
    let mut presses = 0;
    let spammed = ev.rows_during(window, || {
        control(&s.addr, &id, r#"{"action": "play"}"#);
        presses += 1;
        presses < 3000
    });
    assert!(spammed <= 220 + 5, "{spammed} rows in {window:?} with {presses} play controls: above 200 updates/s");
    // Nor do step controls sent faster than 200 a second: 100 of them take half a second.
    control(&s.addr, &id, r#"{"action": "pause"}"#);
    std::thread::sleep(Duration::from_millis(100));
    ev.drain();
    let sent = Instant::now();
    for _ in 0..100 {
        control(&s.addr, &id, r#"{"action": "step"}"#);
    }
    let sending = sent.elapsed();
    let (mut first, mut last) = (None, sent);
    for k in 0..100 {
        let (t, e) = ev.next(&format!("the row of step control {k}"));
        assert_eq!(e.as_ref().map(|e| e["event"].clone()), Some("row".into()), "{e:?}");
        first.get_or_insert(t);
        last = t;
    }
    // From the first row to the last, as they arrive: 99 gaps of at least 5 ms (less 10% for
    // the reader's own jitter), however fast the controls were sent.
    let took = last.duration_since(first.unwrap());
    assert!(
        took >= Duration::from_millis(99 * 5 * 9 / 10),
        "100 step controls (sent in {sending:?}) made 100 updates in {took:?} from the first to the last: above 200 updates/s"
    );
}

/// A session no page has watched for `--idle-seconds` (60 by default) is dropped; one with
/// an open event stream is not. With `--idle-seconds 2` the reaper looks every second.
#[test]
fn an_unwatched_session_is_dropped_after_its_idle_time() {
    let s = start_server(&["--idle-seconds", "2"]);
    let toml = config(QUADRATIC);
    // The idle clock starts when the session is made; `started` is taken just before, so it
    // never runs ahead of the server's.
    let started = Instant::now();
    let idle = create(&s.addr, "", &toml)["id"].as_str().unwrap().to_string();
    let watched = create(&s.addr, "", &toml)["id"].as_str().unwrap().to_string();
    let _ev = Events::open(&s.addr, &watched);
    let alive = |id: &str| request(&s.addr, "GET", &format!("/api/sessions/{id}"), "", &[]).0;
    // Asking about a session (GET) is not watching it; nothing is dropped before 2 s.
    while started.elapsed() < Duration::from_millis(1500) {
        assert_eq!(alive(&idle), 200, "dropped after {:?}, before 2 s", started.elapsed());
        std::thread::sleep(Duration::from_millis(250));
    }
    loop {
        match alive(&idle) {
            404 => break,
            200 => assert!(started.elapsed() < Duration::from_secs(6), "still live after {:?}", started.elapsed()),
            other => panic!("GET an idle session: {other}"),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let created = started.elapsed();
    assert!(created >= Duration::from_secs(2), "dropped after {created:?}");
    let (status, body) = request(&s.addr, "POST", &format!("/api/sessions/{idle}/control"), r#"{"action": "step"}"#, &[]);
    assert_eq!(status, 404, "{body}");
    // The watched one lives on.
    assert_eq!(alive(&watched), 200);
    control(&s.addr, &watched, r#"{"action": "step"}"#);
    // 0 is refused: a session that could never be watched in time would be a trap.
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["serve", "--port", "0", "--idle-seconds", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let o = finish_within(child, Duration::from_secs(20), "gdlab serve --idle-seconds 0");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_session_in_another_dtype_than_the_first_is_refused() {
    let s = start_server(&["--max-sessions", "2"]);
    let toml = config(QUADRATIC);
    let first = create(&s.addr, "", &toml);
    assert!(first["config"].as_str().unwrap().contains("dtype = \"f32\""), "{first}");
    let (status, body) = request(&s.addr, "POST", "/api/sessions?set=backend.dtype%3D%22f64%22", &toml, &[]);
    assert_eq!(status, 400, "{body}");
    let error = json(&body)["error"].as_str().unwrap().to_string();
    assert!(error.contains("F32") && error.contains("F64"), "{error}");
    // The refused one took no slot, and the first dtype is still served.
    create(&s.addr, "", &toml);
    assert_eq!(request(&s.addr, "POST", "/api/sessions", &toml, &[]).0, 503);
}

#[test]
fn reset_starts_again_from_the_first_parameters_and_keeps_the_learning_rate() {
    let s = start_server(&[]);
    // C(b) = (3 - b)^2 from b = -2, lr 0.1, 60 updates.
    let id = create(&s.addr, "", &config(QUADRATIC))["id"].as_str().unwrap().to_string();
    let ev = Events::open(&s.addr, &id);
    let start = ev.row("row 0");
    assert_eq!((start["step"].as_u64(), start["loss"].as_f64(), start["params"][0].as_f64()), (Some(0), Some(25.0), Some(-2.0)));
    control(&s.addr, &id, r#"{"action": "play", "speed": 200}"#);
    let mut rows = 0;
    loop {
        let e = ev.row("the run's end");
        if e["event"] == "end" {
            assert_eq!((e["stop"].as_str(), e["step"].as_u64()), (Some("completed"), Some(60)), "{e}");
            break;
        }
        rows += 1;
    }
    assert_eq!(rows, 60);
    // Reset after the end, with a new learning rate: a reset event, step 0 again at b = -2,
    // then an update with the new rate: b = -2 - 0.05 * 2 * (-2 - 3) = -1.5 (lr 0.1 gave -1).
    control(&s.addr, &id, r#"{"lr": 0.05}"#);
    control(&s.addr, &id, r#"{"action": "reset"}"#);
    assert_eq!(ev.event("the reset event")["event"], "reset");
    let again = ev.row("row 0 after reset");
    assert_eq!((again["step"].as_u64(), again["loss"].as_f64(), again["params"][0].as_f64()), (Some(0), Some(25.0), Some(-2.0)), "{again}");
    control(&s.addr, &id, r#"{"action": "step"}"#);
    let one = ev.row("row 1 after reset");
    let b = one["params"][0].as_f64().unwrap();
    assert_eq!(one["step"], 1, "{one}");
    assert!((b + 1.5).abs() < 1e-6, "b after one update at lr 0.05: {b}");
    assert!((one["loss"].as_f64().unwrap() - 20.25).abs() < 1e-4, "{one}");
    assert!((one["lr"].as_f64().unwrap() - 0.05).abs() < 1e-9, "{one}");
    // Reset pauses: a session reset while playing makes no update until told.
    control(&s.addr, &id, r#"{"action": "play"}"#);
    ev.row("a row while playing");
    control(&s.addr, &id, r#"{"action": "reset"}"#);
    while ev.event("the second reset event")["event"] != "reset" {}
    assert_eq!(ev.row("row 0 after the second reset")["step"], 0);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(ev.drain().len(), 0, "rows after a reset, before play or step");
}

#[test]
fn surface_is_the_loss_of_the_config_at_each_grid_point() {
    let s = start_server(&[]);
    // One parameter: C(b) = (3 - b)^2.
    let id = create(&s.addr, "", &config(QUADRATIC))["id"].as_str().unwrap().to_string();
    let (status, body) = request(&s.addr, "GET", &format!("/api/sessions/{id}/surface?x=-2:8&n=11"), "", &[]);
    assert_eq!(status, 200, "{body}");
    let g = json(&body);
    let (xs, loss) = (g["x"].as_array().unwrap(), g["loss"].as_array().unwrap());
    assert_eq!((xs.len(), loss.len()), (11, 11), "{body}");
    for (k, (x, c)) in xs.iter().zip(loss).enumerate() {
        let (x, c) = (x.as_f64().unwrap(), c.as_f64().unwrap());
        assert_eq!(x, -2.0 + k as f64, "grid point {k}");
        assert!((c - (3.0 - x).powi(2)).abs() < 1e-4, "C({x}) = {c}, (3 - {x})^2 = {}", (3.0 - x).powi(2));
    }
    let (_, body) = request(&s.addr, "GET", &format!("/api/sessions/{id}/surface?x=0:1"), "", &[]);
    assert_eq!(json(&body)["loss"].as_array().map(Vec::len), Some(41), "default n: {body}");
    assert_eq!(request(&s.addr, "GET", &format!("/api/sessions/{id}/surface?x=0:1&y=0:1"), "", &[]).0, 400, "y of a 1-parameter model");

    // Two parameters: y = w x + b on four posted points, MSE, from w = 0.5, b = 0.25.
    let pts = [(0.0, 1.0), (1.0, 3.0), (2.0, 5.0), (3.0, 4.0)];
    let rows: Vec<String> = pts.iter().map(|(x, y)| format!("[{x}, {y}]")).collect();
    let (status, body) =
        request(&s.addr, "POST", "/api/datasets", &format!(r#"{{"columns": ["x", "y"], "rows": [{}]}}"#, rows.join(", ")), &[]);
    assert_eq!(status, 201, "{body}");
    let path = json(&body)["path"].as_str().unwrap().to_string();
    let toml = format!(
        "[data]\nsource = \"csv\"\npath = {}\ntarget = \"y\"\n[model.start]\nweights = [0.5]\nbias = 0.25\n[loss]\nkind = \"mse\"\n",
        toml::Value::String(path)
    );
    let made = create(&s.addr, "", &toml);
    assert_eq!(made["params"].as_array().map(Vec::len), Some(2), "{made}");
    let id = made["id"].as_str().unwrap();
    let mse = |w: f64, b: f64| pts.iter().map(|(x, y)| (w * x + b - y).powi(2)).sum::<f64>() / pts.len() as f64;
    let close = |got: f64, want: f64, at: &str| assert!((got - want).abs() <= 1e-5 * want.max(1.0), "C at {at}: {got}, by hand {want}");
    let (status, body) = request(&s.addr, "GET", &format!("/api/sessions/{id}/surface?x=-1:3&y=-2:2&n=5"), "", &[]);
    assert_eq!(status, 200, "{body}");
    let g = json(&body);
    let (xs, ys) = (g["x"].as_array().unwrap(), g["y"].as_array().unwrap());
    assert_eq!((xs.len(), ys.len()), (5, 5), "{body}");
    for (j, y) in ys.iter().enumerate() {
        for (i, x) in xs.iter().enumerate() {
            let (w, b) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert_eq!((w, b), (-1.0 + i as f64, -2.0 + j as f64));
            close(g["loss"][j][i].as_f64().unwrap(), mse(w, b), &format!("w = {w}, b = {b}"));
        }
    }
    // Over the first parameter only: the second stays at its start, b = 0.25.
    let (_, body) = request(&s.addr, "GET", &format!("/api/sessions/{id}/surface?x=0:2&n=3"), "", &[]);
    let g = json(&body);
    for (k, w) in [0.0, 1.0, 2.0].into_iter().enumerate() {
        close(g["loss"][k].as_f64().unwrap(), mse(w, 0.25), &format!("w = {w}, b = 0.25"));
    }
}

#[test]
fn get_session_answers_its_config_and_current_learning_rate() {
    let s = start_server(&[]);
    let made = create(&s.addr, "?set=optimizer.steps%3D123&set=optimizer.lr%3D0.25", &config(QUADRATIC));
    let id = made["id"].as_str().unwrap().to_string();
    let (status, body) = request(&s.addr, "GET", &format!("/api/sessions/{id}"), "", &[]);
    assert_eq!(status, 200, "{body}");
    let d = json(&body);
    assert_eq!(d["id"], made["id"]);
    assert_eq!(d["params"], made["params"]);
    assert_eq!(d["params"], serde_json::json!(["b"]));
    assert_eq!(d["config"], made["config"], "the resolved config the session runs");
    let toml = d["config"].as_str().unwrap();
    assert!(toml.contains("steps = 123") && toml.contains("lr = 0.25") && toml.contains("name = \"quadratic\""), "{toml}");
    assert_eq!(d["lr"].as_f64(), Some(0.25));
    // η follows the control.
    control(&s.addr, &id, r#"{"lr": 0.05}"#);
    assert_eq!(json(&request(&s.addr, "GET", &format!("/api/sessions/{id}"), "", &[]).1)["lr"].as_f64(), Some(0.05));
    // Closed, or never opened: 404 naming it.
    assert_eq!(request(&s.addr, "DELETE", &format!("/api/sessions/{id}"), "", &[]).0, 204);
    for gone in [id.as_str(), "424242", "x"] {
        let (status, body) = request(&s.addr, "GET", &format!("/api/sessions/{gone}"), "", &[]);
        assert_eq!(status, 404, "{gone}: {body}");
        assert!(json(&body)["error"].as_str().unwrap().contains(gone), "{body}");
    }
}

#[test]
fn serve_listens_on_loopback_by_default() {
    let s = start_server(&[]);
    assert!(s.addr.starts_with("127.0.0.1:"), "{}", s.addr);
}

#[test]
fn sigterm_stops_the_server_cleanly_with_a_stream_open() {
    let (mut child, addr, _runs) = spawn_serve(&[]);
    let id = create(&addr, "?set=optimizer.steps%3D100000", &config(QUADRATIC))["id"].as_str().unwrap().to_string();
    let ev = Events::open(&addr, &id);
    control(&addr, &id, r#"{"action": "play", "speed": 50}"#);
    ev.row("row 0");
    ev.row("a row while playing");
    sigterm(&child);
    let sent = Instant::now();
    // It stops accepting at once...
    while TcpStream::connect(&addr).is_ok() {
        assert!(sent.elapsed() < Duration::from_secs(1), "still accepting connections 1 s after SIGTERM");
        std::thread::sleep(Duration::from_millis(10));
    }
    // ...the open stream gets its 2 s (rows keep coming), then it is closed...
    let mut late_rows = 0;
    let closed = loop {
        match ev.next("the stream to close after SIGTERM") {
            (t, None) => break t,
            (t, Some(e)) if e["event"] == "row" && t > sent => late_rows += 1,
            _ => {}
        }
    };
    assert!(late_rows > 0, "no row reached the open stream after SIGTERM");
    let drained = closed.duration_since(sent);
    assert!(drained >= Duration::from_millis(1500), "the stream was closed {drained:?} after SIGTERM, before its 2 s");
    // ...and the server exits 0, with no warning on loopback.
    let status = exit_within(&mut child, WAIT, "SIGTERM");
    assert_eq!(status.code(), Some(0), "{status:?}");
    assert!(sent.elapsed() < Duration::from_secs(6), "exited {:?} after SIGTERM", sent.elapsed());
    let err = stderr_of(&mut child);
    assert!(!err.contains("warning"), "stderr: {err:?}");

    // SIGTERM as soon as the address is printed stops it as cleanly.
    let (mut child, _addr, _runs) = spawn_serve(&[]);
    sigterm(&child);
    let status = exit_within(&mut child, WAIT, "SIGTERM right after the first line");
    assert_eq!(status.code(), Some(0), "SIGTERM right after the first line: {status:?}");
}

#[test]
fn a_foreign_host_or_origin_is_refused_on_posts_and_streams() {
    let s = start_server(&[]);
    let a = s.addr.as_str();
    let port = a.rsplit(':').next().unwrap();
    let rebinding = format!("attacker.example:{port}");
    let foreign: [(&str, &str); 4] = [("Host", &rebinding), ("Host", ""), ("Origin", "http://evil.example"), ("Origin", "null")];
    let toml = config(QUADRATIC);
    let refused = |method: &str, path: &str, body: &str, h: (&str, &str)| {
        let (status, text) = request(a, method, path, body, &[h]);
        assert_eq!(status, 403, "{method} {path} with {h:?}: {text}");
        assert!(json(&text)["error"].as_str().unwrap().contains(if h.0 == "Host" { "Host" } else { "cross-origin" }), "{text}");
    };
    for h in foreign {
        refused("POST", "/api/sessions", &toml, h);
    }
    // None of the refused posts made a session: the first one made now is number 1.
    let id = create(a, "", &toml)["id"].as_str().unwrap().to_string();
    assert_eq!(id, "1");
    for h in foreign {
        refused("POST", &format!("/api/sessions/{id}/control"), r#"{"lr": 0.5, "action": "step"}"#, h);
        refused("GET", &format!("/api/sessions/{id}/events"), "", h);
        refused("POST", &format!("/api/sessions/{id}/save"), "", h);
        refused("DELETE", &format!("/api/sessions/{id}"), "", h);
        refused("POST", "/api/datasets", r#"{"columns": ["x"], "rows": [[1]]}"#, h);
    }
    // Nothing they asked was done: η unchanged, no step made, no run or data written.
    let (status, body) = request(a, "GET", &format!("/api/sessions/{id}"), "", &[]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(json(&body)["lr"].as_f64(), Some(0.1), "{body}");
    let ev = Events::open(a, &id);
    assert_eq!(ev.row("row 0")["step"], 0);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(ev.drain().len(), 0, "a refused step control made an update");
    assert_eq!(std::fs::read_dir(s.runs.path()).unwrap().count(), 0, "the runs folder got files from refused requests");
    // The server's own names and origins are answered.
    for origin in [format!("http://{a}"), format!("http://localhost:{port}")] {
        let (status, body) = request(a, "POST", &format!("/api/sessions/{id}/control"), r#"{"action": "step"}"#, &[("Origin", &origin)]);
        assert_eq!(status, 204, "{origin}: {body}");
    }
    assert_eq!(ev.row("row 1")["step"], 1);
}

#[test]
fn the_session_cap_holds_under_concurrent_creation() {
    let s = start_server(&["--max-sessions", "3"]);
    let toml = config(QUADRATIC);
    let go = std::sync::Barrier::new(16);
    let answers: Vec<(u16, String)> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|_| {
                scope.spawn(|| {
                    go.wait();
                    request(&s.addr, "POST", "/api/sessions", &toml, &[])
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let created: Vec<&String> = answers.iter().filter(|(s, _)| *s == 201).map(|(_, b)| b).collect();
    let full = answers.iter().filter(|(s, b)| *s == 503 && b.contains("at most 3 live sessions")).count();
    assert_eq!((created.len(), full), (3, 13), "{answers:?}");
    let mut ids: Vec<String> = created.iter().map(|b| json(b)["id"].as_str().unwrap().to_string()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{ids:?}");
    for id in &ids {
        assert_eq!(request(&s.addr, "GET", &format!("/api/sessions/{id}"), "", &[]).0, 200, "session {id}");
    }
    // Full until one is closed.
    assert_eq!(request(&s.addr, "POST", "/api/sessions", &toml, &[]).0, 503);
    assert_eq!(request(&s.addr, "DELETE", &format!("/api/sessions/{}", ids[0]), "", &[]).0, 204);
    create(&s.addr, "", &toml);
}

#[test]
fn symlinks_out_of_the_runs_folder_are_not_followed() {
    let s = start_server(&[]);
    let runs = s.runs.path();
    let real = runs.join("quadratic").join("real");
    let summary = train_ok(QUADRATIC, &real, &[]);
    // A whole run outside the runs folder, and a file outside it with a marker in it.
    let outside = tempfile::tempdir().unwrap();
    let fake = outside.path().join("fake");
    std::fs::create_dir(&fake).unwrap();
    for f in std::fs::read_dir(&real).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), fake.join(f.file_name())).unwrap();
    }
    let secret = outside.path().join("secret.toml");
    std::fs::write(&secret, "# OUTSIDE-THE-RUNS-FOLDER\n").unwrap();
    // Links inside the runs folder: an experiment folder, a run folder, and a run's
    // config.toml, each pointing outside; and one to /etc.
    std::os::unix::fs::symlink(outside.path(), runs.join("elsewhere")).unwrap();
    std::os::unix::fs::symlink(&fake, runs.join("quadratic").join("linked")).unwrap();
    std::os::unix::fs::symlink("/etc", runs.join("etc")).unwrap();
    let leaky = runs.join("quadratic").join("leaky");
    std::fs::create_dir(&leaky).unwrap();
    for f in std::fs::read_dir(&real).unwrap() {
        let f = f.unwrap();
        if f.file_name() != "config.toml" {
            std::fs::copy(f.path(), leaky.join(f.file_name())).unwrap();
        }
    }
    std::os::unix::fs::symlink(&secret, leaky.join("config.toml")).unwrap();

    // The real run is served, with its own numbers and config.
    let (status, body) = request(&s.addr, "GET", "/api/runs/quadratic/real", "", &[]);
    assert_eq!(status, 200, "{body}");
    let r = json(&body);
    assert_eq!(r["summary"]["final_loss"], summary["final_loss"], "{body}");
    assert_eq!(r["config"].as_str(), Some(std::fs::read_to_string(real.join("config.toml")).unwrap().as_str()));
    assert!(r["loss"].as_array().is_some_and(|c| c.len() > 10), "the loss curve: {body}");
    // The links are not followed: 404, and nothing from outside in the answer.
    for path in ["/api/runs/elsewhere/fake", "/api/runs/quadratic/linked", "/api/runs/quadratic/leaky", "/api/runs/etc/ssl"] {
        let (status, body) = request(&s.addr, "GET", path, "", &[]);
        assert_eq!(status, 404, "{path}: {body}");
        assert!(!body.contains("OUTSIDE-THE-RUNS-FOLDER") && !body.contains("final_loss"), "{path}: {body}");
    }
    // The listing has the real run only.
    let (status, body) = request(&s.addr, "GET", "/api/runs", "", &[]);
    assert_eq!(status, 200, "{body}");
    let listed: Vec<(String, String)> = json(&body)["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["experiment"].as_str().unwrap().to_string(), r["run_id"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(listed, [("quadratic".to_string(), "real".to_string())], "{body}");
}
