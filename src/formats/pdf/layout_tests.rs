use super::*;

#[test]
fn page_numbers() {
    for t in [
        "- 3 -",
        "—3—",
        "3",
        "第 3 页",
        "第3页 共5页",
        "3/5",
        "Page 3 of 5",
        "－ 12 －",
    ] {
        assert!(is_page_number(t), "{t}");
    }
    for t in ["2022年", "一、总体情况", "第二十条", "0539-2390184"] {
        assert!(!is_page_number(t), "{t}");
    }
}

#[test]
fn new_block_starts() {
    for t in [
        "一、总体情况",
        "（一）主动公开",
        "(2) 其他",
        "1. 属于",
        "十二、其他",
    ] {
        assert!(starts_new_block(t), "{t}");
    }
    assert!(!starts_new_block("2022年，在区委"));
    assert!(!starts_new_block("信息"));
}

fn seg(pos: f32, a: f32, b: f32) -> Seg {
    Seg { pos, a, b }
}

#[test]
fn grid_with_merged_cell() {
    // 2×2 grid whose top row is one merged cell (no vertical line in row 0).
    let h = vec![
        seg(0.0, 0.0, 100.0),
        seg(10.0, 0.0, 100.0),
        seg(20.0, 0.0, 100.0),
    ];
    let v = vec![
        seg(0.0, 0.0, 20.0),
        seg(100.0, 0.0, 20.0),
        seg(50.0, 10.0, 20.0),
    ];
    let grids = find_tables(&h, &v);
    assert_eq!(grids.len(), 1);
    let g = &grids[0];
    assert_eq!(g.regions.len(), 3);
    assert_eq!((g.regions[0].c0, g.regions[0].c1), (0, 1));
}
