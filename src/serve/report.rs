//! The lecture report at /report/: the committed artifacts/lecture (index.html and its PNG
//! figures), embedded at build time, so that each live-lab page can link to its section
//! wherever gdlab runs. Only the embedded names are served; nothing is read from disk.

use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

include!(concat!(env!("OUT_DIR"), "/report.rs"));

/// The embedded file `name` (`index.html`, `figures/<figure>.png`) with its content type.
fn file(name: &str) -> Option<(&'static str, &'static [u8])> {
    let kind = if name.ends_with(".html") { "text/html; charset=utf-8" } else { "image/png" };
    REPORT.iter().find(|(n, _)| *n == name).map(|(_, bytes)| (kind, *bytes))
}

fn respond(name: &str) -> Response {
    match file(name) {
        Some((kind, bytes)) => ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-store")], bytes).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("no {name} in this build's lecture report\n  hint: the report is artifacts/lecture, made by `gdlab lecture` and embedded when gdlab is built"),
        )
            .into_response(),
    }
}

pub(super) async fn bare() -> Redirect {
    Redirect::permanent("/report/")
}

pub(super) async fn index() -> Response {
    respond("index.html")
}

pub(super) async fn figure(Path(name): Path<String>) -> Response {
    respond(&format!("figures/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_and_every_figure_it_shows_are_embedded() {
        let (kind, html) = file("index.html").expect("artifacts/lecture/index.html is committed");
        assert!(kind.starts_with("text/html"));
        let html = std::str::from_utf8(html).unwrap();
        let mut shown = 0;
        for part in html.split("src=\"figures/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            let (kind, png) = file(&format!("figures/{name}")).unwrap_or_else(|| panic!("{name} is not embedded"));
            assert_eq!((kind, &png[..8]), ("image/png", &b"\x89PNG\r\n\x1a\n"[..]), "{name}");
            shown += 1;
        }
        assert!(shown > 10, "index.html shows {shown} figures");
        assert!(file("figures/../index.html").is_none() && file("REPORT.md").is_none(), "only the embedded names");
    }
}
