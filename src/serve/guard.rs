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
    if !app.accepts_host(host) {
        return forbidden(&format!(
            "Host `{host}` is not this server\n  hint: open the lab by this machine's address or name (a classroom accepts more with --allow-host NAME)"
        ));
    }
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origin.strip_prefix("http://").is_some_and(|h| app.accepts_host(h)) {
            return forbidden(&format!("cross-origin request from `{origin}` refused"));
        }
    }
    next.run(req).await
}

fn forbidden(message: &str) -> Response {
    error(StatusCode::FORBIDDEN, message)
}

/// A request body must arrive whole within this long: a client that stops sending mid-body is
/// answered 408, not waited for.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Reads the body (at most `MAX_BODY` bytes, within `BODY_TIMEOUT`) before the handler runs.
pub async fn bounded_body(req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, super::MAX_BODY)).await {
        Ok(Ok(bytes)) => next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await,
        Ok(Err(_)) => error(StatusCode::PAYLOAD_TOO_LARGE, &format!("the request body is over {} bytes", super::MAX_BODY)),
        Err(_) => error(StatusCode::REQUEST_TIMEOUT, &format!("the request body did not arrive within {} s", BODY_TIMEOUT.as_secs())),
    }
}

/// Every error from an API route is `{"error": "..."}`, also those axum writes itself (a bad
/// query or JSON body, a wrong method, a body over the limit), so the page and scripts read
/// one shape.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let response = next.run(req).await;
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !api || is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("error").to_string() } else { text.trim().to_string() };
    error(status, &message)
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}
