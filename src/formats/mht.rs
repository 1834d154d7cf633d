//! MHT.
use super::DecodeError;
use crate::document::Document;

pub fn decode_mht(_bytes: &[u8]) -> Result<Document, DecodeError> {
    Err(DecodeError::new("MHT is not read yet"))
}
