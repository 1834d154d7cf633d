//! How deeply a web page nests its elements, measured before it is parsed. html5ever's
//! tree builder walks the stack of open elements for each tag, so its time grows with the
//! square of the nesting depth: 20,000 nested `<div>`s took 0.6 s, 200,000 ran past the
//! two-minute document limit and kept a core busy after it was abandoned. A page deeper
//! than [`MAX_DEPTH`] is refused before html5ever sees it; published reports nest a few
//! dozen elements deep (Word's exports included).
//!
//! The scan follows the parser's stack of open elements closely enough to count what
//! grows it: void elements open nothing, raw-text elements (`<script>`, `<style>`, …)
//! hold no tags, a closing tag closes every element opened inside the one it names, and an
//! element that closes an open sibling of its kind (`<p>`, `<li>`, `<td>`, `<tr>`, …) does
//! so here too, unless a table or list lies between them (a nested table is deeper). Its
//! work is linear in the page: each element is pushed and popped once, and the search for
//! an open sibling looks at the top [`SIBLING_SEARCH`] elements only.

use std::collections::HashMap;

/// The deepest nesting of elements a page may have. html5ever's time at this depth is
/// inside the default `doc_timeout_s` of 120 s (20,000 took 0.3 s; 119,990 took 42 s on a
/// loaded machine), so no worker is kept busy past it; tests/doc_timeout.rs relies on
/// 100,000 nested `<div>`s still being parsed, slowly.
pub const MAX_DEPTH: usize = 120_000;

/// How far down the stack an element looks for an open sibling it closes.
const SIBLING_SEARCH: usize = 16;

/// Elements that never have content.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "img", "input",
    "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements whose content is text up to their closing tag, not markup.
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
];

/// Elements that close an open element of the same group when they open.
const SIBLING_GROUPS: &[&[&str]] = &[
    &["p"],
    &["li"],
    &["dd", "dt"],
    &["option"],
    &["optgroup"],
    &["tr"],
    &["td", "th"],
    &["thead", "tbody", "tfoot"],
];

/// Elements the search for an open sibling does not cross.
const SCOPE: &[&str] = &["table", "ul", "ol", "dl", "select", "html", "body"];

/// What an element does to the stack of open elements.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Void,
    RawText,
    /// Closes an open element of its [`SIBLING_GROUPS`] group.
    Sibling(usize),
    Scope,
    Other,
}

fn kind_of(name: &str) -> Kind {
    if VOID.contains(&name) {
        Kind::Void
    } else if RAW_TEXT.contains(&name) {
        Kind::RawText
    } else if let Some(g) = SIBLING_GROUPS.iter().position(|g| g.contains(&name)) {
        Kind::Sibling(g)
    } else if SCOPE.contains(&name) {
        Kind::Scope
    } else {
        Kind::Other
    }
}

/// The nesting depth of `html`, scanned until it exceeds `limit` (then `Err` with the
/// depth reached).
pub fn check(html: &str, limit: usize) -> Result<(), usize> {
    let bytes = html.as_bytes();
    // Every element opened is a `<`: a page with no more of them than the limit is not
    // scanned (most are not; the count is a fraction of the scan's cost).
    if bytes.iter().filter(|&&b| b == b'<').count() <= limit {
        return Ok(());
    }
    let mut stack: Vec<u32> = Vec::new();
    // Elements by id, each with its kind and how many are on the stack (a closing tag of
    // an element not open is ignored in O(1)).
    let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut kinds: Vec<Kind> = Vec::new();
    let mut open_count: Vec<u32> = Vec::new();
    let mut name = Vec::with_capacity(16);
    let mut at = 0;
    // `at` is always just after an ASCII byte, so on a character boundary (`get` would
    // end the scan otherwise).
    while let Some(lt) = html.get(at..).and_then(|s| s.find('<')).map(|i| at + i) {
        at = lt + 1;
        let rest = &bytes[at..];
        if rest.starts_with(b"!--") {
            at = find(bytes, at + 3, b"-->").map_or(bytes.len(), |i| i + 3);
            continue;
        }
        if rest.starts_with(b"!") || rest.starts_with(b"?") {
            at = memchr(b'>', rest).map_or(bytes.len(), |i| at + i + 1);
            continue;
        }
        let closing = rest.starts_with(b"/");
        let start = at + usize::from(closing);
        name.clear();
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b':') {
            name.push(bytes[end].to_ascii_lowercase());
            end += 1;
        }
        if name.first().is_none_or(|c| !c.is_ascii_alphabetic()) {
            continue; // text such as "a < b"
        }
        let tag_end = memchr(b'>', &bytes[end..]).map_or(bytes.len(), |i| end + i);
        at = (tag_end + 1).min(bytes.len());
        let id = match ids.get(&name[..]) {
            Some(&id) => id,
            None => {
                let id = kinds.len() as u32;
                kinds.push(kind_of(std::str::from_utf8(&name).unwrap_or("")));
                open_count.push(0);
                ids.insert(name.clone(), id);
                id
            }
        };
        if closing {
            if open_count[id as usize] > 0 {
                while let Some(top) = stack.pop() {
                    open_count[top as usize] -= 1;
                    if top == id {
                        break;
                    }
                }
            }
            continue;
        }
        let self_closing = tag_end > end && bytes[tag_end - 1] == b'/';
        match kinds[id as usize] {
            Kind::RawText => {
                let mut close = b"</".to_vec();
                close.extend_from_slice(&name);
                at = find_ignore_case(bytes, at, &close).unwrap_or(bytes.len());
                continue;
            }
            Kind::Void => continue,
            _ if self_closing => continue,
            Kind::Sibling(group) => {
                close_open_sibling(&mut stack, &mut open_count, &kinds, group);
            }
            Kind::Scope | Kind::Other => {}
        }
        stack.push(id);
        open_count[id as usize] += 1;
        if stack.len() > limit {
            return Err(stack.len());
        }
    }
    Ok(())
}

/// Pops the stack down to and including the nearest open element of sibling group
/// `group`, if one lies within the top [`SIBLING_SEARCH`] elements with no
/// [`SCOPE`] element above it.
fn close_open_sibling(stack: &mut Vec<u32>, open_count: &mut [u32], kinds: &[Kind], group: usize) {
    let depth = stack
        .iter()
        .rev()
        .take(SIBLING_SEARCH)
        .take_while(|&&e| kinds[e as usize] != Kind::Scope)
        .position(|&e| kinds[e as usize] == Kind::Sibling(group));
    if let Some(depth) = depth {
        for _ in 0..=depth {
            if let Some(top) = stack.pop() {
                open_count[top as usize] -= 1;
            }
        }
    }
}

fn memchr(byte: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

fn find_ignore_case(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|i| from + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn depth_over(html: &str, limit: usize) -> Option<usize> {
        check(html, limit).err()
    }

    #[test]
    fn nested_divs_are_counted() {
        let page = format!(
            "<html><body>{}x{}</body></html>",
            "<div>".repeat(300),
            "</div>".repeat(300)
        );
        // html, body and 300 divs.
        assert_eq!(depth_over(&page, 301), Some(302));
        assert_eq!(depth_over(&page, 302), None);
    }

    #[test]
    fn siblings_void_and_raw_text_do_not_nest() {
        let rows = "<tr><td>1<td>2<p>a<p>b<br><img src=x>".repeat(2000);
        let lists = "<ul><li>a<li>b</ul>".repeat(2000);
        let script = format!("<script>{}</script>", "<div>".repeat(2000));
        let comment = format!("<!-- {} -->", "<div>".repeat(2000));
        let page =
            format!("<html><body><table>{rows}</table>{lists}{script}{comment}</body></html>");
        assert_eq!(depth_over(&page, 10), None);
    }

    #[test]
    fn closing_a_parent_closes_what_was_left_open_inside() {
        let page = "<div><span><b><i>x</div>".repeat(5000);
        assert_eq!(depth_over(&page, 10), None);
    }

    #[test]
    fn nested_tables_are_deep() {
        let page = "<table><tr><td>".repeat(200);
        // Three elements a level: each table holds the next.
        assert_eq!(depth_over(&page, 500), Some(501));
    }
}
