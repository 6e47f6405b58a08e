//! Names encoded as JSON object keys at compile time, so that generated code writes them as
//! constant bytes.

/// `"name":` — every character outside printable ASCII (and `"` / `\`) is `\u` escaped, so
/// the key is inert whatever identifier characters it holds.
pub fn key(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 3);
    out.push('"');
    for c in name.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push_str("\":");
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_keys() {
        assert_eq!(super::key("user_id"), "\"user_id\":");
        assert_eq!(super::key("naïve\u{200d}"), "\"na\\u00efve\\u200d\":");
        assert_eq!(super::key("😀"), "\"\\ud83d\\ude00\":");
    }
}
