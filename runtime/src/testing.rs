//! Capturing records in tests.
//!
//! [`capture`] and [`capture_future`] collect the records emitted inside them, each parsed
//! from exactly the bytes a sink would have received. Capture is scoped to the current thread
//! (and, for a future, to its polls), so tests running in parallel never see each other's
//! records. Records emitted by other threads or spawned tasks are not captured.
//!
//! ```
//! #[seclog::security_logged]
//! fn add(a: u32, b: u32) -> u32 {
//!     a + b
//! }
//!
//! let (sum, records) = seclog::testing::capture(|| add(2, 3));
//! assert_eq!(sum, 5);
//! assert_eq!(records.len(), 1);
//! assert_eq!(records[0]["inputs"]["a"], 2);
//! assert_eq!(records[0]["output"], 5);
//! ```

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use serde_json::Value;

thread_local! {
    static STACK: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

#[inline]
pub(crate) fn capturing() -> bool {
    DEPTH.try_with(|d| d.get() > 0).unwrap_or(false)
}

/// Appends one record to the innermost capture of this thread.
pub(crate) fn record(write: impl FnOnce(&mut Vec<u8>)) {
    let _ = STACK.try_with(|s| {
        if let Some(top) = s.borrow_mut().last_mut() {
            write(top);
        }
    });
}

/// A capture scope on this thread; popped on drop, even when the code inside panics.
struct Frame {
    open: bool,
}

impl Frame {
    fn enter(buf: Vec<u8>) -> Self {
        STACK.with(|s| s.borrow_mut().push(buf));
        DEPTH.with(|d| d.set(d.get() + 1));
        Frame { open: true }
    }

    fn exit(mut self) -> Vec<u8> {
        self.open = false;
        Self::pop()
    }

    fn pop() -> Vec<u8> {
        DEPTH.with(|d| d.set(d.get() - 1));
        STACK.with(|s| s.borrow_mut().pop()).unwrap_or_default()
    }
}

impl Drop for Frame {
    fn drop(&mut self) {
        if self.open {
            Self::pop();
        }
    }
}

/// Runs `f` and returns its result with the records emitted on this thread meanwhile.
///
/// # Panics
/// If a record is not exactly one line of valid JSON (which would be a bug in seclog).
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Value>) {
    let frame = Frame::enter(Vec::new());
    let out = f();
    let bytes = frame.exit();
    (out, parse_records(&bytes))
}

/// Awaits `fut` and returns its output with the records it emitted while being polled.
///
/// ```
/// # async fn demo() {
/// #[seclog::security_logged]
/// async fn fetch(id: u64) -> u64 {
///     id * 2
/// }
///
/// let (v, records) = seclog::testing::capture_future(fetch(21)).await;
/// assert_eq!(v, 42);
/// assert_eq!(records[0]["outcome"], "success");
/// # }
/// ```
pub fn capture_future<F: Future>(fut: F) -> CaptureFuture<F> {
    CaptureFuture {
        fut: Box::pin(fut),
        buf: Some(Vec::new()),
    }
}

/// The future returned by [`capture_future`].
#[must_use = "futures do nothing unless awaited"]
pub struct CaptureFuture<F: Future> {
    fut: Pin<Box<F>>,
    buf: Option<Vec<u8>>,
}

impl<F: Future> Future for CaptureFuture<F> {
    type Output = (F::Output, Vec<Value>);

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let frame = Frame::enter(this.buf.take().unwrap_or_default());
        let poll = this.fut.as_mut().poll(cx);
        let bytes = frame.exit();
        match poll {
            Poll::Ready(out) => Poll::Ready((out, parse_records(&bytes))),
            Poll::Pending => {
                this.buf = Some(bytes);
                Poll::Pending
            }
        }
    }
}

/// Splits captured bytes into records, checking each is one line of valid JSON.
fn parse_records(bytes: &[u8]) -> Vec<Value> {
    let mut records = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or_else(|| panic!("seclog::testing: a record does not end in a newline"));
        let line = &rest[..end];
        if let Some(b) = line.iter().find(|&&b| b < 0x20 || b == 0x7f) {
            panic!("seclog::testing: a record holds the raw control byte {b:#04x}");
        }
        let value: Value = serde_json::from_slice(line).unwrap_or_else(|e| {
            panic!(
                "seclog::testing: a record is not valid JSON ({e}): {}",
                String::from_utf8_lossy(line)
            )
        });
        assert!(
            value.is_object(),
            "seclog::testing: a record is not a JSON object"
        );
        records.push(value);
        rest = &rest[end + 1..];
    }
    records
}
