//! `gdlab serve` through its HTTP API, against the real server started on port 0.

use crate::common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// One request; (status, body). `headers` replace the defaults (Host: the server's own).
fn request(s: &Server, method: &str, path: &str, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let a = http(&s.addr, method, path, body, headers, Duration::from_secs(60));
    (a.status, a.body)
}

/// A POST that declares a 2 MiB body and sends one byte more than the 1 MiB the server takes,
/// then reads the answer. The server has read every byte sent when it refuses (it refuses at
/// the byte past its limit, the last one sent), so it closes cleanly and the answer arrives
/// whatever the timing; a client still writing when the server closes could instead be reset.
fn too_large(s: &Server) -> u16 {
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let limit = 1 << 20;
    write!(stream, "POST /api/sessions HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n", s.addr, 2 * limit)
        .unwrap();
    stream.write_all("#".repeat(limit + 1).as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

fn create(s: &Server, config: &str) -> String {
    let (status, body) = request(s, "POST", "/api/sessions", config, &[]);
    assert_eq!(status, 201, "{body}");
    json(&body)["id"].as_str().unwrap().to_string()
}

fn control(s: &Server, id: &str, body: &str) {
    let (status, text) = request(s, "POST", &format!("/api/sessions/{id}/control"), body, &[("Content-Type", "application/json")]);
    assert_eq!(status, 204, "{text}");
}

/// The event stream of a session, read as it arrives.
struct Events(BufReader<TcpStream>);

impl Events {
    fn open(s: &Server, id: &str) -> Self {
        let mut stream = TcpStream::connect(&s.addr).unwrap();
        stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        write!(stream, "GET /api/sessions/{id}/events HTTP/1.1\r\nHost: {}\r\n\r\n", s.addr).unwrap();
        let mut r = BufReader::new(stream);
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        assert!(line.contains("200"), "{line}");
        Events(r)
    }

    /// The next event's JSON.
    fn next(&mut self) -> serde_json::Value {
        loop {
            let mut line = String::new();
            assert!(self.0.read_line(&mut line).unwrap() > 0, "the stream ended");
            if let Some(data) = line.strip_prefix("data: ") {
                return json(data.trim());
            }
        }
    }

    fn next_row(&mut self) -> serde_json::Value {
        loop {
            let e = self.next();
            if e["event"] == "row" || e["event"] == "end" {
                return e;
            }
        }
    }
}

const PARABOLA: &str = "configs/lecture/parabola.toml";

fn text(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

#[test]
fn a_session_steps_plays_changes_lr_and_matches_gdlab_train() {
    let s = start_server(&[]);
    let (status, body) = request(&s, "GET", "/api/experiments", "", &[]);
    assert_eq!(status, 200);
    assert!(json(&body)["experiments"].as_array().unwrap().iter().any(|e| e["path"] == PARABOLA), "{body}");
    let (status, page) = request(&s, "GET", "/", "", &[]);
    assert!(status == 200 && page.contains("app.js"), "{page}");

    let config = text(PARABOLA);
    let id = create(&s, &config);
    let mut ev = Events::open(&s, &id);
    let first = ev.next_row();
    assert_eq!((first["event"].as_str(), first["step"].as_u64()), (Some("row"), Some(0)));
    control(&s, &id, r#"{"action": "step"}"#);
    assert_eq!(ev.next_row()["step"], 1);
    // A new learning rate is used by the updates after the next row.
    control(&s, &id, r#"{"lr": 0.05}"#);
    control(&s, &id, r#"{"action": "step"}"#);
    control(&s, &id, r#"{"action": "step"}"#);
    let r2 = ev.next_row();
    let r3 = ev.next_row();
    assert_eq!((r2["step"].as_u64(), r3["step"].as_u64(), r3["lr"].as_f64()), (Some(2), Some(3), Some(0.05)));

    // Played to the end, a fresh session gives, row for row, what gdlab train writes.
    let id = create(&s, &config);
    let mut ev = Events::open(&s, &id);
    control(&s, &id, r#"{"action": "play", "speed": 200}"#);
    let mut rows = Vec::new();
    loop {
        let e = ev.next_row();
        if e["event"] == "end" {
            assert_eq!(e["stop"], "completed");
            break;
        }
        rows.push(e);
    }
    let dir = tempfile::tempdir().unwrap();
    train_ok(PARABOLA, &dir.path().join("run"), &[]);
    let (loss, b) = (column(&dir.path().join("run"), "loss"), column(&dir.path().join("run"), "b"));
    assert_eq!(rows.len(), loss.len());
    for (k, r) in rows.iter().enumerate() {
        assert_eq!((r["loss"].as_f64(), r["params"][0].as_f64()), (Some(loss[k]), Some(b[k])), "row {k}");
    }
}

#[test]
fn save_as_run_writes_an_ordinary_run_folder() {
    let s = start_server(&[]);
    let id = create(&s, &text("configs/quadratic.toml"));
    let (status, body) = request(&s, "POST", &format!("/api/sessions/{id}/save"), "", &[]);
    assert_eq!(status, 201, "{body}");
    let run = s.runs.path().join(json(&body)["run"].as_str().unwrap());
    let e = gdlab(&["eval", run.to_str().unwrap()]);
    assert_eq!(e.status.code(), Some(0), "{}", stderr(&e));
    // The runs API lists it and serves it.
    let (status, body) = request(&s, "GET", "/api/runs", "", &[]);
    assert_eq!(status, 200);
    let listed = &json(&body)["runs"][0];
    let path = format!("/api/runs/{}/{}", listed["experiment"].as_str().unwrap(), listed["run_id"].as_str().unwrap());
    let (status, body) = request(&s, "GET", &path, "", &[]);
    assert_eq!(status, 200, "{body}");
    assert!(json(&body)["summary"]["final_loss"].is_number(), "{body}");
}

#[test]
fn every_refusal_has_its_status() {
    let s = start_server(&["--max-sessions", "2"]);
    // Another site's page, or a DNS-rebinding name, cannot drive the server.
    assert_eq!(request(&s, "GET", "/api/experiments", "", &[("Host", "evil.example:80")]).0, 403);
    assert_eq!(request(&s, "GET", "/api/experiments", "", &[("Origin", "http://evil.example")]).0, 403);
    assert_eq!(request(&s, "GET", "/api/experiments", "", &[("Origin", &format!("http://{}", s.addr))]).0, 200);
    assert_eq!(request(&s, "GET", "/api/sessions/424242/events", "", &[]).0, 404);
    assert_eq!(request(&s, "POST", "/api/sessions/nope/control", "{}", &[]).0, 404);
    // Data only from the shipped data and the runs folder.
    for path in ["/etc/passwd", "../../../../etc/passwd"] {
        let config = format!("[data]\nsource = \"csv\"\npath = \"{path}\"\ntarget = \"y\"\n");
        let (status, body) = request(&s, "POST", "/api/sessions", &config, &[]);
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("data.path"), "{body}");
    }
    // The same message as the CLI: file, line, key.
    let (status, body) = request(&s, "POST", "/api/sessions", "[optimizer]\nlr = -1\n", &[]);
    assert_eq!(status, 400);
    assert!(body.contains("<posted config>:2") && body.contains("optimizer.lr"), "{body}");
    assert_eq!(too_large(&s), 413);
    let (status, body) = request(&s, "POST", "/api/sessions", "[optimizer]\nsteps = 100000000\n", &[]);
    assert!(status == 400 && body.contains("optimizer.steps"), "{body}");
    // Run paths cannot leave the runs folder.
    for path in ["/api/runs/../..", "/api/runs/..%2F..%2Fetc/passwd", "/api/runs/x/..", "/api/runs/%2e%2e/%2e%2e"] {
        assert_eq!(request(&s, "GET", path, "", &[]).0, 404, "{path}");
    }
    // At most --max-sessions live sessions.
    let config = text("configs/quadratic.toml");
    create(&s, &config);
    create(&s, &config);
    assert_eq!(request(&s, "POST", "/api/sessions", &config, &[]).0, 503);
    // Controls are checked.
    let (status, body) = request(&s, "POST", "/api/sessions/1/control", r#"{"action": "jump"}"#, &[]);
    assert!(status == 400 && body.contains("jump"), "{body}");
    assert_eq!(request(&s, "POST", "/api/sessions/1/control", r#"{"lr": -1}"#, &[]).0, 400);
    assert_eq!(request(&s, "DELETE", "/api/sessions/1", "", &[]).0, 204);
    assert_eq!(request(&s, "POST", "/api/sessions", &config, &[]).0, 201);
    // Still serving after all of it.
    let started = Instant::now();
    assert_eq!(request(&s, "GET", "/api/runs", "", &[]).0, 200);
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn the_views_answer_from_gdlab_and_refuse_bad_input() {
    let s = start_server(&[]);
    // probe: the autodiff gradient agrees with central differences of the probed loss
    // (f32 losses near 0.2 and a step of 1e-2: agreement to 1e-3 is far above f32 noise,
    // 1e-7 / 1e-2, and far below a wrong gradient), and a small ΔW gives ΔC ≈ ∇C·ΔW.
    let id = create(&s, &text("configs/lecture/sigmoid_surface.toml"));
    let at = |w: [f64; 2], dw: Option<[f64; 2]>| {
        let mut path = format!("/api/sessions/{id}/probe?at={},{}", w[0], w[1]);
        if let Some(d) = dw {
            path += &format!("&dw={},{}", d[0], d[1]);
        }
        let (status, body) = request(&s, "GET", &path, "", &[]);
        assert_eq!(status, 200, "{body}");
        json(&body)
    };
    let p = at([1.0, 2.0], None);
    let h = 1e-2;
    for k in 0..2 {
        let mut plus = [1.0, 2.0];
        let mut minus = [1.0, 2.0];
        plus[k] += h;
        minus[k] -= h;
        let fd = (at(plus, None)["loss"].as_f64().unwrap() - at(minus, None)["loss"].as_f64().unwrap()) / (2.0 * h);
        let g = p["gradient"][k].as_f64().unwrap();
        assert!((fd - g).abs() < 1e-3, "parameter {k}: autodiff {g}, central difference {fd}");
    }
    let t = at([1.0, 2.0], Some([1e-2, -1e-2]));
    let (pred, actual) = (t["predicted_dc"].as_f64().unwrap(), t["actual_dc"].as_f64().unwrap());
    assert!((actual / pred - 1.0).abs() < 0.05, "to first order: predicted {pred}, actual {actual}");
    for bad in ["at=1", "at=1,x", "at=1,2&dw=1", "at=1,2&w=3"] {
        assert_eq!(request(&s, "GET", &format!("/api/sessions/{id}/probe?{bad}"), "", &[]).0, 400, "{bad}");
    }

    // boundary: the xor net's output over its input plane is a probability map; a
    // one-input model has no plane.
    let id = create(&s, &text("configs/xor_mlp.toml"));
    let (status, body) = request(&s, "GET", &format!("/api/sessions/{id}/boundary?n=7"), "", &[]);
    assert_eq!(status, 200, "{body}");
    let b = json(&body);
    let out = b["output"].as_array().unwrap();
    assert_eq!(out.len(), 7);
    assert!(out.iter().flat_map(|r| r.as_array().unwrap()).all(|v| v.as_f64().is_some_and(|a| a > 0.0 && a < 1.0)), "{body}");
    assert_eq!(b["hidden"][0].as_array().unwrap().len(), 3, "one map per hidden unit of the 2-3-1 net");
    assert_eq!(b["layers"][0]["weights"].as_array().unwrap().len(), 6);
    assert_eq!(request(&s, "GET", &format!("/api/sessions/{id}/boundary?n=2"), "", &[]).0, 400);
    let id1 = create(&s, &text(PARABOLA));
    assert_eq!(request(&s, "GET", &format!("/api/sessions/{id1}/boundary"), "", &[]).0, 400);

    // perceptron: the rule converges on OR, as gdlab perceptron does; an mlp is refused.
    let (status, body) = request(&s, "POST", "/api/perceptron?set=data.gate%3D%22or%22", &text("configs/lecture/gates.toml"), &[]);
    assert_eq!(status, 200, "{body}");
    let r = json(&body);
    assert_eq!(r["stop"], "converged");
    assert_eq!(r["records"].as_array().unwrap().last().unwrap()["error_rate"], 0.0);
    assert_eq!(request(&s, "POST", "/api/perceptron", &text("configs/xor_mlp.toml"), &[]).0, 400);

    // datasets: a posted CSV is readable by a config; bad tables are refused.
    let (status, body) = request(&s, "POST", "/api/datasets", r#"{"columns": ["x", "y"], "rows": [[0, 1], [1, 3], [2, 5]]}"#, &[]);
    assert_eq!(status, 201, "{body}");
    let path = json(&body)["path"].as_str().unwrap().to_string();
    assert!(std::path::Path::new(&path).starts_with(s.runs.path()), "{path}");
    let config = format!("[data]\nsource = \"csv\"\npath = {}\ntarget = \"y\"\n", toml_string(&path));
    create(&s, &config);
    for bad in [
        r#"{"columns": ["x", "x"], "rows": [[0, 1]]}"#,
        r#"{"columns": ["x y"], "rows": [[0]]}"#,
        r#"{"columns": ["x", "y"], "rows": [[0]]}"#,
        r#"{"columns": ["x", "y"], "rows": []}"#,
        r#"{"columns": ["x", "y"], "rows": [[0, 1e300]]}"#,
        r#"{"columns": ["x"], "rows": [[0]], "path": "/etc/passwd"}"#,
        "not json",
    ] {
        let (status, body) = request(&s, "POST", "/api/datasets", bad, &[]);
        assert_eq!(status, 400, "{bad}: {body}");
    }
    let many = format!(r#"{{"columns": ["x"], "rows": [{}]}}"#, vec!["[1]"; 2001].join(","));
    assert_eq!(request(&s, "POST", "/api/datasets", &many, &[]).0, 400);
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[test]
fn ctrl_c_stops_the_server_with_streams_open() {
    let s = start_server(&[]);
    let id = create(&s, &text(PARABOLA));
    let _ev = Events::open(&s, &id);
    let pid = s.child.id() as i32;
    // SAFETY: a signal to our own child process.
    unsafe { libc::kill(pid, libc::SIGINT) };
    let started = Instant::now();
    let mut s = s;
    loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still running 10 s after Ctrl-C");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The perceptron's epochs are bounded after the budget becomes epochs (1,000,000 row updates
/// on XOR's 4 rows were 250,000 records); every API error is `{"error": ...}`, axum's own
/// rejections included; a head or a body that never ends is closed or answered 408 within the
/// server's 10 s timeouts, not held.
#[test]
fn heavy_requests_errors_and_slow_clients_are_bounded() {
    let s = start_server(&[]);
    let gates = text("configs/lecture/gates.toml");
    let (status, body) = request(&s, "POST", "/api/perceptron?set=data.gate%3D%22xor%22&set=optimizer.steps%3D1000000", &gates, &[]);
    assert_eq!(status, 400, "{body}");
    assert!(json(&body)["error"].as_str().unwrap().contains("at most 10000 epochs"), "{body}");

    let id = create(&s, &text(PARABOLA));
    for (method, path, body, want) in [
        ("POST", format!("/api/sessions/{id}/control"), "{not json", 400),
        ("POST", format!("/api/sessions/{id}/control"), r#"{"action": 3}"#, 400),
        ("PUT", "/api/sessions".to_string(), "", 405),
        ("GET", "/api/no/such/route".to_string(), "", 404),
        ("GET", "/api/runs/%ZZ/x".to_string(), "", 404),
    ] {
        let (status, text) = request(&s, method, &path, body, &[]);
        assert_eq!(status, want, "{method} {path}: {text}");
        assert!(json(&text)["error"].as_str().is_some_and(|e| !e.is_empty()), "{method} {path}: {text}");
    }

    let started = Instant::now();
    let silent = std::thread::spawn({
        let addr = s.addr.clone();
        move || {
            let mut stream = TcpStream::connect(&addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let mut rest = Vec::new();
            let closed = stream.read_to_end(&mut rest).is_ok();
            (closed, rest.len())
        }
    });
    let head = std::thread::spawn({
        let addr = s.addr.clone();
        move || {
            let mut stream = TcpStream::connect(&addr).unwrap();
            stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            stream.write_all(format!("GET /api/runs HTTP/1.1\r\nHost: {addr}\r\n").as_bytes()).unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
            rest
        }
    });
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head_text =
        format!("POST /api/perceptron HTTP/1.1\r\nHost: {}\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n[data]\n", s.addr);
    stream.write_all(head_text.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "a body that stops: {answer}");
    assert!(answer.contains("\"error\""), "{answer}");
    let unanswered = head.join().unwrap();
    assert_eq!(silent.join().unwrap(), (true, 0), "a client that never sends a byte is closed, unanswered");
    assert!(started.elapsed() < Duration::from_secs(25), "slow clients were held for {:?}", started.elapsed());
    assert!(!String::from_utf8_lossy(&unanswered).contains("200 OK"), "an unfinished head was answered");
    // The server still serves.
    assert_eq!(request(&s, "GET", "/api/runs", "", &[]).0, 200);
}

/// One GET whose answer may be binary: (status, head, body bytes).
fn get_bytes(s: &Server, path: &str) -> (u16, String, Vec<u8>) {
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", s.addr).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a head");
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, head, raw[split + 4..].to_vec())
}

#[test]
fn the_lecture_report_is_served_and_each_page_links_to_its_sections() {
    let s = start_server(&[]);
    // The committed report, byte for byte, and every figure it shows.
    let (status, _, html) = get_bytes(&s, "/report/");
    assert_eq!(status, 200);
    assert_eq!(html, std::fs::read("artifacts/lecture/index.html").unwrap(), "the served report is the committed one");
    let html = String::from_utf8(html).unwrap();
    let figures: Vec<&str> = html.split("src=\"figures/").skip(1).map(|p| &p[..p.find('"').unwrap()]).collect();
    assert!(figures.len() > 10, "{} figures", figures.len());
    for name in &figures {
        let (status, head, png) = get_bytes(&s, &format!("/report/figures/{name}"));
        assert_eq!(status, 200, "{name}");
        assert!(head.to_lowercase().contains("content-type: image/png"), "{name}: {head}");
        assert_eq!(png, std::fs::read(format!("artifacts/lecture/figures/{name}")).unwrap(), "{name}");
    }
    assert_eq!(get_bytes(&s, "/report").0, 308, "/report redirects to /report/");
    // Only the embedded names: no other file, no way out of the folder.
    for path in [
        "/report/REPORT.md",
        "/report/figures/nope.png",
        "/report/figures/..%2F..%2FCargo.toml",
        "/report/figures/../../Cargo.toml",
        "/report/figures/taylor_1.svg",
    ] {
        assert_eq!(request(&s, "GET", path, "", &[]).0, 404, "{path}");
    }
    assert_eq!(request(&s, "GET", "/report/", "", &[("Host", "evil.example:80")]).0, 403, "a foreign Host");
    // Every lecture page links to sections the report has, in both languages.
    let pages = text("src/serve/page/pages.js");
    let mut linked = Vec::new();
    for part in pages.split(" report: [").skip(1) {
        for n in part[..part.find(']').unwrap()].split(", ") {
            let n: u32 = n.parse().unwrap();
            for lang in ["ko", "en"] {
                assert!(html.contains(&format!("id=\"{lang}-{n}\"")), "the report has no section {lang}-{n}");
            }
            linked.push(n);
        }
    }
    linked.sort();
    assert_eq!(linked, (1..=9).collect::<Vec<u32>>(), "each of the report's nine sections is linked from one page");
}
