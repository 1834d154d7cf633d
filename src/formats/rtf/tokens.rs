//! RTF tokens: groups, control words with their numeric parameter, control symbols,
//! `\'xx` bytes and plain text. `\binN` data is handed over whole so that no byte of it
//! is read as syntax.

/// One token of an RTF stream.
#[derive(Debug, Clone, PartialEq)]
pub enum Token<'a> {
    Open,
    Close,
    /// `\word` or `\wordN` (the parameter as written, `-N` allowed).
    Word(&'a str, Option<i32>),
    /// `\` and one non-letter (`\~`, `\*`, `\{`, `\\`, …).
    Symbol(u8),
    /// `\'xx`: one byte in the current code page.
    Byte(u8),
    /// `\binN` and its N bytes.
    Binary(&'a [u8]),
    /// A run of text bytes (no line ends: they carry no meaning in RTF).
    Text(&'a [u8]),
}

pub struct Tokens<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Tokens<'a> {
    pub fn new(data: &'a [u8]) -> Tokens<'a> {
        Tokens { data, pos: 0 }
    }

    fn control(&mut self) -> Option<Token<'a>> {
        let d = self.data;
        // self.pos is just past the backslash.
        let c = *d.get(self.pos)?;
        if c.is_ascii_alphabetic() {
            let start = self.pos;
            while self.pos < d.len() && d[self.pos].is_ascii_alphabetic() && self.pos - start < 32 {
                self.pos += 1;
            }
            let word = std::str::from_utf8(&d[start..self.pos]).unwrap_or("");
            let num_start = self.pos;
            if self.pos < d.len() && d[self.pos] == b'-' {
                self.pos += 1;
            }
            while self.pos < d.len() && d[self.pos].is_ascii_digit() && self.pos - num_start < 11 {
                self.pos += 1;
            }
            let param = std::str::from_utf8(&d[num_start..self.pos])
                .ok()
                .and_then(|s| s.parse::<i64>().ok())
                .map(|v| v.clamp(i32::MIN as i64, i32::MAX as i64) as i32);
            // One space after a control word is its delimiter, not text.
            if self.pos < d.len() && d[self.pos] == b' ' {
                self.pos += 1;
            }
            if word == "bin" {
                let n = param.unwrap_or(0).max(0) as usize;
                let end = self.pos.saturating_add(n).min(d.len());
                let bytes = &d[self.pos..end];
                self.pos = end;
                return Some(Token::Binary(bytes));
            }
            return Some(Token::Word(word, param));
        }
        self.pos += 1;
        if c == b'\'' {
            let hex = d.get(self.pos..self.pos + 2)?;
            let v = std::str::from_utf8(hex)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match v {
                Some(b) => {
                    self.pos += 2;
                    return Some(Token::Byte(b));
                }
                None => return Some(Token::Symbol(b'\'')),
            }
        }
        // `\` before a line end is a paragraph break, as `\par`.
        if c == b'\n' || c == b'\r' {
            return Some(Token::Word("par", None));
        }
        Some(Token::Symbol(c))
    }
}

impl<'a> Iterator for Tokens<'a> {
    type Item = Token<'a>;

    fn next(&mut self) -> Option<Token<'a>> {
        let d = self.data;
        loop {
            let c = *d.get(self.pos)?;
            match c {
                b'{' => {
                    self.pos += 1;
                    return Some(Token::Open);
                }
                b'}' => {
                    self.pos += 1;
                    return Some(Token::Close);
                }
                b'\\' => {
                    self.pos += 1;
                    match self.control() {
                        Some(t) => return Some(t),
                        None => continue,
                    }
                }
                b'\r' | b'\n' => {
                    self.pos += 1;
                    continue;
                }
                _ => {
                    let start = self.pos;
                    while self.pos < d.len()
                        && !matches!(d[self.pos], b'{' | b'}' | b'\\' | b'\r' | b'\n')
                    {
                        self.pos += 1;
                    }
                    return Some(Token::Text(&d[start..self.pos]));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_symbols_bytes_and_text() {
        let toks: Vec<Token> =
            Tokens::new(b"{\\rtf1\\ansicpg936 \\'b9\\'fa a\\u-3000?\\~\\bin2 {}x}").collect();
        assert_eq!(
            toks,
            vec![
                Token::Open,
                Token::Word("rtf", Some(1)),
                Token::Word("ansicpg", Some(936)),
                Token::Byte(0xb9),
                Token::Byte(0xfa),
                Token::Text(b" a"),
                Token::Word("u", Some(-3000)),
                Token::Text(b"?"),
                Token::Symbol(b'~'),
                Token::Binary(b"{}"),
                Token::Text(b"x"),
                Token::Close,
            ]
        );
    }
}
