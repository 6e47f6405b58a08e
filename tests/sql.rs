//! SQL by shape.
