use super::*;
use std::io::Read;
use std::io::Write;

/// Real reports shipped in samples/ (copies from the development corpus).
const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/docx");

fn corpus(name: &str) -> Vec<u8> {
    std::fs::read(format!("{CORPUS}/{name}")).expect("sample file")
}

/// Rebuilds a zip from `src`, letting `edit` replace or drop entries.
fn rezip(src: &[u8], edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>) -> Vec<u8> {
    let mut zin = zip::ZipArchive::new(Cursor::new(src)).unwrap();
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if let Some(data) = edit(&name, data) {
            w.start_file(name, opts).unwrap();
            w.write_all(&data).unwrap();
        }
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn native_tables_of_dev_005() {
    let doc = decode_docx(&corpus("dev-005.docx")).unwrap();
    let ts = doc.tables().collect::<Vec<_>>();
    assert_eq!(ts.len(), 3);
    for t in &ts {
        assert_eq!(t.origin, TableOrigin::DocxTable);
        assert!(t.rows.iter().all(|r| r.len() == t.n_cols()));
    }
    // The requests table: 自然人 + legal persons (5 kinds) + others + total = 10 columns.
    let req = ts
        .iter()
        .find(|t| t.all_text().contains("自然人"))
        .expect("requests table");
    assert_eq!(req.n_cols(), 10);
    // vMerge: the row header "三、本年度办理结果" spans many rows; below it continuation cells.
    let (r, c) = (0..req.rows.len())
        .flat_map(|r| (0..req.n_cols()).map(move |c| (r, c)))
        .find(|&(r, c)| req.rows[r][c].text.starts_with("三、本年度办理结果"))
        .expect("results header");
    let anchor = &req.rows[r][c];
    assert!(anchor.row_span > 1);
    assert_eq!(req.rows[r + 1][c].continuation_of, Some((r, c)));
    assert_eq!(req.shown_text(r + 1, c), anchor.text);
    // Numbers sit in the last 7 columns of every data row.
    let row = req
        .rows
        .iter()
        .find(|row| {
            row.iter()
                .any(|c| c.text.contains("本年新收政府信息公开申请数量"))
        })
        .expect("new requests row");
    assert!(row[3..].iter().all(|c| c.text.parse::<u64>().is_ok()));
    // Paragraphs come through, in order with the tables.
    assert!(matches!(&doc.blocks[0], Block::Paragraph(t) if t.contains("年度报告")));
    assert!(!doc.blocks.iter().any(|b| matches!(b, Block::Picture(_))));
}

#[test]
fn pictures_of_dev_012() {
    let doc = decode_docx(&corpus("dev-012.docx")).unwrap();
    assert!(doc.tables().collect::<Vec<_>>().is_empty());
    let pics: Vec<&Picture> = doc
        .blocks
        .iter()
        .filter_map(|b| match b {
            Block::Picture(p) => Some(p),
            _ => None,
        })
        .collect();
    assert_eq!(pics.len(), 3);
    assert_eq!(pics[0].name.as_deref(), Some("word/media/image1.png"));
    for p in &pics {
        let png = p.bytes.starts_with(b"\x89PNG\r\n\x1a\n");
        let jpeg = p.bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
        assert!(png || jpeg);
    }
    // The requests picture follows the heading of section three.
    let i = doc
        .blocks
        .iter()
        .position(|b| {
            b.text()
                .is_some_and(|t| t.ends_with("收到和处理政府信息公开申请情况"))
        })
        .unwrap();
    assert!(matches!(&doc.blocks[i + 1], Block::Picture(p)
            if p.name.as_deref() == Some("word/media/image2.png")));
}

#[test]
fn every_corpus_docx_decodes() {
    let mut n = 0;
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "docx") {
            let doc = decode_docx(&std::fs::read(&path).unwrap()).unwrap();
            assert!(!doc.blocks.is_empty(), "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 5);
}

#[test]
fn damaged_inputs_are_errors() {
    let real = corpus("dev-005.docx");
    let msg = |b: &[u8]| decode_docx(b).unwrap_err().message;

    assert!(msg(b"").contains("not a zip archive"));
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert!(msg(&junk).contains("not a zip archive"));
    let mut pk_junk = b"PK\x03\x04".to_vec();
    pk_junk.extend(&junk);
    assert!(msg(&pk_junk).contains("damaged"));
    assert!(msg(&real[..real.len() / 2]).contains("damaged"));

    let no_doc = rezip(&real, |n, d| (n != "word/document.xml").then_some(d));
    assert_eq!(msg(&no_doc), "DOCX has no word/document.xml");

    let cut = rezip(&real, |n, d| {
        Some(if n == "word/document.xml" {
            d[..d.len() / 3].to_vec()
        } else {
            d
        })
    });
    let m = msg(&cut);
    assert!(m.contains("word/document.xml is cut off"), "{m}");

    let not_xml = rezip(&real, |n, d| {
        Some(if n == "word/document.xml" {
            b"<w:document><w:body><w:p></w:r></w:body>".to_vec()
        } else {
            d
        })
    });
    assert!(msg(&not_xml).contains("not well-formed"));

    // Flipped bytes inside the compressed data: an error or a document, never a panic.
    for step in [97usize, 1013, 4099] {
        let mut bad = real.clone();
        for i in (200..bad.len() - 200).step_by(step) {
            bad[i] ^= 0x5A;
        }
        let _ = decode_docx(&bad);
    }
}

#[test]
fn paragraph_features() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="w" xmlns:r="r" xmlns:mc="mc"><w:body>
<w:p><w:pPr><w:pStyle w:val="2"/><w:tabs><w:tab w:val="left" w:pos="1"/></w:tabs></w:pPr><w:r><w:t>二、主动公开</w:t></w:r></w:p>
<w:p><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:r><w:t>Top</w:t></w:r></w:p>
<w:p><w:r><w:t xml:space="preserve">a </w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c &amp; d</w:t></w:r>
<w:hyperlink r:id="rId1"><w:r><w:t>link</w:t></w:r></w:hyperlink><w:ins><w:r><w:t>+ins</w:t></w:r></w:ins>
<w:del><w:r><w:delText>gone</w:delText></w:r></w:del><w:sdt><w:sdtPr><w:alias w:val="x"/></w:sdtPr><w:sdtContent><w:r><w:t>+sdt</w:t></w:r></w:sdtContent></w:sdt>
<w:smartTag><w:r><w:t>+tag</w:t></w:r></w:smartTag><w:r><w:instrText>PAGE</w:instrText></w:r></w:p>
<w:p/><w:p><w:r><w:t>  </w:t></w:r></w:p>
<w:tbl><w:tblGrid><w:gridCol/></w:tblGrid>
<w:tr><w:trPr><w:gridBefore w:val="1"/></w:trPr><w:tc><w:tcPr><w:gridSpan w:val="2"/></w:tcPr><w:p><w:r><w:t>h</w:t></w:r></w:p></w:tc></w:tr>
<w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/></w:tcPr><w:p><w:r><w:t>m</w:t></w:r></w:p><w:p><w:r><w:t>n</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>1</w:t></w:r></w:p></w:tc><w:tc><w:tbl><w:tr><w:tc><w:p><w:r><w:t>in</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>ner</w:t></w:r></w:p></w:tc></w:tr></w:tbl><w:p/></w:tc></w:tr>
<w:tr><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc><w:tc><w:p><w:r><w:t>2</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:drawing><a:blip xmlns:a="a" r:embed="rId9"/></w:drawing></w:r></w:p></w:tc></w:tr>
</w:tbl>
<w:p><w:r><w:t>after</w:t></w:r></w:p>
<w:sectPr><w:pgSz/></w:sectPr></w:body></w:document>"#;
    let styles = br#"<w:styles xmlns:w="w"><w:style w:type="paragraph" w:styleId="2"><w:name w:val="heading 2"/></w:style></w:styles>"#;
    let rels = br#"<Relationships><Relationship Id="rId9" Type="x/image" Target="media/image9.jpeg"/></Relationships>"#;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    for (name, data) in [
            ("word/document.xml", xml.as_bytes()),
            ("word/styles.xml", &styles[..]),
            ("word/_rels/document.xml.rels", &rels[..]),
            ("word/media/image9.jpeg", b"\xFF\xD8\xFFjpeg"),
            (
                "docProps/core.xml",
                b"<cp:coreProperties xmlns:dc=\"dc\"><dc:title> T &amp; T </dc:title></cp:coreProperties>",
            ),
        ] {
            w.start_file(name, opts).unwrap();
            w.write_all(data).unwrap();
        }
    let bytes = w.finish().unwrap().into_inner();
    let doc = decode_docx(&bytes).unwrap();
    assert_eq!(doc.title_hint.as_deref(), Some("T & T"));
    let b = &doc.blocks;
    assert_eq!(b.len(), 6, "{b:#?}");
    assert!(matches!(&b[0], Block::Heading { text, level: 2 } if text == "二、主动公开"));
    assert!(matches!(&b[1], Block::Heading { text, level: 1 } if text == "Top"));
    assert_eq!(b[2].text(), Some("a  b\nc & dlink+ins+sdt+tag"));
    let Block::Table(t) = &b[3] else {
        panic!("{:?}", b[3])
    };
    assert_eq!(t.n_cols(), 3);
    assert_eq!(t.rows[0][0].text, "");
    assert_eq!(t.rows[0][1].text, "h");
    assert_eq!(t.rows[0][2].continuation_of, Some((0, 1)));
    assert_eq!(t.rows[1][0].text, "m\nn");
    assert_eq!(t.rows[1][0].row_span, 2);
    assert_eq!(t.rows[1][2].text, "in ner");
    assert_eq!(t.rows[2][0].continuation_of, Some((1, 0)));
    assert_eq!(t.rows[2][1].text, "2");
    assert!(matches!(&b[4], Block::Picture(p)
            if p.name.as_deref() == Some("word/media/image9.jpeg") && p.bytes.starts_with(b"\xFF\xD8")));
    assert_eq!(b[5].text(), Some("after"));
}

/// Cross-check against docx-rs (dev-dependency only): the same paragraph texts and the
/// same non-empty cell texts in the same order, for every corpus DOCX.
#[test]
fn agrees_with_docx_rs_on_corpus() {
    fn run_text(p: &docx_rs::Paragraph) -> String {
        let mut s = String::new();
        for child in &p.children {
            if let docx_rs::ParagraphChild::Run(r) = child {
                for rc in &r.children {
                    match rc {
                        docx_rs::RunChild::Text(t) => s.push_str(&t.text),
                        docx_rs::RunChild::Tab(_) => s.push(' '),
                        docx_rs::RunChild::Break(_) => s.push('\n'),
                        _ => {}
                    }
                }
            }
        }
        s.trim().to_string()
    }
    let opts = docx_rs::ReadDocxOptions::default().with_image_previews(false);
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "docx") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let theirs = docx_rs::read_docx_with_options(&bytes, opts).unwrap();
        let mut want: Vec<String> = Vec::new();
        for child in &theirs.document.children {
            match child {
                docx_rs::DocumentChild::Paragraph(p) => {
                    let t = run_text(p);
                    if !t.is_empty() {
                        want.push(t);
                    }
                }
                docx_rs::DocumentChild::Table(t) => {
                    for docx_rs::TableChild::TableRow(row) in &t.rows {
                        for docx_rs::TableRowChild::TableCell(cell) in &row.cells {
                            let text = cell
                                .children
                                .iter()
                                .filter_map(|c| match c {
                                    docx_rs::TableCellContent::Paragraph(p) => Some(run_text(p)),
                                    _ => None,
                                })
                                .filter(|t| !t.is_empty())
                                .collect::<Vec<_>>()
                                .join("\n");
                            if !text.is_empty() {
                                want.push(text);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let ours = decode_docx(&bytes).unwrap();
        let mut got: Vec<String> = Vec::new();
        for b in &ours.blocks {
            match b {
                Block::Table(t) => {
                    for row in &t.rows {
                        for c in row {
                            if !c.is_continuation() && !c.text.is_empty() {
                                got.push(c.text.clone());
                            }
                        }
                    }
                }
                Block::Picture(_) => {}
                b => got.push(b.text().unwrap_or_default().to_string()),
            }
        }
        assert_eq!(got, want, "{}", path.display());
    }
}

/// Run with `cargo test --release -- --ignored --nocapture timing`.
#[test]
#[ignore]
fn timing() {
    let files: Vec<Vec<u8>> = std::fs::read_dir(CORPUS)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "docx"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    let rounds = 50;
    let t = std::time::Instant::now();
    for _ in 0..rounds {
        for f in &files {
            std::hint::black_box(decode_docx(f).unwrap());
        }
    }
    let ms = t.elapsed().as_secs_f64() * 1000.0 / (rounds * files.len()) as f64;
    println!(
        "decode_docx: {ms:.3} ms per document ({} files)",
        files.len()
    );
}
