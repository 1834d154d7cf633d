//! Kangxi radicals and CJK radical forms read as the ideographs they stand for.
//!
//! Chromium/Skia prints (and some other producers) map the glyphs of common ideographs
//! to the Kangxi Radicals block (U+2F00–U+2FD5: ⼀ for 一, ⽅ for 方, ⽉ for 月) or to
//! simplified radical forms of the CJK Radicals Supplement (⺠ for 民, ⻩ for 黄) in their
//! ToUnicode maps: the page shows the right character, its text does not, and no label,
//! date or agency matches. In running Chinese text a radical code point is always such
//! a mis-mapped ideograph. Kangxi radicals map by their compatibility decomposition
//! (NFKC, the table below), supplement forms by the ideograph of the same shape.

/// NFKC of U+2F00..=U+2FD5, in order.
const KANGXI: [&str; 6] = [
    "一丨丶丿乙亅二亠人儿入八冂冖冫几凵刀力勹匕匚匸十卜卩厂厶又口囗土士夂夊夕大女子宀",
    "寸小尢尸屮山巛工己巾干幺广廴廾弋弓彐彡彳心戈戶手支攴文斗斤方无日曰月木欠止歹殳毋",
    "比毛氏气水火爪父爻爿片牙牛犬玄玉瓜瓦甘生用田疋疒癶白皮皿目矛矢石示禸禾穴立竹米糸",
    "缶网羊羽老而耒耳聿肉臣自至臼舌舛舟艮色艸虍虫血行衣襾見角言谷豆豕豸貝赤走足身車辛",
    "辰辵邑酉釆里金長門阜隶隹雨靑非面革韋韭音頁風飛食首香馬骨高髟鬥鬯鬲鬼魚鳥鹵鹿麥麻",
    "黃黍黑黹黽鼎鼓鼠鼻齊齒龍龜龠",
];

/// Simplified radical forms of the supplement and their ideographs.
const SUPPLEMENT: [(char, char); 27] = [
    ('\u{2E9F}', '母'),
    ('\u{2EA0}', '民'),
    ('\u{2EC4}', '西'),
    ('\u{2EC5}', '见'),
    ('\u{2EC6}', '角'),
    ('\u{2EC8}', '讠'),
    ('\u{2EC9}', '贝'),
    ('\u{2ECB}', '车'),
    ('\u{2ED0}', '钅'),
    ('\u{2ED3}', '长'),
    ('\u{2ED4}', '门'),
    ('\u{2ED9}', '韦'),
    ('\u{2EDA}', '页'),
    ('\u{2EDB}', '风'),
    ('\u{2EDC}', '飞'),
    ('\u{2EE0}', '饣'),
    ('\u{2EE2}', '马'),
    ('\u{2EE5}', '鱼'),
    ('\u{2EE6}', '鸟'),
    ('\u{2EE7}', '卤'),
    ('\u{2EE8}', '麦'),
    ('\u{2EE9}', '黄'),
    ('\u{2EEA}', '黾'),
    ('\u{2EEC}', '齐'),
    ('\u{2EEE}', '齿'),
    ('\u{2EF0}', '龙'),
    ('\u{2EF3}', '龟'),
];

/// The ideograph a radical code point stands for; any other character as it is.
pub fn unify_radical(c: char) -> char {
    let code = c as u32;
    if (0x2F00..=0x2FD5).contains(&code) {
        let k = (code - 0x2F00) as usize;
        return KANGXI.iter().flat_map(|s| s.chars()).nth(k).unwrap_or(c);
    }
    if (0x2E80..=0x2EFF).contains(&code) {
        if let Some((_, to)) = SUPPLEMENT.iter().find(|(from, _)| *from == c) {
            return *to;
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn radicals_read_as_their_ideographs() {
        let printed = "⼈⺠政府⼯作报告2024年1⽉9⽇⻩河路⾏政复议⿓";
        let read: String = printed.chars().map(unify_radical).collect();
        assert_eq!(read, "人民政府工作报告2024年1月9日黄河路行政复议龍");
        assert_eq!(KANGXI.iter().map(|s| s.chars().count()).sum::<usize>(), 214);
    }
}
