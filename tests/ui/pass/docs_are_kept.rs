//! A crate that denies missing docs: the wrapped function keeps its doc comment.
#![deny(missing_docs)]

/// Adds two numbers.
#[seclog::security_logged]
pub fn add(a: u32, b: u32) -> u32 {
    a + b
}

fn main() {
    assert_eq!(add(1, 2), 3);
}
