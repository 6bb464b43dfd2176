//! Residents' downloads of a credential: the QR code as SVG (on the page) and
//! PNG, and a one-page A4 PDF. Pure functions: no I/O, no clock, the same
//! input always gives the same bytes.
//!
//! The QR code uses error-correction level Q (about 25 % of the code words
//! can be lost), which the eHealth Network's DCC technical specification
//! (volume 1, "2D barcode") recommends for HC1 strings; when a text is too
//! long for Q it falls back to M, then L, the highest level it fits. Every
//! rendering keeps the quiet zone of 4 light modules round the symbol that
//! the QR standard requires, dark modules on white.

mod pdf;
mod text;

pub use pdf::{PdfLine, PdfPage, Style, pdf};

use qrcode::{Color, EcLevel, QrCode};

/// Light modules round the symbol on each side (ISO/IEC 18004).
pub const QUIET_ZONE: usize = 4;

/// The largest PNG scale (pixels per module) `qr_png` makes: a version-40
/// code at this scale is 5 920 pixels wide.
pub const MAX_PNG_SCALE: u32 = 32;

/// Why a rendering failed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The text does not fit in the largest QR code at the lowest
    /// error-correction level.
    #[error("the text ({0} bytes) is too long for a QR code")]
    TooLong(usize),
}

/// The QR code of a text: a square of modules, row by row, `true` = dark.
/// Without the quiet zone.
pub(crate) struct Matrix {
    width: usize,
    dark: Vec<bool>,
}

impl Matrix {
    /// The code at level Q, or the highest level below it that fits.
    pub(crate) fn new(text: &str) -> Result<Matrix, RenderError> {
        let code = [EcLevel::Q, EcLevel::M, EcLevel::L]
            .into_iter()
            .find_map(|level| QrCode::with_error_correction_level(text.as_bytes(), level).ok())
            .ok_or(RenderError::TooLong(text.len()))?;
        Ok(Matrix { width: code.width(), dark: code.into_colors().into_iter().map(|c| c == Color::Dark).collect() })
    }

    /// Modules on a side, without the quiet zone.
    pub(crate) fn width(&self) -> usize {
        self.width
    }

    pub(crate) fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark[y * self.width + x]
    }

    /// Each row's horizontal runs of dark modules: `(x, y, length)`.
    pub(crate) fn dark_runs(&self) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        (0..self.width).flat_map(move |y| {
            let mut runs = Vec::new();
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
            runs
        })
    }
}

/// The QR code of `text` as an SVG image whose accessible name is `label`
/// (`role="img"`, `aria-label` and `<title>`). One module is one user unit;
/// the quiet zone is part of the white background, the dark modules are one
/// path of horizontal runs (`M x y h n v 1 h -n z`), drawn with crisp edges.
/// Its intrinsic size is 4 px a module; CSS may scale it.
pub fn qr_svg(text: &str, label: &str) -> Result<String, RenderError> {
    let matrix = Matrix::new(text)?;
    let side = matrix.width() + 2 * QUIET_ZONE;
    let label = xml_escape(label);
    let mut path = String::new();
    for (x, y, n) in matrix.dark_runs() {
        path.push_str(&format!("M{} {}h{n}v1h-{n}z", x + QUIET_ZONE, y + QUIET_ZONE));
    }
    Ok(format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {side} {side}" width="{px}" height="{px}" "#,
            r#"role="img" aria-label="{label}" shape-rendering="crispEdges">"#,
            r#"<title>{label}</title>"#,
            r##"<rect width="{side}" height="{side}" fill="#fff"/>"##,
            r##"<path fill="#000" d="{path}"/>"##,
            "</svg>"
        ),
        side = side,
        px = side * 4,
        label = label,
        path = path,
    ))
}

/// The QR code of `text` as a 1-bit greyscale PNG, `scale` pixels a module
/// (clamped to 1..=[`MAX_PNG_SCALE`]), with the quiet zone.
pub fn qr_png(text: &str, scale: u32) -> Result<Vec<u8>, RenderError> {
    let matrix = Matrix::new(text)?;
    let scale = scale.clamp(1, MAX_PNG_SCALE) as usize;
    let side = (matrix.width() + 2 * QUIET_ZONE) * scale;
    let row_bytes = side.div_ceil(8);
    // 1-bit greyscale: 1 is white. Start all white, clear the dark pixels.
    let mut pixels = vec![0xFF_u8; row_bytes * side];
    for (x, y, n) in matrix.dark_runs() {
        for py in (y + QUIET_ZONE) * scale..(y + QUIET_ZONE + 1) * scale {
            for px in (x + QUIET_ZONE) * scale..(x + QUIET_ZONE + n) * scale {
                pixels[py * row_bytes + px / 8] &= !(0x80 >> (px % 8));
            }
        }
    }
    // The side is at most (177 + 8) × 32 pixels, far below u32::MAX.
    let side = u32::try_from(side).unwrap_or(u32::MAX);
    Ok(png_grey1(side, side, row_bytes, &pixels))
}

/// A PNG of 1-bit greyscale rows (`row_bytes` each): the signature, IHDR,
/// one IDAT (zlib, each row with filter type 0) and IEND. Written here, on
/// the zlib hcert already uses, rather than through the `png` crate, whose
/// older zlib would put a second `miniz_oxide` in the binary.
fn png_grey1(width: u32, height: u32, row_bytes: usize, pixels: &[u8]) -> Vec<u8> {
    use std::io::Write;

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    // Bit depth 1, colour type 0 (greyscale), deflate, filtering method 0, no interlace.
    ihdr.extend_from_slice(&[1, 0, 0, 0, 0]);

    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for row in pixels.chunks(row_bytes.max(1)) {
        // Writing to a Vec cannot fail.
        let _ = zlib.write_all(&[0]);
        let _ = zlib.write_all(row);
    }
    let idat = zlib.finish().unwrap_or_default();

    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", &ihdr[..]), (b"IDAT", &idat[..]), (b"IEND", &[][..])] {
        // Chunks here are far below 4 GiB.
        out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
        let start = out.len();
        out.extend_from_slice(kind);
        out.extend_from_slice(data);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_be_bytes());
    }
    out
}

/// `s` safe in XML text and attribute values.
fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
