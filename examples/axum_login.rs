//! An axum service with security logging: a login endpoint, an authenticated endpoint and an
//! admin endpoint. Run it with `cargo run --example axum_login --features axum`, then:
//!
//! ```sh
//! curl -s -X POST localhost:3000/login -H 'content-type: application/json' \
//!      -d '{"username":"alice","password":"wrong"}'
//! curl -s -X POST localhost:3000/login -H 'content-type: application/json' \
//!      -d '{"username":"bob","password":"builder"}'        # prints a token
//! curl -s localhost:3000/me -H 'authorization: Bearer <token>'
//! curl -s localhost:3000/admin -H 'authorization: Bearer <token>'  # bob is no admin
//! ```
//!
//! Every request runs in a caller scope opened by `CallerLayer` (IP, user agent, request id);
//! the auth middleware adds the user once the token is checked.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use seclog::axum::CallerLayer;
use seclog::{Redact, context, security_logged};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, Redact)]
pub struct LoginRequest {
    pub username: String,
    #[redact]
    pub password: String,
}

#[derive(Serialize, Redact)]
pub struct LoginResponse {
    #[redact]
    pub token: String,
}

#[derive(Serialize, Redact)]
pub struct Profile {
    pub user: String,
    pub admin: bool,
}

#[derive(Debug, Redact)]
pub enum ApiError {
    BadCredentials,
    Unauthenticated,
    Forbidden,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match self {
            ApiError::BadCredentials | ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
        };
        (status, format!("{self:?}")).into_response()
    }
}

/// The signed-in user, put in the request's extensions by [`authenticate`].
#[derive(Clone, Redact)]
pub struct AuthUser {
    pub name: String,
    pub admin: bool,
}

/// Users and issued tokens: a stand-in for a real user store.
pub struct App {
    passwords: HashMap<&'static str, (&'static str, bool)>,
    tokens: Mutex<HashMap<String, AuthUser>>,
}

impl App {
    pub fn new() -> Arc<App> {
        Arc::new(App {
            passwords: HashMap::from([
                ("alice", ("wonderland", true)),
                ("bob", ("builder", false)),
            ]),
            tokens: Mutex::new(HashMap::new()),
        })
    }
}

#[security_logged(event = "authn_login", who = req.username)]
async fn login(
    #[skip] State(app): State<Arc<App>>,
    Json(req): Json<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    match app.passwords.get(req.username.as_str()) {
        Some((password, admin)) if *password == req.password => {
            let token = format!("tok-{}-{}", req.username, app.tokens.lock().unwrap().len());
            let user = AuthUser {
                name: req.username.clone(),
                admin: *admin,
            };
            app.tokens.lock().unwrap().insert(token.clone(), user);
            context::set_user(&req.username);
            Ok(Json(LoginResponse { token }))
        }
        _ => Err(ApiError::BadCredentials),
    }
}

/// Checks the bearer token; the user it names becomes the caller of everything after.
async fn authenticate(
    State(app): State<Arc<App>>,
    mut req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(ApiError::Unauthenticated)?;
    let user = app
        .tokens
        .lock()
        .unwrap()
        .get(token)
        .cloned()
        .ok_or(ApiError::Unauthenticated)?;
    context::update(|caller| {
        caller.set_user(&user.name);
        caller.set_auth_method("bearer");
        if user.admin {
            caller.set_roles(["admin"]);
        }
    });
    req.extensions_mut().insert(user);
    Ok(next.run(req).await)
}

#[security_logged(event = "sensitive_read")]
async fn me(Extension(user): Extension<AuthUser>) -> Json<Profile> {
    Json(Profile {
        user: user.name,
        admin: user.admin,
    })
}

#[security_logged(event = "authz_admin")]
async fn admin(#[skip] Extension(user): Extension<AuthUser>) -> Result<Json<Profile>, ApiError> {
    if !user.admin {
        deny("/admin");
        return Err(ApiError::Forbidden);
    }
    Ok(Json(Profile {
        user: user.name,
        admin: true,
    }))
}

/// Records the refusal as the OWASP `authz_fail` event (CRITICAL).
#[security_logged(event = "authz_fail")]
fn deny(resource: &str) {
    let _ = resource;
}

/// The service; `layer` says which proxies' forwarding headers to trust.
pub fn router(layer: CallerLayer) -> Router {
    let app = App::new();
    let protected = Router::new()
        .route("/me", get(me))
        .route("/admin", get(admin))
        .route_layer(middleware::from_fn_with_state(app.clone(), authenticate));
    Router::new()
        .route("/login", post(login))
        .merge(protected)
        .with_state(app)
        .layer(layer)
}

#[tokio::main]
async fn main() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000")
        .await
        .expect("port 3000 is free");
    eprintln!("listening on http://127.0.0.1:3000");
    axum::serve(
        listener,
        router(CallerLayer::new()).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
    .expect("server runs");
}
