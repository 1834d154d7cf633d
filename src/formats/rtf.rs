//! RTF.
use super::DecodeError;
use crate::document::Document;

pub fn decode_rtf(_bytes: &[u8]) -> Result<Document, DecodeError> {
    Err(DecodeError::new("RTF is not read yet"))
}
