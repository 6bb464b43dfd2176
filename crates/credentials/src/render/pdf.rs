//! The one-page A4 PDF of a credential: text lines above and below its QR
//! code, in any of the three languages.
//!
//! Written with `pdf-writer` and no embedded fonts, so a page is some tens
//! of kilobytes: Latin text in Helvetica (a standard font every reader has),
//! Traditional Chinese in `MSung-Light` and Simplified in `STSong-Light`,
//! the CJK fonts PDF readers supply themselves (Adobe-CNS1 and Adobe-GB1
//! with the predefined `UniCNS-UCS2-H` / `UniGB-UCS2-H` CMaps). Each CJK
//! font carries a `ToUnicode` CMap of the characters used, so copying and
//! text extraction give the same text back. The QR code is one path of
//! rectangles: sharp at any zoom, about 70 mm wide (at least 60 mm when the
//! page is full), each module a whole number of printer dots.

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use platform::i18n::Lang;

use super::text::{self, Font};
use super::{Matrix, QUIET_ZONE, RenderError};

/// A4 in points.
const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
/// 20 mm.
const MARGIN: f32 = 56.69;
/// Points in a millimetre.
const MM: f32 = 72.0 / 25.4;
/// The QR symbol's width (without its quiet zone), about, and the least it
/// may shrink to when the text needs the room.
const QR_WIDTH: f32 = 70.0 * MM;
const QR_MIN_WIDTH: f32 = 60.0 * MM;
/// A dot of a 300 dpi printer.
const DOT: f32 = 72.0 / 300.0;
/// Space between the header, the QR code and the body.
const GAP: f32 = 12.0;
/// The smallest factor text is scaled by to fit the page.
const MIN_TEXT_SCALE: f32 = 0.6;

/// What the PDF shows; all text already translated.
#[derive(Debug, Clone)]
pub struct PdfPage {
    /// The document's title (its metadata; readers show it in the title bar).
    pub title: String,
    /// The document's main language (its metadata).
    pub lang: Lang,
    /// The text of the QR code: the HC1 string.
    pub qr: String,
    /// Lines above the QR code: the title in each language.
    pub header: Vec<PdfLine>,
    /// Lines below it: the holder, the record, the UVCI, the issuer.
    pub body: Vec<PdfLine>,
}

/// One line of text (wrapped when too long for the page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfLine {
    /// Its language: the font for its Chinese characters, and its `Lang`
    /// for screen readers.
    pub lang: Lang,
    pub text: String,
    pub style: Style,
}

impl PdfLine {
    pub fn new(lang: Lang, style: Style, text: impl Into<String>) -> PdfLine {
        PdfLine { lang, text: text.into(), style }
    }
}

/// How a line looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// The document's title: 18 pt.
    Title,
    /// A section heading: 12 pt, with space above.
    Heading,
    /// Ordinary text: 10 pt.
    Text,
    /// Small print: 8 pt.
    Note,
}

impl Style {
    /// Font size in points.
    fn size(self) -> f32 {
        match self {
            Style::Title => 18.0,
            Style::Heading => 12.0,
            Style::Text => 10.0,
            Style::Note => 8.0,
        }
    }

    /// Space above the line, in points.
    fn space_before(self) -> f32 {
        match self {
            Style::Heading => 8.0,
            _ => 0.0,
        }
    }
}

/// The CJK font for a line's non-Latin characters. English lines use the
/// Traditional one: a Hong Kong resident's name in Chinese characters is
/// written in Traditional ones.
fn cjk_font(lang: Lang) -> Font {
    match lang {
        Lang::ZhCn => Font::Simplified,
        Lang::En | Lang::ZhHk => Font::Traditional,
    }
}

/// A line after wrapping: where it goes and what it shows.
struct Placed<'a> {
    line: &'a PdfLine,
    text: String,
    size: f32,
    baseline: f32,
}

/// Lines' wrapped pieces at `scale`, from `top` down: their placements and
/// the height used.
fn layout<'a>(lines: &'a [PdfLine], scale: f32, top: f32) -> (Vec<Placed<'a>>, f32) {
    let max = PAGE_WIDTH - 2.0 * MARGIN;
    let mut y = top;
    let mut placed = Vec::new();
    for line in lines {
        let size = line.style.size() * scale;
        y -= line.style.space_before() * scale;
        // Widths are in thousandths of the size.
        let max_units = (max / size * 1000.0) as u32;
        for piece in text::wrap(&line.text, cjk_font(line.lang), max_units) {
            let leading = size * 1.35;
            placed.push(Placed { line, text: piece, size, baseline: y - size });
            y -= leading;
        }
    }
    (placed, top - y)
}

/// The size of a module: whole dots of a 300 dpi printer (so also of 600
/// and 1200 dpi ones, and whole pixels at 300 dpi), so that every module
/// prints the same size; near `width` for the symbol, never below 60 mm.
fn module_size(modules: usize, width: f32) -> f32 {
    let modules = modules as f32;
    let mut dots = (width / modules / DOT).round().max(1.0);
    while dots * DOT * modules < QR_MIN_WIDTH {
        dots += 1.0;
    }
    dots * DOT
}

/// `x` on the 300 dpi dot grid.
fn snap(x: f32) -> f32 {
    (x / DOT).round() * DOT
}

/// The page: text scaled down (to 60 %) and then the QR code narrowed (to
/// 60 mm) only when the lines do not fit. Returns the header's and body's
/// placements, the module size and the QR symbol's top (without the quiet
/// zone) as a distance from the top of the page.
fn arrange(page: &PdfPage, modules: usize) -> (Vec<Placed<'_>>, Vec<Placed<'_>>, f32, f32) {
    let top = PAGE_HEIGHT - MARGIN;
    let attempt = |scale: f32, module: f32| {
        let (header, header_height) = layout(&page.header, scale, top);
        // From the page's top edge, on the dot grid like the module size.
        let symbol_top = snap(MARGIN + header_height + GAP + QUIET_ZONE as f32 * module);
        let body_top = PAGE_HEIGHT - symbol_top - (modules + QUIET_ZONE) as f32 * module - GAP;
        let (body, body_height) = layout(&page.body, scale, body_top);
        let fits = body_top - body_height >= MARGIN;
        (header, body, symbol_top, fits)
    };
    let module = module_size(modules, QR_WIDTH);
    let mut scale = 1.0;
    loop {
        let (header, body, symbol_top, fits) = attempt(scale, module);
        if fits {
            return (header, body, module, symbol_top);
        }
        if scale <= MIN_TEXT_SCALE {
            break;
        }
        scale = (scale - 0.05).max(MIN_TEXT_SCALE);
    }
    // Still too much text: the smaller QR code. Text that does not fit even
    // then runs off the page (our pages have a dozen or two short lines).
    let module = module_size(modules, QR_MIN_WIDTH);
    let (header, body, symbol_top, _) = attempt(MIN_TEXT_SCALE, module);
    (header, body, module, symbol_top)
}

/// Object numbers.
const CATALOG: Ref = Ref::new(1);
const PAGES: Ref = Ref::new(2);
const PAGE: Ref = Ref::new(3);
const CONTENT: Ref = Ref::new(4);
const INFO: Ref = Ref::new(5);
const HELVETICA: Ref = Ref::new(6);
/// Each CJK font takes four: Type0 font, CIDFont, descriptor, ToUnicode.
const TRADITIONAL: i32 = 10;
const SIMPLIFIED: i32 = 20;

/// A CJK font's fixed facts.
struct Cjk {
    font: Font,
    resource: &'static [u8],
    first_ref: i32,
    base_font: &'static [u8],
    type0_name: &'static [u8],
    cmap: &'static [u8],
    ordering: &'static [u8],
    supplement: i32,
    bbox: [f32; 4],
    ascent: f32,
    descent: f32,
    stem_v: f32,
}

const CJK_FONTS: [Cjk; 2] = [
    Cjk {
        font: Font::Traditional,
        resource: b"FT",
        first_ref: TRADITIONAL,
        base_font: b"MSung-Light",
        type0_name: b"MSung-Light-UniCNS-UCS2-H",
        cmap: b"UniCNS-UCS2-H",
        ordering: b"CNS1",
        supplement: 0,
        bbox: [-160.0, -259.0, 1015.0, 888.0],
        ascent: 880.0,
        descent: -120.0,
        stem_v: 93.0,
    },
    Cjk {
        font: Font::Simplified,
        resource: b"FS",
        first_ref: SIMPLIFIED,
        base_font: b"STSong-Light",
        type0_name: b"STSong-Light-UniGB-UCS2-H",
        cmap: b"UniGB-UCS2-H",
        ordering: b"GB1",
        supplement: 2,
        bbox: [-25.0, -254.0, 1000.0, 880.0],
        ascent: 857.0,
        descent: -143.0,
        stem_v: 91.0,
    },
];

fn resource(font: Font) -> Name<'static> {
    match font {
        Font::Latin => Name(b"FL"),
        Font::Traditional => Name(CJK_FONTS[0].resource),
        Font::Simplified => Name(CJK_FONTS[1].resource),
    }
}

/// The PDF of `page`: one A4 page, its text selectable, its QR code drawn
/// as vector rectangles. Deterministic (no dates in the metadata).
pub fn pdf(page: &PdfPage) -> Result<Vec<u8>, RenderError> {
    let matrix = Matrix::new(&page.qr)?;
    let (header, body, module, symbol_top) = arrange(page, matrix.width());

    let mut content = Content::new();
    // The QR code: black modules on the white page, one path, one fill; the
    // quiet zone is the page's own white.
    let left = snap((PAGE_WIDTH - module * matrix.width() as f32) / 2.0);
    let top = PAGE_HEIGHT - symbol_top;
    content.save_state();
    content.set_fill_gray(0.0);
    for (x, y, n) in matrix.dark_runs() {
        content.rect(left + x as f32 * module, top - (y + 1) as f32 * module, n as f32 * module, module);
    }
    content.fill_nonzero();
    content.restore_state();

    // The text, each line marked with its language.
    let mut used: [Vec<u16>; 2] = [Vec::new(), Vec::new()];
    for placed in header.iter().chain(&body) {
        let tag = placed.line.lang.tag();
        content.begin_marked_content_with_properties(Name(b"Span")).properties().pair(Name(b"Lang"), TextStr(tag));
        content.begin_text();
        content.set_fill_gray(0.0);
        content.next_line(MARGIN, placed.baseline);
        for run in text::runs(&placed.text, cjk_font(placed.line.lang)) {
            content.set_font(resource(run.font), placed.size);
            content.show(Str(&run.bytes));
            if let Some(i) = CJK_FONTS.iter().position(|f| f.font == run.font) {
                used[i].extend(run.bytes.chunks_exact(2).map(|u| u16::from_be_bytes([u[0], u[1]])));
            }
        }
        content.end_text();
        content.end_marked_content();
    }

    let mut pdf = Pdf::new();
    let mut catalog = pdf.catalog(CATALOG);
    catalog.pages(PAGES);
    catalog.lang(TextStr(page.lang.tag()));
    catalog.viewer_preferences().display_doc_title(true);
    catalog.finish();
    pdf.document_info(INFO).title(TextStr(&page.title)).producer(TextStr("Lionrock"));
    pdf.pages(PAGES).kids([PAGE]).count(1);

    let mut pdf_page = pdf.page(PAGE);
    pdf_page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT));
    pdf_page.parent(PAGES);
    pdf_page.contents(CONTENT);
    let mut resources = pdf_page.resources();
    let mut fonts = resources.fonts();
    fonts.pair(resource(Font::Latin), HELVETICA);
    for (cjk, used) in CJK_FONTS.iter().zip(&used) {
        if !used.is_empty() {
            fonts.pair(Name(cjk.resource), Ref::new(cjk.first_ref));
        }
    }
    fonts.finish();
    resources.finish();
    pdf_page.finish();

    pdf.type1_font(HELVETICA).base_font(Name(b"Helvetica")).encoding_predefined(Name(b"WinAnsiEncoding"));
    for (cjk, used) in CJK_FONTS.iter().zip(used.iter_mut()) {
        if used.is_empty() {
            continue;
        }
        used.sort_unstable();
        used.dedup();
        write_cjk_font(&mut pdf, cjk, used);
    }
    pdf.stream(CONTENT, &content.finish());
    Ok(pdf.finish())
}

/// A non-embedded CJK font: Type0 over a CIDFontType0 with a predefined
/// UCS-2 CMap, and a ToUnicode map of the `used` code units to themselves.
fn write_cjk_font(pdf: &mut Pdf, cjk: &Cjk, used: &[u16]) {
    let [type0, cid, descriptor, to_unicode] = [0, 1, 2, 3].map(|i| Ref::new(cjk.first_ref + i));
    let info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(cjk.ordering), supplement: cjk.supplement };

    pdf.type0_font(type0)
        .base_font(Name(cjk.type0_name))
        .encoding_predefined(Name(cjk.cmap))
        .descendant_font(cid)
        .to_unicode(to_unicode);
    pdf.cid_font(cid)
        .subtype(CidFontType::Type0)
        .base_font(Name(cjk.base_font))
        .system_info(info)
        .font_descriptor(descriptor)
        .default_width(1000.0);
    pdf.font_descriptor(descriptor)
        .name(Name(cjk.base_font))
        .flags(FontFlags::SERIF | FontFlags::SYMBOLIC)
        .bbox(Rect::new(cjk.bbox[0], cjk.bbox[1], cjk.bbox[2], cjk.bbox[3]))
        .italic_angle(0.0)
        .ascent(cjk.ascent)
        .descent(cjk.descent)
        .cap_height(cjk.ascent)
        .stem_v(cjk.stem_v);

    let mut cmap = UnicodeCmap::new(Name(b"Lionrock-UCS2"), info);
    for &unit in used {
        // The code is the character (UCS-2); never a surrogate, as runs hold
        // only characters of the Basic Multilingual Plane.
        if let Some(c) = char::from_u32(u32::from(unit)) {
            cmap.pair(unit, c);
        }
    }
    pdf.cmap(to_unicode, &cmap.finish());
}
