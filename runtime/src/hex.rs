//! Lower-case hex, the one text form of keys, MACs and pseudonyms.

const DIGITS: &[u8; 16] = b"0123456789abcdef";

/// `bytes` as lower-case hex.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut s = Vec::with_capacity(bytes.len() * 2);
    encode_into(bytes, &mut s);
    String::from_utf8(s).expect("hex digits are ASCII")
}

/// Appends `bytes` as lower-case hex to `out`: a record's seal is written this way, without
/// an intermediate string.
pub(crate) fn encode_into(bytes: &[u8], out: &mut Vec<u8>) {
    let from = out.len();
    out.resize(from + bytes.len() * 2, 0);
    for (pair, b) in out[from..].chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0xf)];
    }
}

/// The bytes of hex text (either case), or `None` if it is not an even number of hex digits.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// 32 bytes from exactly 64 hex digits.
///
/// Without a branch per digit: MACs are random, so a branch on digit or letter would be
/// mispredicted about every third digit, which costs more than the hashing of a short record.
pub(crate) fn decode32(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0; 32];
    let mut bad = 0u8;
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        let (hi, lo) = (VALUE[usize::from(pair[0])], VALUE[usize::from(pair[1])]);
        bad |= hi | lo;
        *byte = hi << 4 | (lo & 0x0f);
    }
    (bad & 0xf0 == 0).then_some(out)
}

/// Whether `text` is all lower-case hex digits, without a branch per digit (see [`decode32`]).
pub(crate) fn is_lower(text: &[u8]) -> bool {
    let bad = text.iter().fold(0u8, |bad, &b| {
        // Upper-case letters are digits to `VALUE`, but not in a MAC.
        bad | VALUE[usize::from(b)] | u8::from(b.is_ascii_uppercase()) << 4
    });
    bad & 0xf0 == 0
}

/// Each byte's value as a hex digit (either case), or `0xff`.
static VALUE: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => 0xff,
        };
        c += 1;
    }
    t
};

fn digit(c: u8) -> Option<u8> {
    let v = VALUE[usize::from(c)];
    (v != 0xff).then_some(v)
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trips() {
        assert_eq!(super::encode(&[0, 0xab, 0xff]), "00abff");
        assert_eq!(super::decode(b"00ABff"), Some(vec![0, 0xab, 0xff]));
        assert_eq!(super::decode(b"0"), None);
        assert_eq!(super::decode(b"zz"), None);
        assert_eq!(super::decode32(&[b'1'; 64]), Some([0x11; 32]));
        assert_eq!(super::decode32(&[b'1'; 62]), None);
    }
}
