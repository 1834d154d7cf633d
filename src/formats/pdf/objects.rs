//! Small, bounded helpers over lopdf's object model.

use lopdf::{Dictionary, Document, Object};

/// Most bytes one stream may decode to (a guard against decompression bombs).
pub const MAX_STREAM: usize = 64 << 20;

/// Follows references (a bounded number of times, so loops end).
pub fn deref<'a>(doc: &'a Document, mut o: &'a Object) -> Option<&'a Object> {
    for _ in 0..16 {
        match o {
            Object::Reference(id) => o = doc.get_object(*id).ok()?,
            _ => return Some(o),
        }
    }
    None
}

pub fn dict_get<'a>(doc: &'a Document, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().and_then(|o| deref(doc, o))
}

pub fn dict_of<'a>(doc: &'a Document, o: &'a Object) -> Option<&'a Dictionary> {
    match deref(doc, o)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

pub fn name_of(o: &Object) -> Option<&[u8]> {
    match o {
        Object::Name(n) => Some(n),
        _ => None,
    }
}

pub fn num_of(o: &Object) -> Option<f32> {
    match o {
        Object::Integer(i) => Some(*i as f32),
        Object::Real(r) => Some(*r),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// Decoded bytes of a stream object (following a reference), bounded in size.
pub fn stream_bytes(doc: &Document, o: &Object) -> Option<Vec<u8>> {
    match deref(doc, o)? {
        Object::Stream(s) => {
            if s.dict.get(b"Filter").is_ok() {
                s.decompressed_content_with_limit(MAX_STREAM).ok()
            } else if s.content.len() <= MAX_STREAM {
                Some(s.content.clone())
            } else {
                None
            }
        }
        _ => None,
    }
}

/// Numbers of an array object (e.g. a matrix or a box).
pub fn nums_of(doc: &Document, o: &Object) -> Vec<f32> {
    match deref(doc, o) {
        Some(Object::Array(a)) => a
            .iter()
            .filter_map(|x| deref(doc, x).and_then(num_of))
            .collect(),
        _ => Vec::new(),
    }
}
