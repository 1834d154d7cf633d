//! Tests of [`super`]: tables found by alignment.

use super::*;

fn line(y: f32, toks: &[(f32, &str)]) -> AlignedLine {
    AlignedLine {
        y,
        h: 1.0,
        tokens: toks
            .iter()
            .map(|(x, t)| Token {
                x0: *x,
                x1: *x + t.chars().count() as f32,
                text: t.to_string(),
            })
            .collect(),
    }
}

const S: Scale = Scale {
    em: 2.0,
    pitch: 1.0,
};

#[test]
fn values_and_dashes() {
    for t in ["0", "１２７", "５１１．５１", "—", "-3", "1,024"] {
        assert!(is_value(t), "{t}");
    }
    for t in ["2019年", "1.属于", "（一）", "", "1."] {
        assert!(!is_value(t), "{t}");
    }
}

#[test]
fn wrapped_labels_join_their_row_and_short_rows_keep_their_columns() {
    let lines = vec![
        line(0.0, &[(20.0, "本年新收"), (40.0, "本年办结")]),
        line(1.0, &[(2.0, "一、本年新收"), (20.0, "4"), (40.0, "12")]),
        line(2.0, &[(2.0, "（二）部分公开（区分")]),
        line(3.0, &[(20.0, "0"), (40.0, "1")]),
        line(4.0, &[(2.0, "处理的）")]),
        line(5.0, &[(2.0, "（三）其他"), (40.0, "7")]),
    ];
    let found = find_tables(&lines, S, TableOrigin::Text, None);
    assert_eq!(found.tables.len(), 1);
    let t = &found.tables[0].table;
    let texts: Vec<Vec<&str>> = t
        .rows
        .iter()
        .map(|r| r.iter().map(|c| c.text.as_str()).collect())
        .collect();
    assert_eq!(texts[0], ["", "本年新收", "本年办结"]);
    assert_eq!(texts[1], ["一、本年新收", "4", "12"]);
    assert_eq!(texts[2], ["（二）部分公开（区分处理的）", "0", "1"]);
    assert_eq!(texts[3], ["（三）其他", "", "7"]);
    assert!(found.used.iter().all(|u| *u));
}

#[test]
fn running_text_is_no_table() {
    let lines = vec![
        line(
            0.0,
            &[(
                0.0,
                "2019年，本机关共收到政府信息公开申请127件，已办结130件。",
            )],
        ),
        line(1.0, &[(0.0, "联系电话"), (20.0, "0931-8071802")]),
        line(2.0, &[(30.0, "2020年2月2日")]),
    ];
    let found = find_tables(&lines, S, TableOrigin::Text, None);
    assert!(found.tables.is_empty());
    assert!(found.used.iter().all(|u| !*u));
}

#[test]
fn a_value_under_no_column_is_left_unread() {
    let lines = vec![
        line(0.0, &[(2.0, "甲"), (20.0, "1"), (30.0, "2"), (40.0, "3")]),
        line(1.0, &[(2.0, "乙"), (25.0, "5"), (26.5, "6")]),
    ];
    let found = find_tables(&lines, S, TableOrigin::Text, None);
    let t = &found.tables[0].table;
    assert!(t.rows[1][1..].iter().all(|c| c.text == UNREAD.to_string()));
    assert_eq!(found.problems.len(), 1);
}

#[test]
fn a_number_wrapped_round_its_row_is_joined_whole() {
    let lines = vec![
        line(
            0.0,
            &[
                (2.0, "一、本年新收"),
                (20.0, "306"),
                (30.0, "43"),
                (40.0, "362"),
            ],
        ),
        line(1.0, &[(20.0, "３０")]),
        line(2.0, &[(2.0, "七、总计"), (30.0, "43"), (40.0, "362")]),
        line(3.0, &[(20.5, "６")]),
    ];
    let found = find_tables(&lines, S, TableOrigin::Text, None);
    let t = &found.tables[0].table;
    assert_eq!(t.rows.len(), 2);
    assert_eq!(t.rows[1][0].text, "七、总计");
    assert_eq!(t.rows[1][1].text, "３０６");
    // Cut on one side only, the number may be longer: it is left out.
    let found = find_tables(&lines[..3], S, TableOrigin::Text, None);
    assert_eq!(found.tables[0].table.rows[1][1].text, UNREAD.to_string());
}

#[test]
fn odd_lines_never_panic() {
    let lines = [
        line(0.0, &[(0.0, "—"), (3.0, "—"), (6.0, "—")]),
        line(0.0, &[]),
        line(-5.0, &[(9.0, "1"), (1.0, "2")]),
        line(f32::NAN, &[(f32::NAN, "3"), (2.0, "4")]),
        line(1e30, &[(0.0, "（一） 1. 二、 x"), (50.0, "0")]),
    ];
    for k in 0..lines.len() {
        let _ = find_tables(&lines[k..], S, TableOrigin::PdfText, Some(1));
    }
}
