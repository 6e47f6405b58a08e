//! axum / tower integration (feature `axum`): [`CallerLayer`] opens a caller scope for every
//! request, and axum's extractors are `Loggable` when what they hold is.
//!
//! ```no_run
//! use std::net::SocketAddr;
//!
//! use axum::{Router, routing::get};
//! use seclog::axum::CallerLayer;
//!
//! # async fn demo() {
//! let app = Router::new()
//!     .route("/", get(|| async { "ok" }))
//!     // Outermost, so that every other layer and handler runs inside the scope.
//!     .layer(CallerLayer::new().trust_proxy("10.0.0.5".parse().unwrap()));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await.unwrap();
//! axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
//!     .await
//!     .unwrap();
//! # }
//! ```
//!
//! For each request the caller holds:
//! - `ip`: the peer address from [`ConnectInfo`]; when the peer is a trusted proxy, the client
//!   named by `Forwarded` or `X-Forwarded-For` (the right-most address that is not itself a
//!   trusted proxy). Headers from any other peer are ignored, so a client cannot spoof them.
//! - `user_agent`: the `User-Agent` header.
//! - `request_id`: the `X-Request-Id` header when it is well-formed (1 to 128 of
//!   `A-Z a-z 0-9 . _ : -`), a new random id otherwise; echoed in the response's
//!   `X-Request-Id`.
//!
//! Authentication middleware inside the layer sets the user once it knows it, with
//! [`crate::context::set_user`] or [`crate::context::update`].

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::{BuildHasher, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};

use ::axum::extract::ConnectInfo;
use http::{HeaderMap, HeaderValue, Request, Response, header};

use super::context::{Caller, Context};
use crate::record::{Encoder, Loggable};

/// The request-id header read and echoed.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

const MAX_USER_AGENT: usize = 512;

/// A tower layer that runs every request in a caller scope. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub struct CallerLayer {
    trusted: Arc<Vec<(IpAddr, u8)>>,
}

impl CallerLayer {
    /// A layer that trusts no proxy: the recorded IP is always the peer's.
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts forwarding headers from this proxy address.
    #[must_use]
    pub fn trust_proxy(self, ip: IpAddr) -> Self {
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        self.trust_network(ip, bits)
    }

    /// Trusts forwarding headers from every address in `network/prefix_len`
    /// (e.g. `10.0.0.0/8`).
    #[must_use]
    pub fn trust_network(mut self, network: IpAddr, prefix_len: u8) -> Self {
        Arc::make_mut(&mut self.trusted).push((network, prefix_len));
        self
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted
            .iter()
            .any(|&(net, len)| in_network(ip, net, len))
    }

    /// The client's address: the peer, or — only when the peer is a trusted proxy — the
    /// right-most forwarded address that is not a trusted proxy.
    pub fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.is_trusted(peer) {
            return peer;
        }
        let hops = forwarded_for(headers).or_else(|| x_forwarded_for(headers));
        let Some(hops) = hops else { return peer };
        let mut client = peer;
        for hop in hops.iter().rev() {
            match hop {
                Some(ip) => {
                    client = *ip;
                    if !self.is_trusted(*ip) {
                        break;
                    }
                }
                // An unreadable hop: nothing left of it can be trusted.
                None => break,
            }
        }
        client
    }
}

fn in_network(ip: IpAddr, net: IpAddr, len: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            let len = u32::from(len.min(32));
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) => {
            let len = u32::from(len.min(128));
            let mask = if len == 0 {
                0
            } else {
                u128::MAX << (128 - len)
            };
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// The `for=` addresses of every `Forwarded` header, in order; `None` for one that is not an
/// IP address (`unknown`, an obfuscated name).
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all(header::FORWARDED) {
        let Ok(value) = value.to_str() else {
            hops.push(None);
            continue;
        };
        for element in value.split(',') {
            for pair in element.split(';') {
                let Some((k, v)) = pair.trim().split_once('=') else {
                    continue;
                };
                if k.trim().eq_ignore_ascii_case("for") {
                    hops.push(parse_node(v.trim().trim_matches('"')));
                }
            }
        }
    }
    (!hops.is_empty()).then_some(hops)
}

fn x_forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all("x-forwarded-for") {
        match value.to_str() {
            Ok(v) => hops.extend(v.split(',').map(|h| parse_node(h.trim()))),
            Err(_) => hops.push(None),
        }
    }
    (!hops.is_empty()).then_some(hops)
}

/// `1.2.3.4`, `1.2.3.4:80`, `2001:db8::1`, `[2001:db8::1]:4711`.
fn parse_node(s: &str) -> Option<IpAddr> {
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .or_else(|| {
            s.strip_prefix('[')
                .and_then(|r| r.strip_suffix(']'))
                .and_then(|r| r.parse().ok())
        })
}

fn well_formed_request_id(v: &HeaderValue) -> Option<&str> {
    let s = v.to_str().ok()?;
    let ok = (1..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    ok.then_some(s)
}

/// A new request id: 32 hex digits, unique per process and unpredictable across processes.
fn new_request_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    thread_local! {
        static STATE: RandomState = RandomState::new();
    }
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let (a, b) = STATE.with(|s| {
        let mut h1 = s.build_hasher();
        h1.write_u64(n);
        let mut h2 = s.build_hasher();
        h2.write_u64(!n);
        (h1.finish(), h2.finish())
    });
    format!("{a:016x}{b:016x}")
}

impl<S> tower_layer::Layer<S> for CallerLayer {
    type Service = CallerService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CallerService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service made by [`CallerLayer`].
#[derive(Clone, Debug)]
pub struct CallerService<S> {
    inner: S,
    layer: CallerLayer,
}

impl<S, ReqBody, ResBody> tower_service::Service<Request<ReqBody>> for CallerService<S>
where
    S: tower_service::Service<Request<ReqBody>, Response = Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ResBody>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<ReqBody>) -> Self::Future {
        let headers = req.headers();
        let mut caller = Caller::new();
        if let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>() {
            caller.set_ip(self.layer.client_ip(peer.ip(), headers));
        }
        if let Some(ua) = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
        {
            let mut end = ua.len().min(MAX_USER_AGENT);
            while !ua.is_char_boundary(end) {
                end -= 1;
            }
            caller.set_user_agent(&ua[..end]);
        }
        let request_id = headers
            .get(REQUEST_ID_HEADER)
            .and_then(well_formed_request_id)
            .map_or_else(new_request_id, str::to_owned);
        caller.set_request_id(&request_id);

        let context = Context::new(caller);
        let fut = context.run(|| self.inner.call(req));
        let fut = context.wrap(fut);
        Box::pin(async move {
            let mut response = fut.await?;
            if let Ok(v) = HeaderValue::from_str(&request_id) {
                response.headers_mut().insert(REQUEST_ID_HEADER, v);
            }
            Ok(response)
        })
    }
}

macro_rules! loggable_extractor {
    ($($t:ident),*) => {$(
        /// Recorded as the value it holds.
        impl<T: Loggable> Loggable for ::axum::extract::$t<T> {
            fn log(&self, out: &mut Encoder<'_>) {
                out.value(&self.0)
            }
        }
    )*};
}
loggable_extractor!(Path, Query, Form, ConnectInfo);

/// Recorded as the value it holds.
impl<T: Loggable> Loggable for ::axum::Json<T> {
    fn log(&self, out: &mut Encoder<'_>) {
        out.value(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let layer = CallerLayer::new()
            .trust_proxy(ip("10.0.0.5"))
            .trust_network(ip("192.168.0.0"), 16);
        let spoof = headers(&[("x-forwarded-for", "6.6.6.6")]);
        assert_eq!(
            layer.client_ip(ip("203.0.113.9"), &spoof),
            ip("203.0.113.9")
        );
        assert_eq!(layer.client_ip(ip("10.0.0.5"), &spoof), ip("6.6.6.6"));

        // The client prepends a forged hop: the right-most untrusted address wins.
        let chain = headers(&[("x-forwarded-for", "1.1.1.1, 198.51.100.7, 192.168.3.4")]);
        assert_eq!(layer.client_ip(ip("10.0.0.5"), &chain), ip("198.51.100.7"));

        let fwd = headers(&[(
            "forwarded",
            "for=1.1.1.1, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(layer.client_ip(ip("10.0.0.5"), &fwd), ip("2001:db8::7"));

        let junk = headers(&[("x-forwarded-for", "not-an-ip, 192.168.1.1")]);
        assert_eq!(layer.client_ip(ip("10.0.0.5"), &junk), ip("192.168.1.1"));
        assert_eq!(
            layer.client_ip(ip("10.0.0.5"), &HeaderMap::new()),
            ip("10.0.0.5")
        );
    }

    #[test]
    fn request_ids() {
        assert_eq!(
            well_formed_request_id(&HeaderValue::from_static("r-91.a_b:c")),
            Some("r-91.a_b:c")
        );
        assert_eq!(
            well_formed_request_id(&HeaderValue::from_static("a b")),
            None
        );
        let long = "x".repeat(129);
        assert_eq!(
            well_formed_request_id(&HeaderValue::from_str(&long).unwrap()),
            None
        );
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
    }
}
