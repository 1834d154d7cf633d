use super::super::cells::is_dash_bar;
use super::super::digits::hollow_in_the_grey;
use super::super::engine::OcrMode;
use super::super::engine::Word;
use super::super::lines::{otsu, LinePart};
use super::*;
use image::Luma;
use std::io::Cursor;

/// A binary image with the given rectangles inked.
/// A "0" as the four 2-px sides of the box (x0, y0)–(x1, y1).
fn ring(x0: usize, y0: usize, x1: usize, y1: usize) -> [(usize, usize, usize, usize); 4] {
    [
        (x0, y0, x1, y0 + 2),
        (x0, y1 - 2, x1, y1),
        (x0, y0, x0 + 2, y1),
        (x1 - 2, y0, x1, y1),
    ]
}

#[test]
fn stub_of_a_border_beside_a_number_is_not_its_ink() {
    // A "0" (a ring) centred in an 80×40 cell, and the top of the left border that a
    // residual skew left inside it: thin, short, set apart.
    let b = Bin::with_rects(
        80,
        40,
        &[ring(34, 10, 46, 30).as_slice(), &[(1, 0, 3, 14)]].concat(),
    );
    assert_eq!(ink_box(&b, 0, 0, 80, 40, 40), Some((34, 10, 46, 30)));
}

#[test]
fn specks_beside_a_number_go_and_its_decimal_point_stays() {
    // "0.0": two rings 20 high with a 3×3 point between them on the baseline, and
    // specks of noise above and to the right.
    let mut b = Bin::with_rects(
        100,
        40,
        &[
            ring(10, 10, 22, 30).as_slice(),
            &[(25, 27, 28, 30)],
            &ring(31, 10, 43, 30),
            &[(26, 2, 28, 4), (60, 20, 62, 22)],
        ]
        .concat(),
    );
    assert_eq!(drop_specks(&mut b, (10, 2, 62, 30)), Some((10, 10, 43, 30)));
    assert_eq!(b.count(25, 27, 28, 30), 9, "the point");
    assert_eq!(
        b.count(26, 2, 28, 4) + b.count(60, 20, 62, 22),
        0,
        "the specks"
    );
}

#[test]
fn a_number_only_the_classifier_read_stands_when_the_engine_sees_it_too() {
    let b = Bin::with_rects(60, 40, &[(28, 10, 32, 30)]);
    let gray = GrayImage::from_pixel(60, 40, Luma([255]));
    let seen = engine_confirms(&gray, &b, (28, 10, 32, 30), &mut Reads("1"), "1").unwrap();
    assert_eq!(seen.number.as_deref(), Some("1"));
    // The engine sees another number: no number, both candidates.
    let seen = engine_confirms(&gray, &b, (28, 10, 32, 30), &mut Reads("7"), "1").unwrap();
    assert_eq!(seen.number, None);
    assert_eq!(seen.reads, vec!["1", "7"]);
    // Nothing again: the classifier's reading is a candidate only.
    let seen = engine_confirms(&gray, &b, (28, 10, 32, 30), &mut Reads(""), "1").unwrap();
    assert_eq!((seen.number, seen.reads), (None, vec!["1".to_string()]));
}

/// A 60 × 40 grey picture of paper (240) with `b`'s ink dark (40).
fn inked_gray(b: &Bin) -> GrayImage {
    let mut gray = GrayImage::from_pixel(60, 40, Luma([240]));
    for (x, y, p) in gray.enumerate_pixels_mut() {
        if b.get(x as usize, y as usize) {
            p.0[0] = 40;
        }
    }
    gray
}

#[test]
fn a_zero_broken_into_two_arcs_is_one_glyph_where_the_grey_joins_them() {
    use super::super::cells::glyph_count_joined;
    // A Kai "0": thick sides inked, its thin top and bottom grey only.
    let b = Bin::with_rects(60, 40, &[(20, 10, 24, 30), (30, 10, 34, 30)]);
    let mut gray = inked_gray(&b);
    let two_ones = gray.clone();
    for x in 24..30u32 {
        gray.put_pixel(x, 10, Luma([150]));
        gray.put_pixel(x, 29, Luma([150]));
    }
    assert_eq!(glyph_count_joined(&gray, &b, (20, 10, 34, 30)).0, 1);
    // "11": paper between them.
    assert_eq!(glyph_count_joined(&two_ones, &b, (20, 10, 34, 30)).0, 2);
}

#[test]
fn a_short_dash_among_specks_of_its_size_is_a_dash() {
    // A 120-dpi scan's hyphen (9 × 5, a fifth of a 44-px glyph) with JPEG specks
    // of 3 × 4 round it, in a 96 × 51 cell.
    let mut b = Bin::with_rects(
        96,
        51,
        &[
            (40, 24, 49, 29),
            (22, 8, 25, 12),
            (60, 30, 63, 34),
            (30, 32, 33, 35),
        ],
    );
    let dash = drop_specks(&mut b, (22, 8, 63, 35));
    assert_eq!(dash, Some((40, 24, 49, 29)));
    assert!(is_dash_bar(&b, (40, 24, 49, 29), 51));
    assert!(!only_specks(&b, (40, 24, 49, 29), 44.0));
}

/// `gray` with the faint diagonal and bar of a 4 left of a stem at x 28..32, y 10..30:
/// what the binarisation of a blurred 4 lost.
fn with_a_fours_faint_strokes(gray: &GrayImage) -> GrayImage {
    let mut broken = gray.clone();
    for k in 0..12u32 {
        broken.put_pixel(27 - k, 12 + k, Luma([170]));
        broken.put_pixel(26 - k, 12 + k, Luma([170]));
        broken.put_pixel(16 + k, 25, Luma([170]));
        broken.put_pixel(16 + k, 24, Luma([170]));
    }
    broken
}

#[test]
fn what_the_classifier_reads_in_a_cell_the_engine_missed_is_a_candidate() {
    // A lone bar: the engine sees nothing in a thin "1"; the classifier reads it.
    let b = Bin::with_rects(60, 40, &[(28, 10, 32, 30)]);
    let gray = inked_gray(&b);
    assert_eq!(classifier_candidate(&gray, &b, (28, 10, 32, 30)), vec!["1"]);
    // The faint diagonal and bar of a 4 the binarisation lost: no "1".
    let broken = with_a_fours_faint_strokes(&gray);
    assert!(classifier_candidate(&broken, &b, (28, 10, 32, 30)).is_empty());
    // A bar before it is a minus sign, which the classifier does not read.
    let b = Bin::with_rects(60, 40, &[(14, 19, 22, 22), (28, 10, 32, 30)]);
    assert!(classifier_candidate(&gray, &b, (14, 10, 32, 30)).is_empty());
}

#[test]
fn a_reading_with_fewer_digits_than_glyphs_or_without_its_minus_is_not_confirmed() {
    // "11": two bars; the engine reads "7" every time, one digit for two glyphs.
    let b = Bin::with_rects(60, 40, &[(10, 10, 14, 30), (30, 10, 34, 30)]);
    let gray = GrayImage::from_pixel(60, 40, Luma([255]));
    let mut e = Fake(0);
    assert_eq!(
        confirm_number(&gray, &b, (10, 10, 34, 30), &mut e, "7", &[])
            .unwrap()
            .number,
        None
    );
    assert_eq!(e.0, 0, "no read needed to refuse it");
    // "-7": a bar before the glyph, read as "7" without its sign.
    let b = Bin::with_rects(60, 40, &[(4, 19, 12, 22), (20, 10, 24, 30)]);
    assert_eq!(
        confirm_number(&gray, &b, (4, 10, 24, 30), &mut e, "7", &[])
            .unwrap()
            .number,
        None
    );
    // A blot our digit classifier does not read (wider than high), read "7" twice
    // more by the engine: confirmed by the engine's reads of other crops.
    let b = Bin::with_rects(60, 40, &[(20, 10, 44, 30)]);
    let seen = confirm_number(&gray, &b, (20, 10, 44, 30), &mut e, "7", &[]).unwrap();
    assert_eq!(seen.number.as_deref(), Some("7"));
    // A bar, which the classifier clearly reads as "1": the engine's three "7"s
    // against it are no number, and both readings are candidates.
    let b = Bin::with_rects(60, 40, &[(20, 10, 24, 30)]);
    let seen = confirm_number(&gray, &b, (20, 10, 24, 30), &mut e, "7", &[]).unwrap();
    assert_eq!(seen.number, None);
    assert_eq!(seen.reads, vec!["7".to_string(), "1".to_string()]);
    // The engine's "1" that the classifier reads alike is confirmed without another
    // read of the engine.
    let calls = e.0;
    let seen = confirm_number(&gray, &b, (20, 10, 24, 30), &mut e, "1", &[]).unwrap();
    assert_eq!(seen.number.as_deref(), Some("1"));
    assert_eq!(e.0, calls, "no further read");
}

#[test]
fn a_number_the_engine_read_otherwise_in_another_crop_is_a_candidate() {
    // A blot the classifier does not read, read "7" by every crop of the confirming
    // reads, but "5" by the grey crop of the first read: two numbers, no value.
    let b = Bin::with_rects(60, 40, &[(20, 10, 44, 30)]);
    let gray = GrayImage::from_pixel(60, 40, Luma([255]));
    let mut e = Fake(0);
    let seen =
        confirm_number(&gray, &b, (20, 10, 44, 30), &mut e, "7", &["5".to_string()]).unwrap();
    assert_eq!(seen.number, None);
    assert_eq!(seen.reads, vec!["7".to_string(), "5".to_string()]);
}

#[test]
fn a_one_read_over_a_zero_the_binarisation_broke_or_filled_is_a_candidate() {
    // A "0" fallen into two arcs, joined at top and bottom by grey: the engine's "1"
    // (three times over) is one of its arcs.
    let b = Bin::with_rects(60, 40, &[(20, 10, 24, 30), (30, 10, 34, 30)]);
    let mut gray = inked_gray(&b);
    for x in 24..30u32 {
        gray.put_pixel(x, 10, Luma([150]));
        gray.put_pixel(x, 29, Luma([150]));
    }
    let seen = confirm_number(&gray, &b, (20, 10, 34, 30), &mut Reads("1"), "1", &[]).unwrap();
    assert_eq!(seen.number, None);
    // Our classifier reads the two arcs as "11": a candidate too.
    assert_eq!(seen.reads, vec!["1".to_string(), "11".to_string()]);
    // Two arcs with paper between them are "11", read so.
    let apart = inked_gray(&b);
    let seen = confirm_number(&apart, &b, (20, 10, 34, 30), &mut Reads("11"), "11", &[]).unwrap();
    assert_eq!(seen.number.as_deref(), Some("11"));
    // A 0 whose hole the binarisation filled: one solid blot in the binary ink, two
    // strokes with paper between them in the grey.
    let blot = Bin::with_rects(60, 40, &[(20, 10, 34, 30)]);
    let mut hollow = GrayImage::from_pixel(60, 40, Luma([240]));
    for y in 10..30u32 {
        for x in 20..34u32 {
            let stroke = !(24..30).contains(&x) || !(12..28).contains(&y);
            hollow.put_pixel(x, y, Luma([if stroke { 40 } else { 200 }]));
        }
    }
    assert!(hollow_in_the_grey(&hollow, &blot, (20, 10, 34, 30)));
    let seen = confirm_number(&hollow, &blot, (20, 10, 34, 30), &mut Reads("1"), "1", &[]).unwrap();
    assert_eq!(seen.number, None);
    // A "1" stem, blurred at both edges: one stroke, darkest in its middle.
    let stem = Bin::with_rects(60, 40, &[(26, 10, 31, 30)]);
    let mut one = GrayImage::from_pixel(60, 40, Luma([240]));
    for y in 10..30u32 {
        for (x, v) in [(26u32, 150u8), (27, 60), (28, 40), (29, 60), (30, 150)] {
            one.put_pixel(x, y, Luma([v]));
        }
    }
    assert!(!hollow_in_the_grey(&one, &stem, (26, 10, 31, 30)));
}

#[test]
fn lone_one_beside_a_speck_is_kept() {
    // "1" near the left edge, a speck at the right edge: the speck goes, the 1 stays.
    let b = Bin::with_rects(80, 40, &[(4, 10, 7, 30), (75, 20, 77, 22)]);
    assert_eq!(ink_box(&b, 0, 0, 80, 40, 40), Some((4, 10, 7, 30)));
}

#[test]
fn a_low_solid_bar_is_a_zero_sign_a_digit_is_not() {
    let b = Bin::with_rects(80, 40, &[(30, 18, 50, 22), (10, 10, 12, 30)]);
    assert!(is_dash_bar(&b, (30, 18, 50, 22), 40));
    // A "1" (tall), and a bar in a row too low for the bar to be a dash in it.
    assert!(!is_dash_bar(&b, (10, 10, 12, 30), 40));
    assert!(!is_dash_bar(&b, (30, 18, 50, 22), 12));
    // Read without the engine, as a printed zero.
    let mut never = Fake(0);
    let gray = GrayImage::from_pixel(80, 40, Luma([255]));
    let rd = read_cell(
        &gray,
        &b,
        (30, 18, 50, 22),
        CellSizes {
            row_h: 40,
            glyph: 25.0,
        },
        &mut never,
        false,
        true,
    )
    .unwrap();
    assert!(rd.numeric && rd.digits.0 == "-" && never.0 == 0);
}

/// Digits: "348". Chinese: "标签" for a wide crop (a label), "348" otherwise.
struct Labels;
impl OcrEngine for Labels {
    fn recognise(&mut self, img: &GrayImage, mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        let (w, h) = img.dimensions();
        let label = mode != OcrMode::Digits && w as f32 > 2.5 * h as f32;
        Ok(vec![Word {
            text: if label { "标签" } else { "348" }.into(),
            bbox: [0.0, 0.0, w as f32, h as f32],
            confidence: 0.95,
        }])
    }
}

#[test]
fn a_number_read_as_text_on_an_edge_row_makes_every_label_read() {
    // Four rows: a label (wide) and two numbers (narrow bars); the top row's last
    // number is a solid block, as touching digits look, which is judged text.
    let (xs, ys) = ([20u32, 220, 320, 420], [20u32, 80, 140, 200, 260]);
    let mut g = GrayImage::from_pixel(440, 280, Luma([255]));
    for &y in &ys {
        for x in xs[0]..=xs[3] + 1 {
            g.put_pixel(x, y, Luma([0]));
            g.put_pixel(x, y + 1, Luma([0]));
        }
    }
    for &x in &xs {
        for y in ys[0]..=ys[4] + 1 {
            g.put_pixel(x, y, Luma([0]));
            g.put_pixel(x + 1, y, Luma([0]));
        }
    }
    let mut ink = |x0: u32, y0: u32, w: u32| {
        for y in y0..y0 + 24 {
            for x in x0..x0 + w {
                g.put_pixel(x, y, Luma([0]));
            }
        }
    };
    for (r, &y) in ys[..4].iter().enumerate() {
        ink(40, y + 18, 130);
        ink(265, y + 18, 6);
        if r == 0 {
            ink(350, y + 18, 40);
        } else {
            ink(365, y + 18, 6);
        }
    }
    let blocks = recognise_picture(
        &png(&g),
        None,
        &mut Labels,
        LineSelection::NONE,
        &[vec![2; 4]],
    )
    .unwrap();
    let Some(Block::Table(t)) = blocks.first() else {
        panic!("no table: {blocks:?}")
    };
    assert_eq!((t.rows.len(), t.n_cols()), (4, 3));
    for row in &t.rows {
        assert_eq!(row[0].text, "标签", "every label read: {:?}", t.rows);
    }
    // The block is read as the number it is, by the digits engine after all.
    assert_eq!(t.rows[0][2].text, "348");
}

/// Chinese lines told apart by their width: each bar width reads as one text.
struct Lines(Vec<(u32, &'static str)>, Vec<&'static str>);
impl OcrEngine for Lines {
    fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        let (w, h) = img.dimensions();
        // The crop is a 30-px-high bar scaled to half the crop's height and padded
        // by half that on each side: undo both.
        let bar = (w - h / 2) * 60 / h;
        let text = self
            .0
            .iter()
            .min_by_key(|(bw, _)| bw.abs_diff(bar))
            .map(|t| t.1);
        self.1.extend(text);
        Ok(vec![Word {
            text: text.unwrap_or_default().into(),
            bbox: [0.0, 0.0, w as f32, h as f32],
            confidence: 0.9,
        }])
    }
}

#[test]
fn tail_lines_stop_at_the_agency_above_the_date() {
    // Five lines of text, no table; the last one is a page number under the date.
    let texts = [
        (500, "正文最后一行"),
        (420, "又一行正文"),
        (300, "某某市某某局"),
        (260, "2024年1月25日"),
        (60, "- 5 -"),
    ];
    let mut g = GrayImage::from_pixel(700, 560, Luma([255]));
    for (k, &(w, _)) in texts.iter().enumerate() {
        let y0 = 40 + 100 * k as u32;
        for y in y0..y0 + 30 {
            for x in 60..60 + w {
                g.put_pixel(x, y, Luma([0]));
            }
        }
    }
    let mut e = Lines(texts.iter().map(|&(w, t)| (w, t)).collect(), Vec::new());
    let sel = LineSelection {
        head: 0,
        tail: 4,
        all: false,
    };
    let blocks = recognise_gray(&g, &mut e, sel, &[]).unwrap();
    // The date line is read twice (another scale) before its date stands.
    assert_eq!(
        e.1,
        ["- 5 -", "2024年1月25日", "2024年1月25日", "某某市某某局"]
    );
    let paras: Vec<&str> = blocks.iter().filter_map(Block::text).collect();
    assert_eq!(paras, ["某某市某某局", "2024年1月25日", "- 5 -"]);
}

#[test]
fn head_lines_then_tail_lines_upwards_each_once() {
    let sel = LineSelection {
        head: 2,
        tail: 2,
        all: false,
    };
    use LinePart::{Head, Tail};
    assert_eq!(sel.order(3), vec![(0, Head), (1, Head), (2, Tail)]);
    assert_eq!(
        sel.order(6),
        vec![(0, Head), (1, Head), (5, Tail), (4, Tail)]
    );
    assert!(LineSelection::NONE.order(5).is_empty());
    assert_eq!(LineSelection::ALL.order(2).len(), 2);
}

/// Reads every crop as "7" with high confidence.
/// One confident word covering the whole crop.
fn whole_crop_word(img: &GrayImage, text: &str) -> Vec<Word> {
    let (w, h) = img.dimensions();
    vec![Word {
        text: text.into(),
        bbox: [0.0, 0.0, w as f32, h as f32],
        confidence: 0.95,
    }]
}

/// An engine that reads every crop as "7", counting its calls.
struct Fake(usize);
impl OcrEngine for Fake {
    fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        self.0 += 1;
        Ok(whole_crop_word(img, "7"))
    }
}

/// An engine that reads every crop as the same text.
struct Reads(&'static str);
impl OcrEngine for Reads {
    fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        Ok(whole_crop_word(img, self.0))
    }
}

fn png(g: &GrayImage) -> Vec<u8> {
    let mut v = Vec::new();
    image::DynamicImage::ImageLuma8(g.clone())
        .write_to(&mut Cursor::new(&mut v), image::ImageFormat::Png)
        .unwrap();
    v
}

#[test]
fn blank_picture_gives_nothing_without_ocr() {
    let g = GrayImage::from_pixel(400, 300, Luma([255]));
    let mut e = Fake(0);
    assert!(
        recognise_picture(&png(&g), None, &mut e, LineSelection::ALL, &[])
            .unwrap()
            .is_empty()
    );
    assert_eq!(e.0, 0);
}

#[test]
fn a_row_of_dashes_reads_as_printed_zeros_without_the_engine() {
    // One row of three cells, each with a solid dash: one group of one rendering,
    // read from its shape. The engine would read "7"; it must not be asked.
    let mut g = GrayImage::from_pixel(640, 200, Luma([255]));
    for &y in &[20u32, 80] {
        for x in 20..=620 {
            g.put_pixel(x, y, Luma([0]));
            g.put_pixel(x, y + 1, Luma([0]));
        }
    }
    for &x in &[20u32, 220, 420, 620] {
        for y in 20..=81 {
            g.put_pixel(x, y, Luma([0]));
            g.put_pixel(x + 1, y, Luma([0]));
        }
    }
    for x0 in [110u32, 310, 510] {
        for y in 48..53 {
            for x in x0..x0 + 20 {
                g.put_pixel(x, y, Luma([0]));
            }
        }
    }
    let mut e = Fake(0);
    let blocks = recognise_picture(&png(&g), None, &mut e, LineSelection::NONE, &[]).unwrap();
    let Some(Block::Table(t)) = blocks.first() else {
        panic!("no table: {blocks:?}")
    };
    let texts: Vec<&str> = t.rows[0].iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["-", "-", "-"]);
    assert_eq!(e.0, 0);
}

#[test]
fn a_seals_lighter_ink_is_told_from_the_texts() {
    // Text ink around 30, a grey seal's around 160: the threshold falls between.
    let mut hist = [0u64; 256];
    hist[20..40].fill(10);
    hist[150..170].fill(6);
    let t = otsu(&hist).expect("two classes");
    assert!((39..150).contains(&(t as usize)), "{t}");
    // One class of ink (text only, anti-aliased edges a little lighter): no split.
    let mut one = [0u64; 256];
    one[20..60].fill(10);
    assert_eq!(otsu(&one), None);
}

/// An engine that reads every crop as the same text, barely believing it.
struct WeakReads(&'static str);
impl OcrEngine for WeakReads {
    fn recognise(&mut self, img: &GrayImage, _mode: OcrMode) -> Result<Vec<Word>, OcrError> {
        let mut words = whole_crop_word(img, self.0);
        for w in &mut words {
            w.confidence = 0.3;
        }
        Ok(words)
    }
}

#[test]
fn a_number_the_engine_barely_believed_is_a_candidate_however_often_read() {
    // A bar with a bar across it, read as a weak "4" every time: a candidate only.
    let mut g = one_inked_cell();
    for y in 108..111 {
        for x in 292..314 {
            g.put_pixel(x, y, Luma([0]));
        }
    }
    let mut e = WeakReads("4");
    let blocks = recognise_picture(&png(&g), None, &mut e, LineSelection::ALL, &[]).unwrap();
    let Some(Block::Table(t)) = blocks.first() else {
        panic!("no table: {blocks:?}")
    };
    assert_eq!(t.rows[1][1].text, "\u{FFFD}");
    assert!(t.rows[1][1].alternatives.contains(&"4".to_string()));
}

#[test]
fn a_weak_one_stands_when_it_is_a_plain_upright_stem() {
    // The engine doubts a lone thin "1" in any font; a plain stem that our classifier
    // reads as 1 too is one.
    let mut e = WeakReads("1");
    let blocks = recognise_picture(
        &png(&one_inked_cell()),
        None,
        &mut e,
        LineSelection::ALL,
        &[],
    )
    .unwrap();
    let Some(Block::Table(t)) = blocks.first() else {
        panic!("no table: {blocks:?}")
    };
    assert_eq!(t.rows[1][1].text, "1");
    assert!(t.rows[1][1].alternatives.is_empty());
}

/// A 2 × 2 ruled grid whose cell (1, 1) holds a 6 × 24 bar: a "1" to our classifier.
fn one_inked_cell() -> GrayImage {
    let mut g = GrayImage::from_pixel(420, 200, Luma([255]));
    for &y in &[20u32, 80, 140] {
        for x in 20..=400 {
            g.put_pixel(x, y, Luma([0]));
            g.put_pixel(x, y + 1, Luma([0]));
        }
    }
    for &x in &[20u32, 210, 400] {
        for y in 20..=141 {
            g.put_pixel(x, y, Luma([0]));
            g.put_pixel(x + 1, y, Luma([0]));
        }
    }
    for y in 98..122 {
        for x in 300..306 {
            g.put_pixel(x, y, Luma([0]));
        }
    }
    g
}

#[test]
fn ruled_grid_with_one_inked_cell() {
    // The engine reads the bar in cell (1, 1) as our classifier does: "1".
    let g = one_inked_cell();
    let mut e = Reads("1");
    let blocks = recognise_picture(&png(&g), None, &mut e, LineSelection::ALL, &[]).unwrap();
    let Some(Block::Table(t)) = blocks.first() else {
        panic!("no table: {blocks:?}")
    };
    assert_eq!((t.rows.len(), t.n_cols()), (2, 2));
    assert_eq!(t.rows[1][1].text, "1");
    assert_eq!(t.rows[0][0].text, "");
    assert_eq!(t.origin, TableOrigin::Ocr);
    assert!(t.rows[1][1].bbox.is_some());
}

#[test]
fn stray_marks_after_a_number_are_dropped_and_the_reading_marked_doubtful() {
    use super::super::read::trim_stray_marks;
    // A speck after a zero reads as a decimal point; a ruling's stub as a dash.
    let (n, c) = trim_stray_marks("0.".to_string(), 0.9);
    assert_eq!(n, "0");
    assert!(c < LOW_CONFIDENCE);
    assert_eq!(trim_stray_marks("12-".to_string(), 0.9).0, "12");
    // A sign and a decimal point inside a number stay.
    assert_eq!(
        trim_stray_marks("-1".to_string(), 0.9),
        ("-1".to_string(), 0.9)
    );
    assert_eq!(
        trim_stray_marks("2.5".to_string(), 0.9),
        ("2.5".to_string(), 0.9)
    );
}

#[test]
fn a_lone_stem_of_the_digits_height_is_a_candidate_one_and_a_stub_or_broken_digit_is_not() {
    use super::super::digits::lone_stem_one;
    let b = Bin::with_rects(60, 40, &[(28, 10, 32, 30)]);
    let gray = inked_gray(&b);
    assert!(lone_stem_one(&gray, &b, (28, 10, 32, 30), 20));
    // Twice the digits' height: a ruling's stub; half of it: a speck.
    assert!(!lone_stem_one(&gray, &b, (28, 10, 32, 30), 40));
    assert!(!lone_stem_one(&gray, &b, (28, 10, 32, 30), 10));
    // The faint diagonal and bar of a 4 beside it: what is left of a broken digit.
    let broken = with_a_fours_faint_strokes(&gray);
    assert!(!lone_stem_one(&broken, &b, (28, 10, 32, 30), 20));
    // Two stems joined top and bottom (a 0): no stem.
    let zero = Bin::with_rects(
        60,
        40,
        &[
            (24, 10, 27, 30),
            (33, 10, 36, 30),
            (24, 10, 36, 13),
            (24, 27, 36, 30),
        ],
    );
    assert!(!lone_stem_one(
        &inked_gray(&zero),
        &zero,
        (24, 10, 36, 30),
        20
    ));
}
