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
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.extend_from_slice(&[DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0xf)]]);
    }
}

/// The bytes of hex text (either case), or `None` if it is not an even number of hex digits.
pub(crate) fn decode(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// 32 bytes from exactly 64 hex digits.
pub(crate) fn decode32(text: &[u8]) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0; 32];
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = digit(pair[0])? << 4 | digit(pair[1])?;
    }
    Some(out)
}

fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
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
