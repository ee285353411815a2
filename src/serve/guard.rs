//! Which requests the server answers: its own Host, and no Origin but its own.

use super::App;
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;

/// Refuses a request whose Host header is not this server's (DNS rebinding: a foreign name
/// that resolves to 127.0.0.1) or whose Origin is another site's (a page the user visits
/// posting to localhost). Both 403 with a JSON error.
pub async fn same_origin(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
    if !app.hosts.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return forbidden(&format!("Host `{host}` is not this server"));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !app.origins.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
            return forbidden(&format!("cross-origin request from `{origin}` refused"));
        }
    }
    next.run(req).await
}

fn forbidden(message: &str) -> Response {
    (StatusCode::FORBIDDEN, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
