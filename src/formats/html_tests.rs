use super::*;
use encoding_rs::GBK;

/// Real pages shipped in samples/ (copies from the development corpus).
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/html");
const HTML_FILES: &[&str] = &["dev-002", "dev-009", "dev-023", "dev-026", "dev-031"];

fn read(id: &str) -> Vec<u8> {
    std::fs::read(format!("{CORPUS}/{id}.html")).unwrap()
}

fn texts(doc: &Document) -> Vec<String> {
    doc.blocks
        .iter()
        .map(|b| match b {
            Block::Table(t) => format!("TABLE {}", t.all_text()),
            Block::Picture(p) => format!("PIC {:?}", p.name),
            b => format!("{:?}", b),
        })
        .collect()
}

fn requests_table(doc: &Document) -> &Table {
    doc.tables()
        .find(|t| t.all_text().replace(' ', "").contains("自然人"))
        .unwrap()
}

/// Position of the anchor cell whose text is `text`.
fn find_cell(t: &Table, text: &str) -> (usize, usize) {
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            if !cell.is_continuation() && cell.text == text {
                return (r, c);
            }
        }
    }
    panic!("no cell {text:?}");
}

fn truth_value(id: &str, key: &str) -> i64 {
    let s = std::fs::read_to_string(format!("{CORPUS}/{id}.truth.json")).unwrap();
    let pat = format!("\"{key}\":");
    let at = s.find(&pat).unwrap() + pat.len();
    let num: String = s[at..]
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    num.parse().unwrap()
}

#[test]
fn corpus_tables_and_grid_shapes() {
    for id in HTML_FILES {
        let doc = decode_html(&read(id)).unwrap();
        let ts = doc.tables().collect::<Vec<_>>();
        assert_eq!(ts.len(), 3, "{id}");
        assert_eq!(ts[0].n_cols(), 4, "{id}: active table width");
        assert_eq!(ts[1].n_cols(), 10, "{id}: requests table width");
        assert_eq!(ts[2].n_cols(), 15, "{id}: appeals table width");
        for t in &ts {
            assert!(t.rows.iter().all(|r| r.len() == t.n_cols()));
            assert_eq!(t.origin, TableOrigin::HtmlTable);
        }
        // No site logo, no pictures at all in these pages.
        assert!(!doc.blocks.iter().any(|b| matches!(b, Block::Picture(_))));
    }
}

#[test]
fn requests_table_rowspans_make_continuations() {
    let doc = decode_html(&read("dev-002")).unwrap();
    let t = requests_table(&doc);
    let (r, c) = find_cell(t, "自然人");
    assert_eq!((r, c), (1, 3));
    assert_eq!(t.rows[r][c].row_span, 2);
    assert_eq!(t.rows[r + 1][c].continuation_of, Some((r, c)));
    assert_eq!(t.shown_text(r + 1, c), "自然人");
    // The 3×3 corner note covers rows 0..3, cols 0..3.
    assert_eq!(t.rows[2][2].continuation_of, Some((0, 0)));
    // 三、本年度办理结果 spans 22 rows down column 0.
    let (r3, c3) = find_cell(t, "三、本年度办理结果");
    assert_eq!((c3, t.rows[r3][c3].row_span), (0, 22));
    assert_eq!(t.rows[r3 + 21][0].continuation_of, Some((r3, 0)));
}

#[test]
fn corpus_numbers_land_in_the_right_cells() {
    for id in HTML_FILES {
        let doc = decode_html(&read(id)).unwrap();
        let t = requests_table(&doc);
        let r = (0..t.rows.len())
            .find(|&r| t.shown_text(r, 0).starts_with("一、本年新收"))
            .unwrap();
        let got: i64 = t.shown_text(r, 3).parse().unwrap();
        assert_eq!(got, truth_value(id, "requests/new/natural_person"), "{id}");
        let got: i64 = t.shown_text(r, 9).parse().unwrap();
        assert_eq!(got, truth_value(id, "requests/new/total"), "{id}");
    }
}

#[test]
fn word_fragments_in_a_cell_read_as_one_label() {
    let src = String::from_utf8(read("dev-002")).unwrap();
    let mangled = src.replacen(
        "自然人</span>",
        "自然</span><span\nlang=EN-US>人</span><o:p>&nbsp;</o:p>",
        1,
    );
    assert!(src != mangled);
    let doc = decode_html(mangled.as_bytes()).unwrap();
    let t = requests_table(&doc);
    assert_eq!(t.rows[1][3].text, "自然人");
    assert_eq!(t.rows[1][3].row_span, 2);

    let cell = r#"<table><tr><td rowspan="2 "><p class=MsoNormal><span>法人或</span><span>其他组织</span></p>
            <p class=MsoNormal><span>&nbsp;&nbsp;（单位：件）&nbsp;</span><o:p></o:p></p></td>
            <td colspan=0>a<br>b</td></tr><tr><td>x</td></tr></table>"#;
    let doc = decode_html(cell.as_bytes()).unwrap();
    let t = doc.tables().collect::<Vec<_>>()[0];
    assert_eq!(t.rows[0][0].text, "法人或其他组织\n（单位：件）");
    assert_eq!(t.rows[0][0].row_span, 2);
    assert_eq!(t.rows[0][1].text, "a\nb");
    assert_eq!(t.rows[0][1].col_span, 1);
    assert_eq!(t.rows[1][0].continuation_of, Some((0, 0)));
    assert_eq!(t.rows[1][1].text, "x");
}

#[test]
fn title_hint_is_the_article_title() {
    let want = "荣成市人力资源和社会保障局2024年政府信息公开工作年度报告";
    let src = String::from_utf8(read("dev-002")).unwrap();
    let doc = decode_html(src.as_bytes()).unwrap();
    assert_eq!(doc.title_hint.as_deref(), Some(want));
    assert!(doc
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Heading { text, level: 1 } if text == want)));
    // Without the ArticleTitle meta, the <title> minus the site name.
    let no_meta = src.replace("name=\"ArticleTitle\"", "name=\"x\"");
    let doc = decode_html(no_meta.as_bytes()).unwrap();
    assert_eq!(doc.title_hint.as_deref(), Some(want));
    assert_eq!(clean_title("年报 - 某某市政府门户网站", None), "年报");
    assert_eq!(clean_title("2023-2024年报", None), "2023-2024年报");
}

#[test]
fn chrome_is_dropped_and_text_kept() {
    let doc = decode_html(&read("dev-002")).unwrap();
    let all = texts(&doc).join("\n");
    assert!(!all.contains("首页"), "nav/breadcrumb leaked");
    assert!(!all.contains("微博"), "share bar leaked");
    assert!(!all.contains("ICP"), "footer leaked");
    assert!(all.contains("发布时间：2025-01-15"));
    let t0 = &texts(&doc)[0];
    assert!(t0.starts_with("Heading"), "{t0}");
    assert!(doc
        .blocks
        .iter()
        .any(|b| matches!(b, Block::Paragraph(p) if p == "二、主动公开政府信息情况")));
    assert!(doc.blocks.iter().any(|b| b.text() == Some("2025年1月15日")));
    // Intentional letter spacing survives, collapsed to single spaces.
    let doc = decode_html(&read("dev-026")).unwrap();
    let t = doc.tables().collect::<Vec<_>>()[0];
    assert!((0..t.rows.len()).any(|r| t.shown_text(r, 0) == "信 息 内 容"));
}

#[test]
fn gbk_and_bom_copies_decode_to_the_same_document() {
    let src = String::from_utf8(read("dev-023")).unwrap();
    let want = texts(&decode_html(src.as_bytes()).unwrap());
    let declared = src.replace("charset=utf-8", "charset=gb2312");
    assert!(declared != src);
    let (gbk, _, bad) = GBK.encode(&declared);
    assert!(!bad);
    assert!(std::str::from_utf8(&gbk).is_err());
    let doc = decode_html(&gbk).unwrap();
    assert_eq!(texts(&doc), want);
    assert!(doc.title_hint.unwrap().ends_with("年度报告"));
    // Undeclared GBK: UTF-8 fails, GB18030 fallback.
    let undeclared = src.replace("charset=utf-8", "");
    let (gbk2, _, _) = GBK.encode(&undeclared);
    assert_eq!(texts(&decode_html(&gbk2).unwrap()), want);
    // UTF-8 page that still says gb2312 (re-encoded mirror).
    assert_eq!(texts(&decode_html(declared.as_bytes()).unwrap()), want);
    // UTF-8 and UTF-16LE with BOM.
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(src.as_bytes());
    assert_eq!(texts(&decode_html(&bom).unwrap()), want);
    let mut u16 = vec![0xFF, 0xFE];
    for u in src.encode_utf16() {
        u16.extend_from_slice(&u.to_le_bytes());
    }
    assert_eq!(texts(&decode_html(&u16).unwrap()), want);
}

#[test]
fn bad_input_gives_errors_not_panics() {
    let e = decode_html(b"").unwrap_err();
    assert_eq!(e.message, "empty HTML file (0 bytes)");
    let junk: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert_eq!(
        decode_html(&junk).unwrap_err().to_string(),
        "not HTML: binary data"
    );
    assert_eq!(
        decode_html(&[0u8; 100]).unwrap_err().message,
        "not HTML: binary data"
    );
    assert!(decode_html(b"%PDF-1.7\n...")
        .unwrap_err()
        .message
        .contains("PDF"));
    // Parses but has no text: Ok and empty.
    for s in [
        "   ",
        "<html><head><title></title></head><body></body></html>",
        "<!-- x -->",
    ] {
        let d = decode_html(s.as_bytes()).unwrap();
        assert!(d.blocks.is_empty() && d.title_hint.is_none(), "{s:?}");
    }
    // Truncations (also mid-character) and pathological nesting do not panic.
    let src = read("dev-009");
    for n in (1..src.len()).step_by(997) {
        let _ = decode_html(&src[..n]);
    }
    let deep = "<div><span>".repeat(2_000) + "深" + &"<table><tr><td>".repeat(500);
    let d = decode_html(deep.as_bytes()).unwrap();
    assert!(texts(&d).join("").contains('深'));
}

#[test]
fn layout_tables_sections_paragraphs_pictures() {
    let page = r#"<html><head><meta charset="utf-8"><title>T</title>
            <script>var x = "脚本";</script><style>p{}</style></head><body>
            <div class="top-nav"><a>首页</a></div>
            直接文本
            <table width=100%><tr><td class="bt_content">
              <p>第一段&nbsp;&nbsp; 文字<br/>第二行</p><h2> 二、标题 </h2>
              <img src="/u/2024/table1.png"><img src="/images/icon_print.gif">
              <table><thead><tr><th>项目</th><th>数量</th></tr></thead>
                <tfoot><tr><td>合计</td><td>3</td></tr></tfoot>
                <tbody><tr><td>甲</td><td>3</td></tr></tbody></table>
              <div>尾部</div>
            </td></tr></table>
            <table><tr><td>孤单单元格</td></tr></table>
            </body></html>"#;
    let doc = decode_html(page.as_bytes()).unwrap();
    let got = texts(&doc);
    assert_eq!(
        got,
        vec![
            "Paragraph(\"直接文本\")",
            "Paragraph(\"第一段 文字\\n第二行\")",
            "Heading { text: \"二、标题\", level: 2 }",
            "PIC Some(\"/u/2024/table1.png\")",
            "TABLE 项目 数量 合计 3 甲 3 ",
            "Paragraph(\"尾部\")",
            "Paragraph(\"孤单单元格\")",
        ]
    );
    assert_eq!(doc.title_hint.as_deref(), Some("T"));
    // Without an identifiable article container, non-icon images are kept.
    let d = decode_html(b"<p>x<img src='a.jpg'>y</p><img src='logo.png'>").unwrap();
    assert_eq!(texts(&d), vec!["Paragraph(\"xy\")", "PIC Some(\"a.jpg\")"]);
}

#[test]
fn spans_parse_leniently() {
    assert_eq!(parse_span(None), 1);
    assert_eq!(parse_span(Some("2 ")), 2);
    assert_eq!(parse_span(Some(" 3px")), 3);
    assert_eq!(parse_span(Some("0")), 1);
    assert_eq!(parse_span(Some("abc")), 1);
    assert_eq!(parse_span(Some("99999999999999999999999")), 1000);
    let d = decode_html(b"<table><tr><td colspan=100000>a</td><td>b</td></tr></table>").unwrap();
    assert!(d.tables().collect::<Vec<_>>()[0].n_cols() <= 256);
}

#[test]
fn cjk_source_line_breaks_are_not_spaces() {
    assert_eq!(normalize_line("法人或\n  其他组织"), "法人或其他组织");
    assert_eq!(normalize_line(" a \u{a0} b\n c "), "a b c");
    assert_eq!(normalize_line("信  息"), "信 息");
    assert_eq!(normalize_line("\u{3000}\u{3000}本报告"), "本报告");
}

#[test]
#[ignore = "timing; run with --release -- --ignored --nocapture"]
fn timing() {
    let files: Vec<Vec<u8>> = HTML_FILES.iter().map(|id| read(id)).collect();
    let n = 100;
    let t0 = std::time::Instant::now();
    for _ in 0..n {
        for f in &files {
            std::hint::black_box(decode_html(f).unwrap());
        }
    }
    let per = t0.elapsed().as_secs_f64() * 1000.0 / (n * files.len()) as f64;
    eprintln!("{per:.3} ms per document");
}

#[test]
fn a_page_nested_too_deep_is_refused_before_parsing() {
    // The issue's case: 200,000 nested <div>s kept html5ever busy past the two-minute
    // document limit. Refused by the depth scan, which is linear in the page.
    let n = 200_000;
    let page = format!(
        "<html><body>{}x{}</body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    let err = decode_html(page.as_bytes()).expect_err("refused");
    assert!(
        err.to_string()
            .contains(&format!("the limit is {}", super::depth::MAX_DEPTH)),
        "{err}"
    );
    // Just under the limit it passes the scan (and is parsed, in seconds).
    let n = super::depth::MAX_DEPTH - 10;
    let page = format!(
        "<html><body>{}x{}</body></html>",
        "<div>".repeat(n),
        "</div>".repeat(n)
    );
    assert_eq!(super::depth::check(&page, super::depth::MAX_DEPTH), Ok(()));
}

#[test]
fn real_pages_nest_far_below_the_depth_limit() {
    for id in HTML_FILES {
        let page = String::from_utf8_lossy(&read(id)).into_owned();
        assert_eq!(super::depth::check(&page, 64), Ok(()), "{id}");
    }
}
