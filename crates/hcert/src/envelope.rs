//! The transport envelope around a signed message: the `HC1:` prefix, Base45 text and zlib compression.

use std::io::Read;

use crate::Error;

/// The context identifier of an HCERT in a QR code.
pub const PREFIX: &str = "HC1:";

/// The most a zlib stream may inflate to. A QR code holds under 3 KB of
/// Base45 bytes; this bounds what a hostile stream can make us allocate.
pub const MAX_INFLATED: u64 = 256 * 1024;

/// The Base45 text after the `HC1:` prefix.
pub fn unprefix(text: &str) -> Result<&str, Error> {
    text.strip_prefix(PREFIX).ok_or(Error::Prefix)
}

/// The Base45 alphabet (RFC 9285 section 4), in value order.
const BASE45_ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/// Base45 text (RFC 9285) to bytes.
pub fn base45_decode(text: &str) -> Result<Vec<u8>, Error> {
    // RFC 9285 refuses a final pair worth more than one byte; the base45 crate
    // would wrap it silently.
    if text.len() % 3 == 2 {
        let pair = &text.as_bytes()[text.len() - 2..];
        let value = |c: &u8| BASE45_ALPHABET.iter().position(|a| a == c);
        if let (Some(low), Some(high)) = (value(&pair[0]), value(&pair[1]))
            && low + high * 45 > 255
        {
            return Err(Error::Base45("the final two characters are worth more than one byte".into()));
        }
    }
    base45::decode(text).map_err(|e| Error::Base45(e.to_string()))
}

/// Bytes to Base45 text (RFC 9285).
pub fn base45_encode(bytes: &[u8]) -> String {
    base45::encode(bytes)
}

/// Inflates a zlib stream (RFC 1950), refusing output past [`MAX_INFLATED`]
/// and anything after the end of the stream.
pub fn inflate(compressed: &[u8]) -> Result<Vec<u8>, Error> {
    let mut decoder = flate2::read::ZlibDecoder::new(compressed);
    let mut out = Vec::new();
    (&mut decoder).take(MAX_INFLATED + 1).read_to_end(&mut out).map_err(|e| Error::Zlib(e.to_string()))?;
    if out.len() as u64 > MAX_INFLATED {
        return Err(Error::Zlib(format!("inflates to more than {MAX_INFLATED} bytes")));
    }
    if decoder.total_in() != compressed.len() as u64 {
        return Err(Error::Zlib("bytes after the end of the stream".into()));
    }
    Ok(out)
}

/// Compresses with zlib at the best compression level (QR codes are small).
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::read::ZlibEncoder::new(bytes, flate2::Compression::best());
    let mut out = Vec::new();
    // Reading from a slice through the encoder cannot fail.
    let _ = encoder.read_to_end(&mut out);
    out
}

/// Prefix, Base45 and zlib undone: the COSE bytes inside an `HC1:` text.
pub fn open(text: &str) -> Result<Vec<u8>, Error> {
    inflate(&base45_decode(unprefix(text)?)?)
}

/// COSE bytes compressed, Base45-encoded and prefixed: the text of the QR code.
pub fn seal(cose: &[u8]) -> String {
    format!("{PREFIX}{}", base45_encode(&deflate(cose)))
}
