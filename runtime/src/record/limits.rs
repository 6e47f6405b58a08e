//! Size limits that keep one record bounded whatever the input.

/// Size limits that keep one record bounded whatever the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A longer string is cut on a character boundary and marked `…[truncated from N bytes]`.
    /// Default 4096.
    pub max_string_bytes: usize,
    /// A longer collection keeps its first items and ends with a `…[truncated from N items]`
    /// mark. Default 256.
    pub max_items: usize,
    /// Values nested deeper are written as `"[depth limit]"`. Default 32.
    pub max_depth: usize,
    /// Once a record holds this many bytes, further values are written as
    /// `"[record size limit]"`: many strings at their limit cannot add up to a huge line.
    /// Default 65536.
    pub max_record_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_string_bytes: 4096,
            max_items: 256,
            max_depth: 32,
            max_record_bytes: 64 * 1024,
        }
    }
}
