use super::*;

#[test]
fn lexer_survives_garbage() {
    let data = b"q 1 0 0 1 0 0 cm ))) <<< ]] [ 1 2 (a\\)b) <414> ] TJ foo 1.2.3 --5 bar BI /W 1 ID \x00\x01 EI Q";
    let mut lex = Lexer { data, pos: 0 };
    let mut n = 0;
    while lex.next(0).is_some() {
        n += 1;
        assert!(n < 1000);
    }
    assert_eq!(parse_num(b"--5"), -5.0);
    assert_eq!(parse_num(b"1.2.3"), 1.2);
}

#[test]
fn literal_strings() {
    let (s, next) = parse_literal_string(b"(a(b)c\\051\\n) x", 0);
    assert_eq!(s, b"a(b)c)\n");
    assert_eq!(next, 13);
}
