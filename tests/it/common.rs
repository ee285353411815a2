//! Helpers for tests that run the real `gdlab` binary on real configs.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs gdlab in the repository root with `args`.
pub fn gdlab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gdlab")).args(args).current_dir(root()).output().expect("gdlab runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Waits for `child` and collects its output, killing it after `limit`.
pub fn finish_within(child: std::process::Child, limit: Duration, what: &str) -> Output {
    let pid = child.id() as libc::pid_t;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(limit) {
        Ok(o) => o.unwrap(),
        Err(_) => {
            // SAFETY: kill(2) on our own child, not reaped yet (its waiter is still blocked).
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("{what} did not finish within {limit:?}");
        }
    }
}

/// Trains `config` into `out` (quiet) with overrides, asserting success.
pub fn train_ok(config: &str, out: &Path, sets: &[&str]) -> serde_json::Value {
    let o = train(config, out, sets);
    assert!(o.status.success(), "gdlab train {config} {sets:?} failed: {}", stderr(&o));
    summary(out)
}

pub fn train(config: &str, out: &Path, sets: &[&str]) -> Output {
    let mut args = vec!["train", config, "--quiet", "--out", out.to_str().unwrap()];
    for s in sets {
        args.push("--set");
        args.push(s);
    }
    gdlab(&args)
}

pub fn summary(run: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(run.join("summary.json")).expect("summary.json");
    serde_json::from_str(&text).unwrap()
}

/// metrics.csv as (header, rows of cells).
pub fn metrics(run: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(run.join("metrics.csv")).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    let rows = r.records().map(|rec| rec.unwrap().iter().map(str::to_string).collect()).collect();
    (header, rows)
}

/// One numeric column of metrics.csv (NaN for an empty cell).
pub fn column(run: &Path, name: &str) -> Vec<f64> {
    let (h, rows) = metrics(run);
    let i = h.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name} in {h:?}"));
    rows.iter().map(|r| if r[i].is_empty() { f64::NAN } else { r[i].parse().unwrap() }).collect()
}

pub fn params(s: &serde_json::Value) -> (Vec<f64>, Option<f64>) {
    let p = &s["parameters"];
    let w = p["weights"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    (w, p["bias"].as_f64())
}

/// A figure gdlab drew, checked for what a reader would see: a PNG of a readable size with a
/// drawing on it (at least 8 distinct colours: a blank or one-colour canvas fails), or an SVG
/// document with at least 10 drawn elements.
pub fn assert_figure(path: &Path) {
    let what = path.display();
    match path.extension().and_then(|e| e.to_str()) {
        Some("png") => {
            let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{what}: {e}"));
            let mut reader = png::Decoder::new(std::io::BufReader::new(file)).read_info().unwrap_or_else(|e| panic!("{what}: {e}"));
            let mut pixels = vec![0; reader.output_buffer_size()];
            let info = reader.next_frame(&mut pixels).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(info.width >= 300 && info.height >= 200, "{what}: {}x{} pixels", info.width, info.height);
            let bytes = info.color_type.samples() * if info.bit_depth == png::BitDepth::Sixteen { 2 } else { 1 };
            let colours: std::collections::HashSet<&[u8]> = pixels[..info.buffer_size()].chunks(bytes).collect();
            assert!(colours.len() >= 8, "{what}: {} colours, nothing drawn", colours.len());
        }
        Some("svg") => {
            let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert!(text.contains("<svg") && text.trim_end().ends_with("</svg>"), "{what}: not a whole SVG document");
            let drawn = ["<path", "<polyline", "<polygon", "<line", "<rect", "<circle", "<text"]
                .iter()
                .map(|t| text.matches(t).count())
                .sum::<usize>();
            assert!(drawn >= 10, "{what}: {drawn} drawn elements");
        }
        _ => panic!("{what}: not a figure"),
    }
}

/// A `gdlab serve` on port 0 in the repository root, with its own runs folder; killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    /// host:port
    pub addr: String,
    pub runs: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start_server(extra: &[&str]) -> Server {
    use std::io::BufRead;
    let runs = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gdlab"))
        .args(["serve", "--port", "0", "--runs", runs.path().to_str().unwrap()])
        .args(extra)
        .current_dir(root())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let url = line.trim().strip_prefix("gdlab serve: http://").unwrap_or_else(|| panic!("first line: {line:?}"));
    Server { child, addr: url.trim_end_matches('/').to_string(), runs }
}

/// An HTTP answer read whole: status, head (status line and headers) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.trim()))
    }

    /// The `name=value` of the Set-Cookie header.
    pub fn cookie(&self) -> Option<String> {
        self.header("set-cookie").and_then(|c| c.split(';').next()).map(|c| c.trim().to_string())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {self:?}"))
    }
}

/// One request on its own connection, read whole within `wait`. A `Host` in `headers`
/// replaces the default (the connected address).
pub fn http(addr: &str, method: &str, path: &str, body: &str, headers: &[(&str, &str)], wait: Duration) -> Answer {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect to {addr}: {e}"));
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        head += &format!("Host: {addr}\r\n");
    }
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    stream.write_all(format!("{head}\r\n{body}").as_bytes()).unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap_or_else(|e| panic!("{method} {path}: no whole answer within {wait:?}: {e}"));
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("{method} {path}: {text:?}"));
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Answer { status, head: head.to_string(), body: body.to_string() }
}
