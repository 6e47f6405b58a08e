//! A prefilter for short strings (names, statuses, ids): whether a string may hold one of the
//! short rules' keywords, judged by their first two to four bytes, ASCII case folded as the
//! keyword automata fold them.
//!
//! Setting up an automaton's search costs more than a short string's whole scan should: a
//! table lookup per byte says "none of the keywords" for almost every such string, and a
//! string it lets through is searched as before. It never turns a keyword away: every
//! keyword's prefix is in the tables, and a collision only lets a string through.

/// Bits of the hash of a keyword's prefix that index [`Grams::prefixes`].
const PREFIX_BITS: u32 = 16;
/// The longest prefix of a keyword looked up.
const MAX_PREFIX: usize = 4;

pub(super) struct Grams {
    /// A bit per pair of folded bytes a keyword starts with.
    gate: Box<[u64]>,
    /// A bit per hash of a keyword's prefix of `min(len, 4)` bytes.
    prefixes: Box<[u64]>,
    /// A keyword shorter than two bytes: every string may hold it.
    everything: bool,
}

impl Grams {
    pub(super) fn new<'a>(keywords: impl IntoIterator<Item = &'a str>) -> Self {
        let mut g = Grams {
            gate: vec![0; (1 << 16) / 64].into_boxed_slice(),
            prefixes: vec![0; (1 << PREFIX_BITS) / 64].into_boxed_slice(),
            everything: false,
        };
        for k in keywords {
            let k = k.as_bytes();
            if k.len() < 2 {
                g.everything = true;
                continue;
            }
            let prefix = &k[..k.len().min(MAX_PREFIX)];
            let pair = pair(k[0], k[1]);
            g.gate[pair / 64] |= 1 << (pair % 64);
            let slot = prefix_slot(prefix);
            g.prefixes[slot / 64] |= 1 << (slot % 64);
        }
        g
    }

    /// `false` only when `hay` holds none of the keywords.
    #[inline]
    pub(super) fn may_hold(&self, hay: &[u8]) -> bool {
        if self.everything {
            return true;
        }
        for i in 0..hay.len().saturating_sub(1) {
            let pair = pair(hay[i], hay[i + 1]);
            if self.gate[pair / 64] & (1 << (pair % 64)) == 0 {
                continue;
            }
            for n in 2..=MAX_PREFIX {
                if i + n <= hay.len() {
                    let slot = prefix_slot(&hay[i..i + n]);
                    if self.prefixes[slot / 64] & (1 << (slot % 64)) != 0 {
                        return true;
                    }
                }
            }
        }
        false
    }
}

#[inline]
fn pair(a: u8, b: u8) -> usize {
    usize::from(a.to_ascii_lowercase()) << 8 | usize::from(b.to_ascii_lowercase())
}

#[inline]
fn prefix_slot(prefix: &[u8]) -> usize {
    let mut h = prefix.len() as u64;
    for &b in prefix {
        h = h << 8 | u64::from(b.to_ascii_lowercase());
    }
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - PREFIX_BITS)) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_keyword_in_any_case_and_place() {
        let keywords = ["==", "key", "AKIA", "bearer", "-u"];
        let g = Grams::new(keywords);
        for k in keywords {
            for text in [
                k.to_owned(),
                format!("x{k}"),
                format!("ab {} cd", k.to_ascii_uppercase()),
                format!("{}z", k.to_ascii_lowercase()),
            ] {
                assert!(g.may_hold(text.as_bytes()), "{text:?}");
            }
        }
    }

    #[test]
    fn turns_away_text_without_them() {
        let g = Grams::new(["key", "AKIA", "bearer"]);
        for text in [
            "alice",
            "accepted",
            "hello world",
            "",
            "k",
            "ke",
            "AKI",
            "bea",
        ] {
            assert!(!g.may_hold(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn a_one_byte_keyword_lets_everything_through() {
        assert!(Grams::new(["@", "key"]).may_hold(b"alice"));
    }
}
