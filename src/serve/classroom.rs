//! Classroom mode (`gdlab serve --classroom`): the lab opened to a class on the network.
//!
//! Every request needs a token, whatever address it comes from. Students join with the class's
//! join token (`/?join=TOKEN`), the teacher with a separate one (`/teacher?key=TOKEN`); each is
//! exchanged once for an HttpOnly, SameSite=Strict cookie and the browser is sent on to the
//! same page without the token in its address. A student's cookie names the student: their
//! sessions, their limits and their saved runs. The tokens are printed once, in the start
//! banner, and written nowhere else.

use super::App;
use crate::error::GdlabError;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A student's live sessions at most, unless `--per-student` says otherwise.
pub const PER_STUDENT: usize = 2;
/// The class's live sessions at most with `--classroom`, unless `--max-sessions` says
/// otherwise: 30 students with 2 sessions each, and a few to spare (`gdlab bench --workload
/// serve --students 30` measures that load on 2 cores).
pub const CLASS_MAX_SESSIONS: usize = 64;
/// Students one class admits (each join without a cookie is a new one): bounds the server's
/// memory whoever holds the join token.
pub const MAX_STUDENTS: usize = 500;
/// Teacher cookies kept (each use of the teacher link makes one; the oldest goes first).
const MAX_TEACHERS: usize = 16;
/// The longest display name a student may choose, in characters.
pub const MAX_NAME: usize = 40;

/// Cookie names, with the port after them (`gdlab_student_8765`): a browser sends a host's
/// cookies to every port of it, and another server there must not get this one's.
const STUDENT_COOKIE: &str = "gdlab_student";
const TEACHER_COOKIE: &str = "gdlab_teacher";
/// Students one device (one address other than loopback) may join as: a second browser, or a
/// cleared cookie, is a new student; beyond this, one device would take the class's places.
pub const PER_DEVICE: usize = 3;
/// Data sets (`/api/datasets`) one student may keep.
pub const STUDENT_DATASETS: usize = 100;

pub struct ClassOptions {
    /// The join token the teacher chose (`--token-env`); random when `None`.
    pub join_token: Option<String>,
    /// Names (with or without `:PORT`) a request's Host may carry besides this machine's own.
    pub allow_hosts: Vec<String>,
    pub per_student: usize,
}

/// Who a request comes from.
#[derive(Clone)]
pub enum Who {
    /// No classroom: the one user on loopback, who is also the teacher.
    Local,
    Teacher,
    Student(Arc<Student>),
}

impl Who {
    pub fn student(&self) -> Option<&Arc<Student>> {
        match self {
            Who::Student(s) => Some(s),
            _ => None,
        }
    }

    pub fn may_teach(&self) -> bool {
        matches!(self, Who::Local | Who::Teacher)
    }
}

/// One student of the class: an id for folders and the teacher's view, and the name they chose.
pub struct Student {
    pub id: u64,
    name: Mutex<String>,
    /// The address they joined from.
    ip: IpAddr,
    /// A "save as run" of theirs is under way (one at a time).
    pub saving: std::sync::atomic::AtomicBool,
}

impl Student {
    /// `s7`: the folder under `runs/class/` and the label until a name is chosen.
    pub fn label(&self) -> String {
        format!("s{}", self.id)
    }

    pub fn name(&self) -> String {
        self.name.lock().map(|n| n.clone()).unwrap_or_default()
    }

    pub fn set_name(&self, name: &str) -> Result<String, String> {
        let name = name.trim();
        if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
            return Err(format!("name: at most {MAX_NAME} characters, no control characters"));
        }
        if let Ok(mut n) = self.name.lock() {
            *n = name.to_string();
        }
        Ok(name.to_string())
    }
}

pub struct Classroom {
    join: String,
    teacher: String,
    /// Cookie value -> student.
    students: Mutex<HashMap<String, Arc<Student>>>,
    teachers: Mutex<Vec<String>>,
    next: AtomicU64,
    pub per_student: usize,
    student_cookie: String,
    teacher_cookie: String,
}

/// 128 random bits from the operating system, as 32 hex digits (safe in a URL and a cookie).
pub fn random_token() -> Result<String, GdlabError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| GdlabError::Runtime(format!("cannot draw a random token: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A token the teacher chose: long enough not to be guessed, and made of characters a URL
/// carries as they are.
pub fn check_token(var: &str, token: &str) -> Result<(), GdlabError> {
    let ok = |c: char| c.is_ascii_alphanumeric() || "-_.~".contains(c);
    if token.len() < 16 || !token.chars().all(ok) {
        return Err(GdlabError::Input(format!(
            "--token-env {var}: the join token must be at least 16 characters of A-Z, a-z, 0-9, '-', '_', '.' or '~'\n  hint: leave --token-env out for a random one"
        )));
    }
    Ok(())
}

/// Equal without telling, by how long it takes, where two strings first differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').filter_map(|kv| kv.split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

impl Classroom {
    pub fn new(o: &ClassOptions, port: u16) -> Result<Self, GdlabError> {
        Ok(Self {
            join: o.join_token.clone().map_or_else(random_token, Ok)?,
            teacher: random_token()?,
            students: Mutex::new(HashMap::new()),
            teachers: Mutex::new(Vec::new()),
            next: AtomicU64::new(1),
            per_student: o.per_student.max(1),
            student_cookie: format!("{STUDENT_COOKIE}_{port}"),
            teacher_cookie: format!("{TEACHER_COOKIE}_{port}"),
        })
    }

    /// The join and teacher tokens, for the start banner only.
    pub fn tokens(&self) -> (&str, &str) {
        (&self.join, &self.teacher)
    }

    fn who(&self, headers: &HeaderMap) -> Option<Who> {
        if let Some(c) = cookie(headers, &self.teacher_cookie)
            && self.teachers.lock().is_ok_and(|t| t.iter().any(|k| same(k, c)))
        {
            return Some(Who::Teacher);
        }
        let c = cookie(headers, &self.student_cookie)?;
        self.students.lock().ok()?.get(c).cloned().map(Who::Student)
    }

    /// `/?join=TOKEN`: a new student (or the same one again, when the browser already holds a
    /// cookie), then the page without the token.
    fn join(&self, token: &str, headers: &HeaderMap, peer: Option<IpAddr>) -> Response {
        if !same(token, &self.join) {
            return refused(StatusCode::UNAUTHORIZED, &WRONG_JOIN);
        }
        if matches!(self.who(headers), Some(Who::Student(_))) {
            return to("/", None);
        }
        let Ok(mut students) = self.students.lock() else { return refused(StatusCode::INTERNAL_SERVER_ERROR, &BROKEN) };
        if students.len() >= MAX_STUDENTS {
            return refused(StatusCode::TOO_MANY_REQUESTS, &FULL);
        }
        let ip = peer.unwrap_or(IpAddr::from([127, 0, 0, 1]));
        if !ip.is_loopback() && students.values().filter(|s| s.ip == ip).count() >= PER_DEVICE {
            return refused(StatusCode::TOO_MANY_REQUESTS, &DEVICE_FULL);
        }
        let Ok(value) = random_token() else { return refused(StatusCode::INTERNAL_SERVER_ERROR, &BROKEN) };
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        students.insert(value.clone(), Arc::new(Student { id, name: Mutex::new(String::new()), ip, saving: Default::default() }));
        to("/", Some((&self.student_cookie, &value)))
    }

    /// `/teacher?key=TOKEN`: a teacher cookie, then the teacher's view without the token.
    fn teach(&self, token: &str) -> Response {
        if !same(token, &self.teacher) {
            return refused(StatusCode::UNAUTHORIZED, &WRONG_KEY);
        }
        let Ok(value) = random_token() else { return refused(StatusCode::INTERNAL_SERVER_ERROR, &BROKEN) };
        if let Ok(mut t) = self.teachers.lock() {
            if t.len() >= MAX_TEACHERS {
                t.remove(0);
            }
            t.push(value.clone());
        }
        to("/teacher", Some((&self.teacher_cookie, &value)))
    }

    pub fn student_count(&self) -> usize {
        self.students.lock().map_or(0, |s| s.len())
    }
}

/// A 303 to `path`, setting `cookie` when given. The token stays out of the next address, of
/// the history and of any Referer.
fn to(path: &str, cookie: Option<(&str, &str)>) -> Response {
    let mut r = (StatusCode::SEE_OTHER, [(header::LOCATION, path), (header::CACHE_CONTROL, "no-store")]).into_response();
    if let Some((name, value)) = cookie
        && let Ok(v) = format!("{name}={value}; HttpOnly; SameSite=Strict; Path=/").parse()
    {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// Why a request is refused, in Korean and in English (the page shows both; the API the English).
struct Why {
    ko: &'static str,
    en: &'static str,
}

const NO_TOKEN: Why = Why {
    ko: "이 실습실은 수업에 참여한 학생만 쓸 수 있습니다. 선생님이 보여 주는 참여 링크를 열거나 QR 코드를 찍어서 들어오세요.",
    en: "This lab is open to a class: open the join link, or scan the QR code, that your teacher shows.",
};
const WRONG_JOIN: Why = Why {
    ko: "이 링크는 지금 열린 수업의 링크가 아닙니다. 선생님이 지금 보여 주는 참여 링크로 다시 들어오세요.",
    en: "This link is not this class's: join again with the link your teacher shows now.",
};
const WRONG_KEY: Why = Why {
    ko: "교사 화면 링크가 맞지 않습니다. 서버를 띄운 터미널에 출력된 교사 화면 링크를 여세요.",
    en: "This teacher's link is not this server's: open the one printed in the terminal that started it.",
};
const FULL: Why = Why {
    ko: "이 수업은 자리가 다 찼습니다(학생 500명). 선생님께 알려 주세요.",
    en: "This class is full (500 students): tell your teacher.",
};
const TEACHER_ONLY: Why = Why {
    ko: "여기는 교사 화면입니다. 교사 화면은 선생님의 링크로만 열립니다. <a href=\"/\">실습실로 돌아가기</a>",
    en: "This is the teacher's view: it opens with the teacher's link only.",
};
const DEVICE_FULL: Why = Why {
    ko: "이 기기로는 이미 세 번 들어왔습니다. 처음 들어온 브라우저를 쓰세요. 그 브라우저에 자리가 남아 있습니다.",
    en: "This device has joined three times already: use the browser you joined with, which keeps your place.",
};
const BROKEN: Why = Why {
    ko: "서버에 문제가 생겼습니다. 선생님께 알려 주세요.", en: "The server ran into a problem: tell your teacher."
};

/// A refusal as a page that says what to do (the join page).
fn refused(status: StatusCode, why: &Why) -> Response {
    let page = include_str!("page/join.html").replace("{ko}", why.ko).replace("{en}", why.en);
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8"), (header::CACHE_CONTROL, "no-store")], page).into_response()
}

fn teacher_only(path: &str) -> bool {
    path == "/teacher" || path == "/teacher.js" || path.starts_with("/api/teacher/")
}

/// Admits a request and records who it is from (`Who`, a request extension every handler may
/// read). Without a classroom everyone is `Local`; with one, a request needs a student's or the
/// teacher's cookie, or carries a token to exchange for one.
pub(super) async fn gate(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let Some(class) = &app.classroom else {
        req.extensions_mut().insert(Who::Local);
        return next.run(req).await;
    };
    let path = req.uri().path();
    if req.method() == Method::GET {
        if path == "/"
            && let Some(token) = query_param(req.uri().query(), "join")
        {
            let peer = req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
            return class.join(token, req.headers(), peer);
        }
        if path == "/teacher"
            && let Some(token) = query_param(req.uri().query(), "key")
        {
            return class.teach(token);
        }
    }
    let api = path.starts_with("/api/");
    let refuse = |status, why: &Why| if api { super::guard::error(status, why.en) } else { refused(status, why) };
    let Some(who) = class.who(req.headers()) else { return refuse(StatusCode::UNAUTHORIZED, &NO_TOKEN) };
    if teacher_only(path) && !who.may_teach() {
        return refuse(StatusCode::FORBIDDEN, &TEACHER_ONLY);
    }
    req.extensions_mut().insert(who);
    next.run(req).await
}

/// The names a request's Host may carry (without the port): the address listened on, or with
/// an unspecified one (0.0.0.0, ::) every address of this machine's interfaces; loopback's
/// names when loopback is listened on; this machine's host name; and `allow`.
pub fn own_names(bound: SocketAddr, allow: &[String]) -> Vec<String> {
    let ip = bound.ip();
    let mut addrs: Vec<IpAddr> = Vec::new();
    if ip.is_unspecified() {
        let v4_only = ip.is_ipv4();
        addrs.extend(if_addrs::get_if_addrs().unwrap_or_default().into_iter().map(|i| i.ip()).filter(|a| !v4_only || a.is_ipv4()));
        addrs.push(IpAddr::from([127, 0, 0, 1]));
    } else {
        addrs.push(ip);
    }
    let mut names: Vec<String> = addrs.iter().map(|a| host_form(*a)).collect();
    if addrs.iter().any(IpAddr::is_loopback) {
        names.push("localhost".into());
    }
    if ip.is_unspecified() || !ip.is_loopback() {
        let host = gethostname::gethostname().to_string_lossy().to_lowercase();
        if !host.is_empty() {
            names.push(format!("{host}.local"));
            names.push(host);
        }
    }
    // NAME, or NAME:PORT when PORT is this server's.
    for a in allow {
        let a = a.trim().to_lowercase();
        match split_host(&a) {
            Some((name, Some(port))) if port == bound.port() => names.push(name.to_string()),
            Some((_, Some(_))) => {}
            _ => names.push(a),
        }
    }
    names.sort();
    names.dedup();
    names
}

/// A Host header's name and port (`name`, `name:port`, `[v6]`, `[v6]:port`); `None` when the
/// port is not all digits or a bracket is left open.
pub fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    let digits = |p: &str| (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse::<u16>().ok()).flatten();
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (ip, after) = rest.split_once(']')?;
            (&host[..ip.len() + 2], if after.is_empty() { None } else { Some(after.strip_prefix(':')?) })
        }
        None => match host.rsplit_once(':') {
            Some((n, p)) => (n, Some(p)),
            None => (host, None),
        },
    };
    match port {
        Some(p) => Some((name, Some(digits(p)?))),
        None => Some((name, None)),
    }
}

/// An address as a URL or a Host header writes it (IPv6 in brackets).
pub fn host_form(ip: IpAddr) -> String {
    match ip {
        IpAddr::V6(v6) => format!("[{v6}]"),
        IpAddr::V4(v4) => v4.to_string(),
    }
}

/// The join links to print: one per address a student can reach (loopback last), and this
/// machine's name.
pub fn join_hosts(bound: SocketAddr) -> Vec<String> {
    let ip = bound.ip();
    if !ip.is_unspecified() {
        return vec![host_form(ip)];
    }
    let mut hosts: Vec<(bool, String)> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.ip())
        .filter(|a| a.is_ipv4() && !a.is_loopback())
        .map(|a| (false, host_form(a)))
        .collect();
    let name = gethostname::gethostname().to_string_lossy().to_lowercase();
    if !name.is_empty() {
        hosts.push((false, name));
    }
    hosts.push((true, "127.0.0.1".into()));
    hosts.sort();
    hosts.dedup();
    hosts.into_iter().map(|(_, h)| h).collect()
}

/// A QR code of `text` for a terminal (two rows of modules per line of text). With `colour`,
/// black on white whatever the terminal's own colours; without, dark modules are left blank,
/// which reads as a code on a dark terminal (the usual one) and as its inverse on a light one.
pub fn qr(text: &str, colour: bool) -> Option<String> {
    use qrcode::render::unicode::Dense1x2;
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let mut render = code.render::<Dense1x2>();
    render.quiet_zone(true);
    if colour {
        let plain = render.dark_color(Dense1x2::Dark).light_color(Dense1x2::Light).build();
        Some(plain.lines().map(|l| format!("\x1b[30;107m{l}\x1b[0m")).collect::<Vec<_>>().join("\n"))
    } else {
        Some(render.dark_color(Dense1x2::Light).light_color(Dense1x2::Dark).build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_queries_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, "a=1; gdlab_student=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, STUDENT_COOKIE), Some("abc"));
        assert_eq!(cookie(&h, TEACHER_COOKIE), None);
        assert_eq!(query_param(Some("x=1&join=t0k"), "join"), Some("t0k"));
        assert_eq!(query_param(Some("joined=1"), "join"), None);
        assert_eq!(query_param(None, "join"), None);
    }

    #[test]
    fn tokens_are_random_and_chosen_ones_checked() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(check_token("T", "short").is_err());
        assert!(check_token("T", "has space in it!").is_err());
        assert!(check_token("T", "class-2026-spring").is_ok());
        assert!(check_token("T", "class-2026").is_err());
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "abcd"));
    }

    #[test]
    fn the_full_class_message_names_the_cap() {
        let n = MAX_STUDENTS.to_string();
        assert!(FULL.ko.contains(&n) && FULL.en.contains(&n));
    }

    #[test]
    fn a_name_is_bounded_and_trimmed() {
        let s = Student { id: 3, name: Mutex::new(String::new()), ip: IpAddr::from([127, 0, 0, 1]), saving: Default::default() };
        assert_eq!(s.set_name("  김민수 ").unwrap(), "김민수");
        assert_eq!(s.name(), "김민수");
        assert!(s.set_name(&"가".repeat(MAX_NAME + 1)).is_err());
        assert!(s.set_name("a\u{7}b").is_err());
        assert_eq!(s.label(), "s3");
    }

    #[test]
    fn a_host_header_splits_into_name_and_digits_only_port() {
        assert_eq!(split_host("lab:8765"), Some(("lab", Some(8765))));
        assert_eq!(split_host("lab"), Some(("lab", None)));
        assert_eq!(split_host("[::1]:80"), Some(("[::1]", Some(80))));
        assert_eq!(split_host("[::1]"), Some(("[::1]", None)));
        for bad in ["lab:+80", "lab:", "lab:99999", "[::1]junk", "[::1", "[::1]:x"] {
            assert_eq!(split_host(bad), None, "{bad}");
        }
        let names = own_names("127.0.0.1:8765".parse().unwrap(), &["a.example:8765".into(), "b.example:9".into(), "c.example".into()]);
        assert!(names.contains(&"a.example".to_string()) && names.contains(&"c.example".to_string()), "{names:?}");
        assert!(!names.iter().any(|n| n.starts_with("b.example")), "{names:?}");
    }

    #[test]
    fn an_unspecified_address_accepts_this_machines_names() {
        let names = own_names("0.0.0.0:80".parse().unwrap(), &["Lab.Example".into()]);
        assert!(names.contains(&"127.0.0.1".to_string()) && names.contains(&"localhost".to_string()), "{names:?}");
        assert!(names.contains(&"lab.example".to_string()), "{names:?}");
        let host = gethostname::gethostname().to_string_lossy().to_lowercase();
        assert!(names.contains(&host), "{names:?}");
        let only = own_names("127.0.0.1:80".parse().unwrap(), &[]);
        assert_eq!(only, vec!["127.0.0.1".to_string(), "localhost".to_string()]);
    }
}
