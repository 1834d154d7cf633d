//! The administrative divisions of China (GB/T 2260: provinces, prefectures, counties),
//! shipped as data in `models/gazetteer/`, to check the place names in an agency read by
//! OCR. OCR misreads a rare character of a place name as a common one of similar shape
//! (赣州市 → 总州市, 兴宁区 → 兴休区); such a reading is one character away from a real
//! division and is itself none. The gazetteer judges readings, and supplies a character
//! no reading produced only where the divisions leave one choice: 议州市南康区 is
//! 赣州市南康区, the one prefecture one character from 议州市 that holds 南康区.

use once_cell::sync::Lazy;
use std::collections::HashMap;

/// Every division name of the shipped list (full names: 赣州市, 赣县区, 南康区) with its
/// codes (a name such as 城区 belongs to several divisions).
pub struct Gazetteer {
    names: HashMap<String, Vec<String>>,
    /// Longest name, in characters: how far a name is looked for from a position.
    longest: usize,
    /// Every character of a name, once, in order.
    chars: Vec<char>,
}

/// Last characters of a division's name (省 and 自治区 are never misread into the
/// agencies this checks, and 州 covers the short forms of autonomous prefectures).
const SUFFIXES: [char; 6] = ['市', '县', '区', '州', '旗', '盟'];

/// Words that end like a division but name a kind of area, not one place (a development
/// zone's 开发区 is one character away from 开福区 and is no misreading of it).
const GENERIC: [&str; 14] = [
    "开发区",
    "高新区",
    "新区",
    "园区",
    "市区",
    "城区",
    "郊区",
    "辖区",
    "片区",
    "景区",
    "矿区",
    "林区",
    "全市",
    "全县",
];

/// Characters after which an agency's name may name a place again (赣州市生态环境局
/// 赣县区分局: the branch's county follows the bureau).
const AFTER_UNIT: [char; 5] = ['局', '厅', '委', '府', '院'];

impl Gazetteer {
    /// Parses `code<TAB>name` lines (`#` comments).
    pub fn parse(text: &str) -> Gazetteer {
        let mut names: HashMap<String, Vec<String>> = HashMap::new();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.split('\t');
            let (Some(code), Some(name)) = (parts.next(), parts.next()) else {
                continue;
            };
            let name = name.trim();
            if name.chars().count() >= 2 {
                names
                    .entry(name.to_string())
                    .or_default()
                    .push(code.trim().to_string());
            }
        }
        let longest = names.keys().map(|n| n.chars().count()).max().unwrap_or(0);
        let mut chars: Vec<char> = names.keys().flat_map(|n| n.chars()).collect();
        chars.sort_unstable();
        chars.dedup();
        Gazetteer {
            names,
            longest,
            chars,
        }
    }

    /// The list shipped in `models/gazetteer/` (compiled in: a run needs no file).
    pub fn builtin() -> &'static Gazetteer {
        static G: Lazy<Gazetteer> =
            Lazy::new(|| Gazetteer::parse(include_str!("../models/gazetteer/divisions.tsv")));
        &G
    }

    /// Every character that occurs in a division's name.
    pub fn characters_of_names(&self) -> impl Iterator<Item = char> + '_ {
        self.chars.iter().copied()
    }

    pub fn knows(&self, name: &str) -> bool {
        self.names.contains_key(name)
    }

    /// Whether the division `inner` can lie within `outer` (a county of that prefecture,
    /// a prefecture of that province): one of its codes begins with one of outer's.
    fn within(&self, outer: &str, inner: &str) -> bool {
        let (Some(o), Some(i)) = (self.names.get(outer), self.names.get(inner)) else {
            return false;
        };
        o.iter().any(|o| {
            i.iter()
                .any(|i| i.len() > o.len() && i.starts_with(o.as_str()))
        })
    }

    /// A known name of the same length and last character that differs from `s` in
    /// exactly one other character: `s` reads like a misread division.
    fn near_miss(&self, s: &[char]) -> bool {
        let Some(last) = s.last() else {
            return false;
        };
        self.names.keys().any(|n| {
            n.chars().count() == s.len()
                && n.ends_with(*last)
                && n.chars().zip(s).filter(|(a, b)| a != *b).count() == 1
        })
    }

    /// The place names an agency's name begins with (and names again after a unit such
    /// as 局), each with whether it is a known division: (char start, name, known). A
    /// run of known names is followed as far as it goes; a word of 2–4 characters that
    /// ends like a division and is one character away from one is taken as a misread.
    pub fn places(&self, agency: &str) -> Vec<(usize, String, bool)> {
        let s: Vec<char> = agency.chars().collect();
        let mut starts = vec![0];
        starts.extend((1..s.len()).filter(|&i| AFTER_UNIT.contains(&s[i - 1])));
        let mut out = Vec::new();
        for start in starts {
            let mut i = start;
            while i < s.len() {
                let known = (2..=self.longest.min(s.len() - i))
                    .rev()
                    .find(|&l| self.knows(&s[i..i + l].iter().collect::<String>()));
                if let Some(l) = known {
                    out.push((i, s[i..i + l].iter().collect(), true));
                    i += l;
                    continue;
                }
                // The longest such word: 六县区 is a misread of 赣县区, not 六县 of a 2-character county.
                let misread = (2..=4.min(s.len() - i)).rev().find(|&l| {
                    let w = &s[i..i + l];
                    let word: String = w.iter().collect();
                    SUFFIXES.contains(&w[l - 1])
                        && !GENERIC.contains(&word.as_str())
                        && self.near_miss(w)
                });
                match misread {
                    Some(l) => {
                        out.push((i, s[i..i + l].iter().collect(), false));
                        i += l;
                    }
                    None => break,
                }
            }
        }
        out
    }

    /// The place names of `agency` that read like misread divisions, and a known one
    /// that does not lie within the known one before it (广州市赣县区: one of the two
    /// is misread into another real name).
    pub fn doubtful(&self, agency: &str) -> Vec<String> {
        let places = self.places(agency);
        let mut out: Vec<String> = places
            .iter()
            .filter(|p| !p.2)
            .map(|p| p.1.clone())
            .collect();
        let known: Vec<&String> = places.iter().filter(|p| p.2).map(|p| &p.1).collect();
        for pair in known.windows(2) {
            if pair[0] != pair[1] && !self.within(pair[0], pair[1]) {
                out.push(pair[1].clone());
            }
        }
        out
    }

    /// `first` with each of its doubtful place names replaced by the known division that
    /// `other` (another reading of the same name: the signature under the title) has in
    /// its place, one character apart; `None` when a doubtful name finds no such
    /// division there.
    pub fn repair(&self, first: &str, other: &str) -> Option<String> {
        let theirs: Vec<(usize, String, bool)> = self.places(other);
        let mut out: Vec<char> = first.chars().collect();
        for (at, name, known) in self.places(first) {
            if known {
                continue;
            }
            let mine: Vec<char> = name.chars().collect();
            let fix = theirs.iter().find(|(_, n, k)| {
                let n: Vec<char> = n.chars().collect();
                *k && n.len() == mine.len()
                    && n.iter().zip(&mine).filter(|(a, b)| a != b).count() == 1
            })?;
            for (j, c) in fix.1.chars().enumerate() {
                out[at + j] = c;
            }
        }
        let repaired: String = out.into_iter().collect();
        self.doubtful(&repaired).is_empty().then_some(repaired)
    }
}

/// Most chains of place options [`Gazetteer::repair_by_divisions`] weighs.
const MAX_CHAINS: usize = 100_000;

impl Gazetteer {
    /// `s` itself when known (no edit), and the known names one character from it (same
    /// length and last character; one edit).
    fn options(&self, s: &str) -> Vec<(&str, usize)> {
        let c: Vec<char> = s.chars().collect();
        let mut out: Vec<(&str, usize)> = Vec::new();
        for n in self.names.keys() {
            let mut edits = 0;
            let mut len = 0;
            for (a, b) in n.chars().zip(&c) {
                len += 1;
                edits += usize::from(a != *b);
            }
            if len == c.len() && n.chars().count() == c.len() && n.ends_with(c[c.len() - 1]) {
                if edits == 0 {
                    out.push((n, 0));
                } else if edits == 1 {
                    out.push((n, 1));
                }
            }
        }
        out
    }

    /// `agency` with its doubtful place names replaced where the divisions leave one
    /// choice: of the ways to read each place as itself (when known) or as a division
    /// one character from it, those whose places lie each within the one before (a
    /// county in its prefecture), the one with fewest characters changed, when it is the
    /// only such and leaves at least one place as read. `None` otherwise.
    pub fn repair_by_divisions(&self, agency: &str) -> Option<String> {
        let places = self.places(agency);
        if places.len() < 2 || self.doubtful(agency).is_empty() {
            return None;
        }
        let opts: Vec<Vec<(&str, usize)>> = places.iter().map(|p| self.options(&p.1)).collect();
        let mut best: Vec<(usize, Vec<&str>)> = Vec::new();
        let mut chain: Vec<&str> = Vec::new();
        let mut weighed = 0usize;
        self.walk(&opts, &mut chain, 0, &mut best, &mut weighed);
        let [(cost, names)] = best.as_slice() else {
            return None;
        };
        if *cost == 0 || *cost >= places.len() || weighed > MAX_CHAINS {
            return None;
        }
        let mut out: Vec<char> = agency.chars().collect();
        for ((at, _, _), name) in places.iter().zip(names) {
            for (j, c) in name.chars().enumerate() {
                out[at + j] = c;
            }
        }
        Some(out.into_iter().collect())
    }

    /// Extends `chain` by the options of place `k` that lie within its last place, and
    /// keeps in `best` the complete chains of least cost.
    fn walk<'a>(
        &self,
        opts: &[Vec<(&'a str, usize)>],
        chain: &mut Vec<&'a str>,
        cost: usize,
        best: &mut Vec<(usize, Vec<&'a str>)>,
        weighed: &mut usize,
    ) {
        *weighed += 1;
        if *weighed > MAX_CHAINS || best.first().is_some_and(|b| b.0 < cost) {
            return;
        }
        let k = chain.len();
        if k == opts.len() {
            if best.first().is_some_and(|b| b.0 > cost) {
                best.clear();
            }
            best.push((cost, chain.clone()));
            return;
        }
        for &(name, edits) in &opts[k] {
            let fits = chain
                .last()
                .is_none_or(|prev| *prev == name || self.within(prev, name));
            if fits {
                chain.push(name);
                self.walk(opts, chain, cost + edits, best, weighed);
                chain.pop();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g() -> &'static Gazetteer {
        Gazetteer::builtin()
    }

    #[test]
    fn known_divisions_pass_and_misreads_are_doubtful() {
        assert!(g().knows("赣州市") && g().knows("赣县区") && g().knows("兴宁区"));
        assert!(g().doubtful("赣州市生态环境局赣县区分局").is_empty());
        assert!(g().doubtful("佛山市三水区文化和旅游局").is_empty());
        assert!(g().doubtful("沙河口区文化和旅游局").is_empty());
        assert_eq!(g().doubtful("南宁市兴休区统计局"), vec!["兴休区"]);
        assert_eq!(
            g().doubtful("总州市生态环境局赢县区分局"),
            vec!["总州市", "赢县区"]
        );
        assert_eq!(g().doubtful("广州市蒜县区农业农村局"), vec!["蒜县区"]);
        assert_eq!(g().doubtful("六县区司法局"), vec!["六县区"]);
        // Names without a place, and a development zone, are not judged.
        assert!(g().doubtful("市场监督管理局").is_empty());
        assert!(g().doubtful("开发区管理委员会").is_empty());
        // Two real names, one not within the other: a misread into another division.
        assert_eq!(g().doubtful("贺州市生态环境局赣县区分局"), vec!["赣县区"]);
        assert!(g().doubtful("威海市乳山市交通运输局").is_empty());
    }

    #[test]
    fn a_misread_place_is_repaired_where_the_divisions_leave_one_choice() {
        let g = g();
        // A prefecture one character off, the county after it known: the one
        // prefecture one character from it that holds the county.
        for (read, want) in [
            ("臣汉市江汉区教育和体育局", "武汉市江汉区教育和体育局"),
            ("议州市南康区市场监督管理局", "赣州市南康区市场监督管理局"),
            ("南宁市兴休区统计局", "南宁市兴宁区统计局"),
        ] {
            assert_eq!(g.repair_by_divisions(read).as_deref(), Some(want), "{read}");
        }
        // 六县区 alone is 沙县区, 赣县区 or 梅县区; 总州市…赢县区 is 赣州市…赣县区 or
        // 梅州市…梅县区; 广州市蒜县区 fits no county of 广州市 without changing both.
        for read in [
            "六县区司法局",
            "总州市生态环境局赢县区分局",
            "广州市蒜县区农业农村局",
        ] {
            assert_eq!(g.repair_by_divisions(read), None, "{read}");
        }
        // A name read right is left alone.
        assert_eq!(g.repair_by_divisions("赣州市南康区市场监督管理局"), None);
    }

    #[test]
    fn a_doubtful_place_is_repaired_only_from_another_reading() {
        assert_eq!(
            g().repair("南宁市兴休区统计局", "南宁市兴宁区统针局")
                .as_deref(),
            Some("南宁市兴宁区统计局")
        );
        // The other reading's division must be one character from the doubtful one.
        assert_eq!(
            g().repair("总州市生态环境局赢县区分局", "贺州市生态环境局加县区分局"),
            None
        );
        assert_eq!(
            g().repair("臣汉市江汉区教育和体育局", "武汉市江汉区"),
            Some("武汉市江汉区教育和体育局".to_string())
        );
        assert_eq!(g().repair("南宁市兴休区统计局", ""), None);
    }
}
