use super::*;

/// Draws a ruled grid; `skip_v` lists (row, col_line) vertical pieces left out.
fn draw(xs: &[usize], ys: &[usize], skip_v: &[(usize, usize)], skip_h: &[(usize, usize)]) -> Bin {
    let w = xs.last().copied().unwrap_or(0) + 20;
    let h = ys.last().copied().unwrap_or(0) + 20;
    let mut b = Bin::new(w, h);
    for (li, &y) in ys.iter().enumerate() {
        for c in 0..xs.len() - 1 {
            if skip_h.contains(&(li, c)) {
                continue;
            }
            for x in xs[c]..=xs[c + 1] {
                b.set(x, y, true);
                b.set(x, y + 1, true);
            }
        }
    }
    for (li, &x) in xs.iter().enumerate() {
        for r in 0..ys.len() - 1 {
            if skip_v.contains(&(r, li)) {
                continue;
            }
            for y in ys[r]..=ys[r + 1] {
                b.set(x, y, true);
                b.set(x + 1, y, true);
            }
        }
    }
    b
}

#[test]
fn rulings_are_erased_and_cell_ink_kept() {
    let grid = draw(&[10, 110, 210, 310], &[10, 50, 90], &[], &[]);
    // The table on a taller page, a glyph inside cell (0, 1), and a long bold stroke
    // below the table (a title's): only the table's rulings go.
    let mut b = Bin::new(grid.w, 170);
    b.px[..grid.px.len()].copy_from_slice(&grid.px);
    for y in 25..35 {
        for x in 150..160 {
            b.set(x, y, true);
        }
    }
    for x in 20..200 {
        b.set(x, 150, true);
    }
    let (grids, h, v) = detect_grids_and_rulings(&b, WORK_GLYPH_PX, &[]);
    assert_eq!(grids.len(), 1);
    erase_rulings(&mut b, &h, &v);
    assert_eq!(b.count(0, 0, b.w, 13), 0, "top ruling");
    assert_eq!(b.count(108, 0, 114, 100), 0, "a column ruling");
    assert_eq!(b.count(150, 25, 160, 35), 100, "the glyph");
    assert_eq!(b.count(20, 150, 200, 151), 180, "the stroke outside");
}

#[test]
fn a_stroke_across_a_few_rows_that_parts_a_number_from_a_blank_is_no_column() {
    // Six rows, three columns; a line at x 150 drawn only in row 2, parting that
    // row's cell into its number (left) and nothing (right).
    let xs = [10, 110, 210, 310];
    let ys = [10, 80, 150, 220, 290, 360, 430];
    let mut b = draw(&xs, &ys, &[], &[]);
    for y in 150..=220 {
        b.set(150, y, true);
        b.set(151, y, true);
    }
    let (grids, ..) = detect_grids_and_rulings(&b, WORK_GLYPH_PX, &[]);
    assert_eq!(grids[0].n_cols(), 4, "the stroke is found as a line");
    // Ink: every cell has a number, left of x 150 in the row the stroke crosses.
    let inked_left_of_stroke = |(x0, y0, x1, _): (f32, f32, f32, f32), _: usize| {
        x1 <= 151.5 || x0 >= 209.0 || (y0 - 150.0).abs() > 1.0
    };
    let g = drop_stray_column_lines(grids[0].clone(), inked_left_of_stroke);
    assert_eq!(g.xs.len(), 4, "{:?}", g.xs);
    assert_eq!(g.n_cols(), 3);
    assert!(g.cells.contains(&(2, 1, 1, 1)), "{:?}", g.cells);
    assert_eq!(g.cells.len(), 18);
    // A column all blank but for its header keeps its ruling, drawn in every row.
    let blank_column =
        |(x0, y0, _, _): (f32, f32, f32, f32), _: usize| !(209.0..215.0).contains(&x0) || y0 < 11.0;
    let full = draw(&xs, &ys, &[], &[]);
    let (grids, ..) = detect_grids_and_rulings(&full, WORK_GLYPH_PX, &[]);
    let g = drop_stray_column_lines(grids[0].clone(), blank_column);
    assert_eq!(g, grids[0]);
}

/// Inks a seal as a scan prints it grey: a ring and a filled five-pointed star.
fn stamp(b: &mut Bin, cx: f32, cy: f32, r: f32, thick: f32) {
    let star_r = r * 0.45;
    let points: Vec<(f32, f32)> = (0..10)
        .map(|k| {
            let a = -std::f32::consts::FRAC_PI_2 + k as f32 * std::f32::consts::PI / 5.0;
            let rr = if k % 2 == 0 { star_r } else { star_r * 0.38 };
            (cx + rr * a.cos(), cy + rr * a.sin())
        })
        .collect();
    let in_star = |x: f32, y: f32| {
        let mut inside = false;
        for i in 0..points.len() {
            let (a, c) = (points[i], points[(i + 1) % points.len()]);
            if (a.1 > y) != (c.1 > y) && x < a.0 + (y - a.1) / (c.1 - a.1) * (c.0 - a.0) {
                inside = !inside;
            }
        }
        inside
    };
    for y in 0..b.h {
        for x in 0..b.w {
            let (fx, fy) = (x as f32, y as f32);
            if ((fx - cx).hypot(fy - cy) - r).abs() <= thick / 2.0 || in_star(fx, fy) {
                b.set(x, y, true);
            }
        }
    }
}

#[test]
fn a_grey_seal_over_a_table_adds_no_lines() {
    let xs: Vec<usize> = (0..10).map(|k| 20 + k * 107).collect();
    let ys: Vec<usize> = (0..13).map(|k| 20 + k * 38).collect();
    let clean = draw(&xs, &ys, &[], &[]);
    let want = detect_grids(&clean);
    assert_eq!((want[0].n_rows(), want[0].n_cols()), (12, 9));
    // Over the top right corner and beyond the border, as a seal is pressed.
    let mut sealed = clean.clone();
    let pad = Bin::new(sealed.w + 150, sealed.h);
    let mut wide = pad;
    for y in 0..sealed.h {
        for x in 0..sealed.w {
            wide.set(x, y, sealed.get(x, y));
        }
    }
    sealed = wide;
    stamp(&mut sealed, 900.0, 170.0, 170.0, 11.0);
    let seals = crate::ocr::seal::find_seals(&sealed, WORK_GLYPH_PX);
    assert_eq!(seals.len(), 1, "{seals:?}");
    let (got, ..) = detect_grids_and_rulings(&sealed, WORK_GLYPH_PX, &seals);
    assert_eq!(got.len(), 1);
    let near = |a: &[f32], b: &[f32]| {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 2.0)
    };
    assert!(
        near(&got[0].xs, &want[0].xs),
        "{:?} vs {:?}",
        got[0].xs,
        want[0].xs
    );
    assert!(
        near(&got[0].ys, &want[0].ys),
        "{:?} vs {:?}",
        got[0].ys,
        want[0].ys
    );
    // Without the seal found, its strokes change the table's lines.
    let (unseen, ..) = detect_grids_and_rulings(&sealed, WORK_GLYPH_PX, &[]);
    assert!(!near(&unseen[0].xs, &want[0].xs) || !near(&unseen[0].ys, &want[0].ys));
}

#[test]
fn plain_grid_is_found() {
    let b = draw(&[10, 110, 210, 310], &[10, 50, 90], &[], &[]);
    let g = detect_grids(&b);
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].n_rows(), g[0].n_cols()), (2, 3));
    assert_eq!(g[0].cells.len(), 6);
}

#[test]
fn a_tables_last_row_alone_on_a_page_is_a_grid() {
    // One row of a wide table, 38 px high (under a ruling's minimum length), with
    // a label column and seven value columns, and a Chinese glyph's stroke in the
    // label cell that nearly spans it but does not touch both rulings.
    let xs: Vec<usize> = [10, 300]
        .into_iter()
        .chain((1..8).map(|k| 300 + k * 100))
        .collect();
    let mut b = draw(&xs, &[10, 48], &[], &[]);
    for y in 16..43 {
        b.set(150, y, true);
    }
    let (grids, _, v) = detect_grids_and_rulings(&b, WORK_GLYPH_PX, &[]);
    assert_eq!(grids.len(), 1);
    assert_eq!((grids[0].n_rows(), grids[0].n_cols()), (1, 8));
    assert_eq!(v.len(), 9);
    // Two rulings a paragraph apart (an underlined heading) make no grid.
    let b = draw(&[10, 1000], &[10, 48], &[], &[]);
    assert!(detect_grids(&b).is_empty());
}

#[test]
fn a_short_section_keeps_its_column_lines() {
    // A section of table 二 at a page's foot: its title row across, then two rows
    // of four columns whose lines (two rows high) are shorter than a ruling's
    // minimum; the borders, three rows high, are not.
    let skip: Vec<(usize, usize)> = (1..4).map(|li| (0, li)).collect();
    let b = draw(&[10, 300, 400, 500, 600], &[10, 30, 50, 70], &skip, &[]);
    let g = detect_grids(&b);
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].n_rows(), g[0].n_cols()), (3, 4));
    assert_eq!(g[0].cells.len(), 1 + 4 + 4);
}

#[test]
fn missing_segments_become_spans() {
    // Row 0: columns 1 and 2 merged (vertical line 2 missing in row 0).
    // Column 0: rows 0 and 1 merged (horizontal line 1 missing in column 0).
    let b = draw(
        &[10, 110, 210, 310],
        &[10, 50, 90, 130],
        &[(0, 2)],
        &[(1, 0)],
    );
    let g = detect_grids(&b);
    assert_eq!(g.len(), 1);
    let cells = &g[0].cells;
    assert!(cells.contains(&(0, 0, 2, 1)), "{cells:?}");
    assert!(cells.contains(&(0, 1, 1, 2)), "{cells:?}");
    assert!(cells.contains(&(1, 1, 1, 1)));
}

#[test]
fn broken_lines_are_closed() {
    let mut b = draw(&[10, 110, 210], &[10, 50, 90], &[], &[]);
    // Punch 2-px holes every 15 px in all lines.
    for y in 0..b.h {
        for x in 0..b.w {
            if (x % 15 < 2 && (y < 13 || (48..53).contains(&y) || y > 87))
                || (y % 15 < 2 && x % 100 < 15)
            {
                b.set(x, y, false);
            }
        }
    }
    let g = detect_grids(&b);
    assert_eq!(g.len(), 1);
    assert_eq!((g[0].n_rows(), g[0].n_cols()), (2, 2));
}

#[test]
fn two_tables_are_separate() {
    let a = draw(&[10, 110, 210], &[10, 50, 90], &[], &[]);
    let mut b = Bin::new(a.w, 260);
    for y in 0..a.h {
        for x in 0..a.w {
            if a.get(x, y) {
                b.set(x, y, true);
                b.set(x, y + 140, true);
            }
        }
    }
    assert_eq!(detect_grids(&b).len(), 2);
}

#[test]
fn glyph_strokes_in_rows_one_above_the_other_are_no_column() {
    // Rows 35 px high (25-px glyphs set tightly); in each row a glyph's vertical stroke
    // at x 60, 28 px long, with 2 px of paper between it and each row ruling: closed
    // over those gaps, the strokes make one run as long as a short column line.
    let mut b = draw(&[10, 110, 210, 310], &[10, 45, 80, 115], &[], &[]);
    for &(y0, y1) in &[(14, 42), (49, 77), (84, 112)] {
        for y in y0..y1 {
            b.set(60, y, true);
            b.set(61, y, true);
        }
    }
    let (grids, ..) = detect_grids_and_rulings(&b, WORK_GLYPH_PX, &[]);
    assert_eq!(grids.len(), 1);
    let xs: Vec<i32> = grids[0].xs.iter().map(|x| x.round() as i32).collect();
    assert!(
        xs.iter().all(|x| (x - 60).abs() > 5),
        "a column line at the strokes: {xs:?}"
    );
    assert_eq!(grids[0].n_cols(), 3);
}

#[test]
fn a_row_cut_off_by_a_page_keeps_its_own_column_lines_and_a_stroke_is_none() {
    // A table continued from the last page: its first row (a section of three values)
    // has column lines at x 170 and 250, one row high, under a table ruled for one
    // value column below (x 90 only).
    let xs = [10, 90, 170, 250, 330];
    let ys = [10, 44, 78, 112, 146, 180];
    let skip: Vec<(usize, usize)> = (1..5).flat_map(|r| [(r, 2), (r, 3)]).collect();
    let b = draw(&xs, &ys, &skip, &[]);
    let (grids, ..) = detect_grids_and_rulings(&b, WORK_GLYPH_PX, &[]);
    assert_eq!(grids.len(), 1);
    let g = &grids[0];
    assert_eq!(g.n_cols(), 4, "{:?}", g.xs);
    assert!(g.cells.contains(&(0, 1, 1, 1)), "{:?}", g.cells);
    assert!(g.cells.contains(&(0, 3, 1, 1)), "{:?}", g.cells);
    assert!(g.cells.contains(&(1, 1, 1, 3)), "{:?}", g.cells);
    // Without them, a stroke of a character from ruling to ruling in the first row
    // (a stem with the character's bars against it) is no column line.
    let skip: Vec<(usize, usize)> = (0..5).flat_map(|r| [(r, 2), (r, 3)]).collect();
    let mut b = draw(&xs, &ys, &skip, &[]);
    for y in 10..=44 {
        b.set(200, y, true);
        b.set(201, y, true);
    }
    for x in 190..212 {
        for y in [20, 30] {
            b.set(x, y, true);
        }
    }
    let (grids, ..) = detect_grids_and_rulings(&b, WORK_GLYPH_PX, &[]);
    assert_eq!(grids[0].n_cols(), 2, "{:?}", grids[0].xs);
}
