//! SQL statements logged by shape only: every literal replaced by `?`.
//!
//! A statement's shape says what the code did — which tables, which columns, which kind of
//! query — without the values in it, which are exactly what must not reach a log (an e-mail
//! in a `WHERE`, a password hash in an `UPDATE`). Put `#[sql]` on a statement parameter of a
//! `#[security_logged]` function to record its shape.
//!
//! ```
//! assert_eq!(
//!     seclog::sql::shape("SELECT * FROM users WHERE name = 'alice' AND id IN (1, 2, 3)"),
//!     "SELECT * FROM users WHERE name = ? AND id IN (?)"
//! );
//! ```
//!
//! What becomes `?`: single-quoted strings (with `''` and backslash escapes), PostgreSQL
//! `E'..'`, `U&'..'` and dollar-quoted strings (`$$..$$`, `$tag$..$tag$`), `N'..'`, hex and bit
//! literals (`0xFF`, `X'AB'`, `B'01'`), numbers, `TRUE` / `FALSE` — and **double-quoted text,
//! always**: MySQL reads it as a string, so it is treated as one even though PostgreSQL and
//! SQLite read it as an identifier (a shape loses a quoted identifier rather than risk a
//! value). A unary minus stays: `x = -5` becomes `x = -?`. Kept as they are: keywords,
//! identifiers (also `` `quoted` `` and `[bracketed]`), operators, `NULL`, and placeholders
//! (`?`, `$1`, `:name`, `@p1`).
//!
//! Comments (`-- ..`, `# ..`, `/* .. */`, nested) are dropped, whitespace runs become one space,
//! `IN (?, ?, ?)` becomes `IN (?)`, and the rows of a multi-row `VALUES (..), (..)` become the
//! first one, so a bulk insert has a short shape. Anything unterminated (a string, a quoted
//! identifier, a comment) turns into `?` to the end. The shape is at most 4096 bytes.
//!
//! A bare word right after a credential keyword — `PASSWORD`, `IDENTIFIED BY`, `SECRET`, and
//! `REPLACE` after `IDENTIFIED BY` (so also `ENCRYPTION PASSWORD`, `WITH PASSWORD`, `PASSWORD =`)
//! — is a literal too: `CREATE USER u PASSWORD Password1` becomes `CREATE USER u PASSWORD ?`.
//! Keywords (`PASSWORD EXPIRE`, `password TEXT`), qualified columns (`t.password`) and
//! function calls stay.
//!
//! **Two readings of a backslash.** MySQL reads `\'` inside a string as an escaped quote;
//! PostgreSQL's standard strings, SQLite, SQL Server and Oracle read the backslash as a
//! character and the quote as the end. A statement does not say where it is sent, so a
//! statement with a backslash is read both ways, and when the readings disagree, every byte
//! that either of them calls a literal is hidden: `WHERE path = 'C:\' AND token = 'tok'`
//! becomes `WHERE path = ?`. Structure is lost after such a string, never a value.

use crate::record::Invocation;

/// The longest shape returned, in bytes; a longer one is cut and ends with `…`.
pub const MAX_SHAPE_BYTES: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    /// Kept verbatim: a word, an identifier, an operator, a placeholder.
    Text(&'a str),
    Space,
    /// A literal, written `?`.
    Lit,
    Open,
    Close,
    Comma,
}

/// The shape of a SQL statement: literals replaced by `?`, comments dropped. See the
/// [module docs](self).
pub fn shape(sql: &str) -> String {
    let tokens = collapse_values(collapse_in_lists(hide_bare_secrets(read(sql))));
    let mut out = String::with_capacity(sql.len().min(MAX_SHAPE_BYTES));
    let mut pending_space = false;
    for tok in tokens {
        if tok == Tok::Space {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        match tok {
            Tok::Text(t) => out.push_str(t),
            Tok::Lit => out.push('?'),
            Tok::Open => out.push('('),
            Tok::Close => out.push(')'),
            Tok::Comma => out.push(','),
            Tok::Space => {}
        }
        if out.len() > MAX_SHAPE_BYTES {
            let mut end = MAX_SHAPE_BYTES;
            while !out.is_char_boundary(end) {
                end -= 1;
            }
            out.truncate(end);
            out.push('…');
            break;
        }
    }
    out
}

/// Tokenizes `sql` so that nothing either reading of a backslash calls a literal is kept.
///
/// MySQL reads `\'` inside a string as an escaped quote; PostgreSQL (standard strings),
/// SQLite, SQL Server and Oracle read the backslash as a character and the quote as the end.
/// The statement alone does not say which server it goes to, so it is read both ways; when the
/// readings disagree, every byte that is inside a literal in either of them is hidden.
fn read(sql: &str) -> Vec<Tok<'_>> {
    let escaped = Tokenizer::new(sql, true, &[]).run();
    if !sql.contains('\\') {
        return escaped.toks;
    }
    let standard = Tokenizer::new(sql, false, &[]).run();
    if standard.lits == escaped.lits {
        return escaped.toks;
    }
    let merged = union(escaped.lits, standard.lits);
    Tokenizer::new(sql, true, &merged).run().toks
}

/// The union of two sets of byte ranges, sorted and with overlapping ranges joined.
fn union(mut a: Vec<(usize, usize)>, b: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    a.extend(b);
    a.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(a.len());
    for (s, e) in a {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

struct Tokens<'a> {
    toks: Vec<Tok<'a>>,
    /// The byte range of every literal, in order.
    lits: Vec<(usize, usize)>,
}

struct Tokenizer<'a, 'f> {
    sql: &'a str,
    /// Whether a backslash escapes the next character in a plain quoted string.
    escapes: bool,
    /// Byte ranges that are literals whatever this reading says (sorted, disjoint).
    forced: &'f [(usize, usize)],
    next_forced: usize,
    out: Tokens<'a>,
}

impl<'a, 'f> Tokenizer<'a, 'f> {
    fn new(sql: &'a str, escapes: bool, forced: &'f [(usize, usize)]) -> Self {
        Tokenizer {
            sql,
            escapes,
            forced,
            next_forced: 0,
            out: Tokens {
                toks: Vec::new(),
                lits: Vec::new(),
            },
        }
    }

    /// The end of a forced range that `start..end` overlaps (the last of several), if any.
    fn forced_end(&mut self, start: usize, end: usize) -> Option<usize> {
        while self
            .forced
            .get(self.next_forced)
            .is_some_and(|&(_, e)| e <= start)
        {
            self.next_forced += 1;
        }
        let mut until = None;
        let mut end = end;
        while let Some(&(s, e)) = self.forced.get(self.next_forced) {
            if s >= end {
                break;
            }
            end = end.max(e);
            until = Some(end);
            self.next_forced += 1;
        }
        until
    }

    /// Pushes a literal `start..end`; returns where the next token starts.
    fn lit(&mut self, start: usize, end: usize) -> usize {
        let end = self.forced_end(start, end).unwrap_or(end);
        self.out.toks.push(Tok::Lit);
        self.out.lits.push((start, end));
        end
    }

    /// Pushes `tok` for `start..end`, or a literal if it overlaps a forced range.
    fn tok(&mut self, tok: Tok<'a>, start: usize, end: usize) -> usize {
        if self.forced.is_empty() {
            self.out.toks.push(tok);
            return end;
        }
        let saved = self.next_forced;
        if self.forced_end(start, end).is_some() {
            self.next_forced = saved;
            return self.lit(start, end);
        }
        self.out.toks.push(tok);
        end
    }

    fn text(&mut self, start: usize, end: usize) -> usize {
        let sql = self.sql;
        self.tok(Tok::Text(&sql[start..end]), start, end)
    }

    fn run(mut self) -> Tokens<'a> {
        let sql = self.sql;
        let bytes = sql.as_bytes();
        let mut i = 0;
        while i < sql.len() {
            let c = sql[i..].chars().next().unwrap_or('\0');
            let next = |k: usize| bytes.get(i + k).copied().unwrap_or(0);
            i = if c.is_whitespace() {
                self.tok(Tok::Space, i, i + c.len_utf8())
            } else if (c == '-' && next(1) == b'-') || (c == '#' && !matches!(next(1), b'>' | b'-'))
            {
                // `-- ..` and MySQL's `# ..` (not PostgreSQL's `#>` / `#-` operators).
                self.tok(Tok::Space, i, line_end(bytes, i))
            } else if c == '/' && next(1) == b'*' {
                self.tok(Tok::Space, i, block_comment_end(bytes, i))
            } else if c == '\'' || c == '"' {
                let end = quoted_end(bytes, i, c as u8, self.escapes);
                self.lit(i, end)
            } else if c == '`' {
                match find_byte(bytes, i + 1, b'`') {
                    Some(end) => self.text(i, end + 1),
                    None => self.lit(i, sql.len()),
                }
            } else if c == '[' && sql[i + 1..].chars().next().is_some_and(is_word_start) {
                match find_byte(bytes, i + 1, b']') {
                    Some(end) if sql[i + 1..end].chars().all(|c| is_word_char(c) || c == ' ') => {
                        self.text(i, end + 1)
                    }
                    _ => self.text(i, i + 1),
                }
            } else if c == '$' {
                self.dollar(i)
            } else if c.is_ascii_digit() || (c == '.' && next(1).is_ascii_digit()) {
                self.lit(i, number_end(bytes, i))
            } else if is_word_start(c) {
                self.word(i)
            } else if c == '(' {
                self.tok(Tok::Open, i, i + 1)
            } else if c == ')' {
                self.tok(Tok::Close, i, i + 1)
            } else if c == ',' {
                self.tok(Tok::Comma, i, i + 1)
            } else if c == ':' || c == '@' {
                // `:name`, `@p1` placeholders and `::` casts stay.
                self.text(i, placeholder_end(sql, i))
            } else {
                self.text(i, i + c.len_utf8())
            };
        }
        self.out
    }

    /// A word at `i`: a keyword or identifier, `TRUE` / `FALSE`, or the prefix of a string
    /// (`E'..'`, `N'..'`, `X'..'`, `B'..'`, `U&'..'`).
    fn word(&mut self, i: usize) -> usize {
        let sql = self.sql;
        let bytes = sql.as_bytes();
        let mut end = i;
        for (k, ch) in sql[i..].char_indices() {
            if !is_word_char(ch) {
                break;
            }
            end = i + k + ch.len_utf8();
        }
        let word = &sql[i..end];
        let quote = bytes.get(end).copied();
        if quote == Some(b'\'') && word.eq_ignore_ascii_case("E") {
            // PostgreSQL's escape strings honour backslashes in every reading.
            self.lit(i, quoted_end(bytes, end, b'\'', true))
        } else if quote == Some(b'\'')
            && matches!(word.to_ascii_uppercase().as_str(), "N" | "X" | "B")
        {
            let close = quoted_end(bytes, end, b'\'', self.escapes);
            self.lit(i, close)
        } else if word.eq_ignore_ascii_case("U") && sql[end..].starts_with("&'") {
            let close = quoted_end(bytes, end + 1, b'\'', self.escapes);
            self.lit(i, close)
        } else if word.eq_ignore_ascii_case("true") || word.eq_ignore_ascii_case("false") {
            self.lit(i, end)
        } else {
            self.text(i, end)
        }
    }

    /// At a `$`: a positional parameter (`$1`), a dollar-quoted string (`$$..$$`,
    /// `$tag$..$tag$`), or a lone `$`.
    fn dollar(&mut self, i: usize) -> usize {
        let sql = self.sql;
        let bytes = sql.as_bytes();
        let mut j = i + 1;
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            while bytes.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            return self.text(i, j);
        }
        while bytes
            .get(j)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
        {
            j += 1;
        }
        if bytes.get(j) != Some(&b'$') {
            return self.spaced_tag(i).unwrap_or_else(|| self.text(i, i + 1));
        }
        let tag = &sql[i..=j];
        let end = match sql[j + 1..].find(tag) {
            Some(p) => j + 1 + p + tag.len(),
            None => sql.len(),
        };
        self.lit(i, end)
    }

    /// A malformed tag with spaces, `$some tag$..$some tag$`: servers reject it, but what it
    /// quotes reads as a value, so it is one literal when its closing tag follows.
    fn spaced_tag(&mut self, i: usize) -> Option<usize> {
        let sql = self.sql;
        let bytes = sql.as_bytes();
        let close = i + 1 + bytes[i + 1..].iter().take(64).position(|&b| b == b'$')?;
        let inner = &bytes[i + 1..close];
        if !inner.contains(&b' ')
            || !inner
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b' '))
        {
            return None;
        }
        let tag = &sql[i..=close];
        let end = close + 1 + sql[close + 1..].find(tag)? + tag.len();
        Some(self.lit(i, end))
    }
}

/// End of `:name`, `::`, `@p1`, `@@x`: the sigils, then a word.
fn placeholder_end(sql: &str, start: usize) -> usize {
    let sigil = sql.as_bytes()[start];
    let mut end = start;
    while sql.as_bytes().get(end) == Some(&sigil) {
        end += 1;
    }
    // A name starts with a letter: `:3` in `arr[2:3]` is a slice bound, a literal.
    if !sql[end..].chars().next().is_some_and(is_word_start) {
        return end;
    }
    for ch in sql[end..].chars() {
        if !is_word_char(ch) {
            break;
        }
        end += ch.len_utf8();
    }
    end
}

fn find_byte(bytes: &[u8], from: usize, b: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&x| x == b)
        .map(|p| from + p)
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    find_byte(bytes, from, b'\n').unwrap_or(bytes.len())
}

/// The end of a (nested) block comment starting at `from`, or the end of input.
fn block_comment_end(bytes: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut i = from;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The end (exclusive) of a string opened by the quote at `open`, honouring doubled quotes and,
/// when `escapes`, backslash escapes; the end of input when unterminated.
fn quoted_end(bytes: &[u8], open: usize, quote: u8, escapes: bool) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        let b = bytes[i];
        if escapes && b == b'\\' {
            i += 2;
        } else if b == quote {
            if bytes.get(i + 1) == Some(&quote) {
                i += 2;
            } else {
                return i + 1;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// A number: digits, a fraction, an exponent, or `0x..` / `0b..`; one literal.
fn number_end(bytes: &[u8], from: usize) -> usize {
    let mut i = from;
    if bytes[i] == b'0' && matches!(bytes.get(i + 1), Some(b'x' | b'X' | b'b' | b'B')) {
        i += 2;
        while bytes.get(i).is_some_and(u8::is_ascii_alphanumeric) {
            i += 1;
        }
        return i;
    }
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_digit() || *b == b'_')
    {
        i += 1;
    }
    if bytes.get(i) == Some(&b'.') {
        i += 1;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
    }
    if matches!(bytes.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(bytes.get(j), Some(b'+' | b'-')) {
            j += 1;
        }
        if bytes.get(j).is_some_and(u8::is_ascii_digit) {
            i = j;
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
    }
    // Letters glued to a number (`1st`, `10ms`) belong to it.
    while bytes
        .get(i)
        .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    {
        i += 1;
    }
    i
}

fn is_word(tok: Option<&Tok<'_>>, word: &str) -> bool {
    matches!(tok, Some(Tok::Text(t)) if t.eq_ignore_ascii_case(word))
}

/// Words after which a bare word is a credential, not a name: `PASSWORD Password1`,
/// `IDENTIFIED BY Password1`, `SECRET s3cr3t` (`ENCRYPTION PASSWORD`, `WITH PASSWORD`, ... end
/// in one of them). `REPLACE` counts only after `IDENTIFIED` in the same statement (Oracle's
/// `IDENTIFIED BY new REPLACE old`): elsewhere it is a function or `CREATE OR REPLACE`.
fn is_secret_keyword(toks: &[Tok<'_>], at: usize, identified: bool) -> bool {
    let Some(Tok::Text(word)) = toks.get(at) else {
        return false;
    };
    // `t.password` is a column.
    let before = prev_non_space(toks, at);
    if matches!(before.map(|b| toks[b]), Some(Tok::Text("."))) {
        return false;
    }
    if word.eq_ignore_ascii_case("PASSWORD") || word.eq_ignore_ascii_case("SECRET") {
        return true;
    }
    if word.eq_ignore_ascii_case("BY") {
        return before.is_some_and(|b| is_word(toks.get(b), "IDENTIFIED"));
    }
    identified && word.eq_ignore_ascii_case("REPLACE")
}

/// Keywords that may follow `PASSWORD` or a `password` column and are never a credential.
const NOT_A_SECRET: &[&str] = &[
    "ACCOUNT",
    "AFTER",
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BIGINT",
    "BINARY",
    "BLOB",
    "BY",
    "BYTEA",
    "CASCADE",
    "CHAR",
    "CHARACTER",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "CONSTRAINT",
    "CURRENT",
    "DEFAULT",
    "DESC",
    "ELSE",
    "END",
    "EXCEPT",
    "EXPIRE",
    "FETCH",
    "FIRST",
    "FOR",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "HISTORY",
    "IDENTIFIED",
    "IN",
    "INNER",
    "INT",
    "INTEGER",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCK",
    "NOT",
    "NULL",
    "NVARCHAR",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "PASSWORD",
    "PRIMARY",
    "REFERENCES",
    "REPLACE",
    "REQUIRE",
    "RETURNING",
    "REUSE",
    "RIGHT",
    "SECRET",
    "SELECT",
    "SET",
    "TEXT",
    "THEN",
    "TO",
    "UNION",
    "UNIQUE",
    "UNLOCK",
    "UNTIL",
    "UPDATE",
    "USING",
    "VALID",
    "VALUES",
    "VARBINARY",
    "VARCHAR",
    "WHEN",
    "WHERE",
    "WITH",
];

fn prev_non_space(toks: &[Tok<'_>], at: usize) -> Option<usize> {
    (0..at).rev().find(|&k| toks[k] != Tok::Space)
}

fn next_non_space(toks: &[Tok<'_>], from: usize) -> Option<usize> {
    (from..toks.len()).find(|&k| toks[k] != Tok::Space)
}

/// A bare word right after a credential keyword (`PASSWORD Password1`) becomes a literal, as
/// a quoted one would: servers take unquoted credentials, and they are still credentials.
fn hide_bare_secrets(mut toks: Vec<Tok<'_>>) -> Vec<Tok<'_>> {
    let mut identified = false;
    for at in 0..toks.len() {
        match toks[at] {
            Tok::Text(";") => identified = false,
            Tok::Text(w) if w.eq_ignore_ascii_case("IDENTIFIED") => identified = true,
            _ => {}
        }
        if !is_secret_keyword(&toks, at, identified) {
            continue;
        }
        // `PASSWORD = Password1` too.
        let Some(mut k) = next_non_space(&toks, at + 1) else {
            continue;
        };
        if toks[k] == Tok::Text("=") {
            match next_non_space(&toks, k + 1) {
                Some(after) => k = after,
                None => continue,
            }
        }
        let Tok::Text(word) = toks[k] else {
            continue;
        };
        let bare = word.chars().next().is_some_and(is_word_start)
            && !NOT_A_SECRET.iter().any(|kw| word.eq_ignore_ascii_case(kw));
        // A function call (`PASSWORD = crypt(..)`) is code.
        let call = next_non_space(&toks, k + 1).is_some_and(|n| toks[n] == Tok::Open);
        if bare && !call {
            toks[k] = Tok::Lit;
        }
    }
    toks
}

/// `IN (?, ?, ?)` → `IN (?)`.
fn collapse_in_lists(toks: Vec<Tok<'_>>) -> Vec<Tok<'_>> {
    let mut out: Vec<Tok<'_>> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        out.push(toks[i]);
        if is_word(toks.get(i), "IN") {
            let mut j = i + 1;
            let skip_space = |j: &mut usize| {
                while toks.get(*j) == Some(&Tok::Space) {
                    *j += 1;
                }
            };
            skip_space(&mut j);
            if toks.get(j) == Some(&Tok::Open) {
                let mut k = j + 1;
                let mut items = 0;
                loop {
                    skip_space(&mut k);
                    if matches!(toks.get(k), Some(Tok::Lit) | Some(Tok::Text("?"))) {
                        items += 1;
                        k += 1;
                    } else {
                        break;
                    }
                    skip_space(&mut k);
                    match toks.get(k) {
                        Some(Tok::Comma) => k += 1,
                        _ => break,
                    }
                }
                if items > 0 && toks.get(k) == Some(&Tok::Close) {
                    if j > i + 1 {
                        out.push(Tok::Space);
                    }
                    out.extend([Tok::Open, Tok::Lit, Tok::Close]);
                    i = k + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// `VALUES (..), (..), (..)` → `VALUES (..)`.
fn collapse_values(toks: Vec<Tok<'_>>) -> Vec<Tok<'_>> {
    let mut out: Vec<Tok<'_>> = Vec::with_capacity(toks.len());
    let mut i = 0;
    while i < toks.len() {
        out.push(toks[i]);
        i += 1;
        if !is_word(out.last(), "VALUES") {
            continue;
        }
        // Copy the first row, then drop `, (..)` rows after it.
        let mut j = i;
        while toks.get(j) == Some(&Tok::Space) {
            j += 1;
        }
        let Some(first_end) = group_end(&toks, j) else {
            continue;
        };
        out.extend_from_slice(&toks[i..first_end]);
        i = first_end;
        loop {
            let mut k = i;
            while toks.get(k) == Some(&Tok::Space) {
                k += 1;
            }
            if toks.get(k) != Some(&Tok::Comma) {
                break;
            }
            k += 1;
            while toks.get(k) == Some(&Tok::Space) {
                k += 1;
            }
            match group_end(&toks, k) {
                Some(end) => i = end,
                None => break,
            }
        }
    }
    out
}

/// The end (exclusive) of the parenthesised group opening at `open`.
fn group_end(toks: &[Tok<'_>], open: usize) -> Option<usize> {
    if toks.get(open) != Some(&Tok::Open) {
        return None;
    }
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate().skip(open) {
        match t {
            Tok::Open => depth += 1,
            Tok::Close => {
                depth -= 1;
                if depth == 0 {
                    return Some(k + 1);
                }
            }
            _ => {}
        }
    }
    None
}

impl Invocation {
    /// Records a `#[sql]` parameter by its shape only (see [`shape`]).
    pub fn input_sql<T: SqlText + ?Sized>(&mut self, key_json: &'static str, sql: &T) {
        self.input_redacted_as(key_json, "sql", &shape(sql.sql_text()));
    }
}

/// SQL text: what a `#[sql]` parameter must be (`&str`, `String`, ...).
#[diagnostic::on_unimplemented(
    message = "`#[sql]` records the shape of SQL text, and `{Self}` is not text",
    label = "not SQL text",
    note = "use `#[sql]` on a `&str` or `String` parameter holding a statement"
)]
pub trait SqlText {
    /// The statement.
    fn sql_text(&self) -> &str;
}

impl SqlText for str {
    fn sql_text(&self) -> &str {
        self
    }
}

impl SqlText for String {
    fn sql_text(&self) -> &str {
        self
    }
}

impl SqlText for std::borrow::Cow<'_, str> {
    fn sql_text(&self) -> &str {
        self
    }
}

impl<T: SqlText + ?Sized> SqlText for &T {
    fn sql_text(&self) -> &str {
        (**self).sql_text()
    }
}

impl<T: SqlText + ?Sized> SqlText for Box<T> {
    fn sql_text(&self) -> &str {
        (**self).sql_text()
    }
}
