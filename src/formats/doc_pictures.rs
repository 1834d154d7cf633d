//! The pictures of a Word 97 `.doc`: an inline picture's data lies in the `Data` stream
//! (its PICF, then an Office Art shape whose BLIP store entry embeds the picture: an
//! `OfficeArtBlipPNG`/`JPEG` record). Word writes them in the order the pictures stand
//! in the text, so the BLIPs found in the stream, in order, are the bytes of the
//! document's picture anchors (0x01), in order; each then goes to recognition like a
//! DOCX picture. A picture in a format recognition cannot read (WMF, EMF, PICT) keeps
//! no bytes, and the record names it.

use crate::document::{Block, Document};

/// Office Art record types of BLIPs (MS-ODRAW 2.2.23): EMF, WMF, PICT, JPEG, PNG, DIB,
/// TIFF, CMYK JPEG.
const BLIP_TYPES: [u16; 8] = [
    0xF01A, 0xF01B, 0xF01C, 0xF01D, 0xF01E, 0xF01F, 0xF029, 0xF02A,
];
/// More pictures than this in one document are not read.
const MAX_PICTURES: usize = 1_000;
/// A picture's data starts within this many bytes of its record (one or two 16-byte
/// UIDs and a tag byte).
const MAX_BLIP_HEADER: usize = 8 + 33;

/// One picture found in the Data stream: its bytes when recognition can read them.
pub struct Blip {
    pub bytes: Option<Vec<u8>>,
}

/// The BLIP records of a Data stream, in order.
pub fn blips(data: &[u8]) -> Vec<Blip> {
    let mut out = Vec::new();
    let mut i = 0;
    while i + 8 <= data.len() && out.len() < MAX_PICTURES {
        let ver_inst = u16::from_le_bytes([data[i], data[i + 1]]);
        let rec_type = u16::from_le_bytes([data[i + 2], data[i + 3]]);
        let len = u32::from_le_bytes([data[i + 4], data[i + 5], data[i + 6], data[i + 7]]) as usize;
        let body_end = (i + 8).checked_add(len).filter(|&e| e <= data.len());
        // A BLIP is an atom: version 0 in the low 4 bits.
        if ver_inst & 0xF != 0 || !BLIP_TYPES.contains(&rec_type) || len < 17 {
            i += 1;
            continue;
        }
        let Some(end) = body_end else {
            i += 1;
            continue;
        };
        let body = &data[i + 8..end];
        out.push(Blip {
            bytes: image_start(body).map(|k| body[k..].to_vec()),
        });
        i = end;
    }
    out
}

/// Where a PNG or JPEG starts in a BLIP's body (after its UIDs and tag).
fn image_start(body: &[u8]) -> Option<usize> {
    let head = &body[..body.len().min(MAX_BLIP_HEADER)];
    head.windows(8)
        .position(|w| w == b"\x89PNG\r\n\x1a\n")
        .or_else(|| head.windows(3).position(|w| w == [0xFF, 0xD8, 0xFF]))
}

/// Gives the document's picture blocks (anchors met in the text, without bytes) the
/// Data stream's pictures, in order.
pub fn fill(doc: &mut Document, data: &[u8]) {
    if data.is_empty() || doc.pictures().next().is_none() {
        return;
    }
    let mut found = blips(data).into_iter();
    for block in &mut doc.blocks {
        let Block::Picture(pic) = block else {
            continue;
        };
        let Some(blip) = found.next() else {
            break;
        };
        if let Some(bytes) = blip.bytes {
            pic.bytes = bytes;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(rec_type: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![0x00, 0x6E];
        r.extend_from_slice(&rec_type.to_le_bytes());
        r.extend_from_slice(&(body.len() as u32).to_le_bytes());
        r.extend_from_slice(body);
        r
    }

    #[test]
    fn png_and_jpeg_blips_are_found_in_order_and_a_metafile_has_no_bytes() {
        let mut png = vec![7u8; 17];
        png.extend_from_slice(b"\x89PNG\r\n\x1a\nrest");
        let mut jpeg = vec![1u8; 17];
        jpeg.extend_from_slice(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2]);
        let mut data = b"PICF header bytes".to_vec();
        data.extend(record(0xF01E, &png));
        data.extend(record(0xF01B, &[0u8; 40]));
        data.extend(record(0xF01D, &jpeg));
        let found = blips(&data);
        assert_eq!(found.len(), 3);
        assert_eq!(
            found[0].bytes.as_deref(),
            Some(&b"\x89PNG\r\n\x1a\nrest"[..])
        );
        assert!(found[1].bytes.is_none());
        assert_eq!(
            found[2].bytes.as_deref(),
            Some(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2][..])
        );
    }
}
