//! The downloads' renderings, read back as a scanner or a reader would: the
//! QR codes decoded with rqrr from the PNG, from the SVG's geometry and from
//! the PDF rasterised by poppler; the PDF's text extracted by poppler.

use std::path::{Path, PathBuf};
use std::process::Command;

use credentials::render::{self, PdfLine, PdfPage, RenderError, Style};
use hcert::{Claims, Kid, Signer};
use platform::i18n::Lang;
use proptest::prelude::*;

use crate::sample;

/// A real HC1 string: the shared sample vaccination, signed with ES256.
fn hc1() -> String {
    let key = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
    let signer = Signer::Es256 { key, kid: Kid([1, 2, 3, 4, 5, 6, 7, 8]) };
    let claims = Claims { issuer: Some("HK".into()), issued_at: 1_622_505_600, expires_at: 1_654_041_600 };
    let text = hcert::encode(&sample::vaccination(), &claims, &signer).unwrap();
    assert!(text.starts_with("HC1:"), "{text}");
    text
}

/// rqrr's number for error-correction level Q (the format bits' value).
const ECC_Q: u16 = 3;

/// A QR code read from an image.
pub(crate) struct Scan {
    pub(crate) meta: rqrr::MetaData,
    pub(crate) text: String,
    /// The symbol's width in pixels (top-left to top-right corner).
    width: f64,
}

/// The QR code in a PNG image.
pub(crate) fn read_qr_png(png_bytes: &[u8]) -> Scan {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("a PNG of sane size")];
    let frame = reader.next_frame(&mut pixels).expect("a PNG frame");
    let channels = frame.color_type.samples();
    let (width, height) = (frame.width as usize, frame.height as usize);
    read_qr(width, height, |x, y| {
        let p = &pixels[y * frame.line_size + x * channels..][..channels];
        match channels {
            1 | 2 => p[0],
            _ => ((u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000) as u8,
        }
    })
}

/// The QR code in an image given by its pixels' luma. The images here are
/// renderings, black on white: one global threshold binarises them (rqrr's
/// adaptive threshold, made for photographs, misses codes in some clean page
/// renderings depending on the code's size relative to the page).
fn read_qr(width: usize, height: usize, mut luma: impl FnMut(usize, usize) -> u8) -> Scan {
    let mut image = rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| luma(x, y) < 128);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (meta, text) = grids[0].decode().expect("a readable QR code");
    let [top_left, top_right, ..] = grids[0].bounds;
    let width = f64::from(top_right.x - top_left.x).hypot(f64::from(top_right.y - top_left.y));
    Scan { meta, text, width }
}

#[test]
fn png_reads_back_as_the_hc1_string_at_level_q() {
    let text = hc1();
    let png = render::qr_png(&text, 4).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let scan = read_qr_png(&png);
    assert_eq!(scan.text, text);
    assert_eq!(scan.meta.ecc_level, ECC_Q, "the DCC specification's recommended level");
}

#[test]
fn png_has_the_quiet_zone_and_its_scale() {
    let text = hc1();
    let png = render::qr_png(&text, 3).unwrap();
    let mut decoder = png::Decoder::new(std::io::Cursor::new(&png[..]));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    let modules = read_qr_png(&png).meta.version.to_size();
    assert_eq!(frame.width as usize, (modules + 8) * 3, "4 light modules each side, 3 px a module");
    assert_eq!(frame.width, frame.height);
    let at = |x: usize, y: usize| pixels[y * frame.line_size + x];
    let side = frame.width as usize;
    // The quiet zone (12 px) is white all round; the finder pattern's corner is black.
    for i in 0..side {
        for d in 0..12 {
            assert_eq!([at(i, d), at(d, i), at(i, side - 1 - d), at(side - 1 - d, i)], [255; 4], "({i}, {d})");
        }
    }
    assert_eq!(at(12, 12), 0);
}

#[test]
fn svg_has_its_accessible_name_and_draws_the_same_code() {
    let text = hc1();
    let svg = render::qr_svg(&text, "QR code of \"Chan\" <vaccination> & more").unwrap();
    let escaped = "QR code of &quot;Chan&quot; &lt;vaccination&gt; &amp; more";
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" "), "{svg}");
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains(&format!(" role=\"img\" aria-label=\"{escaped}\"")), "{svg}");
    assert!(svg.contains(&format!("<title>{escaped}</title>")));
    assert!(svg.contains("shape-rendering=\"crispEdges\""));
    assert_eq!(svg.matches('<').count(), 6, "svg, title, /title, rect, path, /svg, and nothing else");

    // Rasterise it: the white background of the viewBox, each `M x y h n v 1 h -n z` a black run.
    let view = attribute(&svg, "viewBox");
    let side: usize = view.strip_prefix("0 0 ").unwrap().split(' ').next().unwrap().parse().unwrap();
    assert_eq!(view, format!("0 0 {side} {side}"));
    assert!(svg.contains(&format!("<rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>")));
    let scale = 4;
    let mut image = vec![255u8; side * side * scale * scale];
    let mut dark_modules = 0;
    let path = attribute(&svg, "d");
    for run in path.strip_prefix('M').unwrap().strip_suffix('z').unwrap().split("zM") {
        let (x, rest) = run.split_once(' ').unwrap();
        let (y, rest) = rest.split_once('h').unwrap();
        let (n, back) = rest.split_once("v1h-").unwrap();
        assert_eq!(n, back, "each run closes on itself: {run}");
        let (x, y, n): (usize, usize, usize) = (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
        assert!(x >= 4 && y >= 4 && x + n <= side - 4 && y < side - 4, "run {run} outside the quiet zone");
        dark_modules += n;
        for py in y * scale..(y + 1) * scale {
            for px in x * scale..(x + n) * scale {
                image[py * side * scale + px] = 0;
            }
        }
    }
    let scan = read_qr(side * scale, side * scale, |x, y| image[y * side * scale + x]);
    assert_eq!(scan.text, text);
    assert_eq!(side, scan.meta.version.to_size() + 8);
    assert!(dark_modules > side * side / 5, "a plausible share of dark modules: {dark_modules}");
}

/// The value of the first attribute `name` in `svg`.
fn attribute<'a>(svg: &'a str, name: &str) -> &'a str {
    let start = svg.find(&format!(" {name}=\"")).unwrap_or_else(|| panic!("no {name}")) + name.len() + 3;
    &svg[start..start + svg[start..].find('"').unwrap()]
}

#[test]
fn text_too_long_for_any_qr_code_is_an_error_not_a_panic() {
    // 2 953 bytes is the capacity of version 40 at level L in byte mode.
    assert!(render::qr_png(&"a".repeat(2953), 1).is_ok());
    let long = "a".repeat(2954);
    assert!(matches!(render::qr_png(&long, 1), Err(RenderError::TooLong(2954))));
    assert!(matches!(render::qr_svg(&long, "x"), Err(RenderError::TooLong(2954))));
    let page = PdfPage { qr: long, ..page("x".into()) };
    assert!(matches!(render::pdf(&page), Err(RenderError::TooLong(2954))));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn any_printable_ascii_that_fits_reads_back(text in "[ -~]{0,2953}", scale in 2u32..4) {
        let png = render::qr_png(&text, scale).unwrap();
        prop_assert_eq!(read_qr_png(&png).text, text);
    }
}

const NAME: &str = "CHAN Tai Man";
const SUMMARY_EN: &str = "COVID-19 vaccination, Comirnaty, dose 2 of 2, 2021-05-18, Hong Kong";
const SUMMARY_HK: &str = "2019冠狀病毒病疫苗接種：復必泰，第2劑（共2劑），2021-05-18，香港";
const SUMMARY_CN: &str = "新冠病毒疫苗接种：复必泰，第2剂（共2剂），2021-05-18，香港";
const UVCI: &str = "URN:UVCI:01:HK:ABC123#X";

/// The page the resident page will ask for, in the three languages.
fn page(qr: String) -> PdfPage {
    use Lang::{En, ZhCn, ZhHk};
    use Style::{Heading, Note, Text, Title};
    PdfPage {
        title: "Vaccination record – CHAN Tai Man".into(),
        lang: En,
        qr,
        header: vec![
            PdfLine::new(En, Title, "COVID-19 vaccination record"),
            PdfLine::new(ZhHk, Title, "2019冠狀病毒病疫苗接種紀錄"),
            PdfLine::new(ZhCn, Title, "新冠病毒疫苗接种记录"),
        ],
        body: vec![
            PdfLine::new(En, Heading, NAME),
            PdfLine::new(En, Text, "Date of birth: 1980-02-29"),
            PdfLine::new(En, Text, SUMMARY_EN),
            PdfLine::new(En, Text, format!("Certificate identifier: {UVCI}")),
            PdfLine::new(En, Text, "Issued by the Department of Health, Hong Kong, on 2021-06-01"),
            PdfLine::new(ZhHk, Heading, "陳大文"),
            PdfLine::new(ZhHk, Text, "出生日期：1980-02-29"),
            PdfLine::new(ZhHk, Text, SUMMARY_HK),
            PdfLine::new(ZhHk, Text, "簽發：香港衞生署，2021-06-01"),
            PdfLine::new(ZhCn, Heading, "陈大文"),
            PdfLine::new(ZhCn, Text, "出生日期：1980-02-29"),
            PdfLine::new(ZhCn, Text, SUMMARY_CN),
            PdfLine::new(ZhCn, Text, "签发：香港卫生署，2021-06-01"),
            PdfLine::new(En, Note, "Müller – ł – 😀: names in any script"),
        ],
    }
}

/// poppler's tools (pdftoppm, and pdftotext and pdfinfo beside it), or
/// `None` with the reason printed (a failure under CI).
pub(crate) fn poppler() -> Option<PathBuf> {
    let pdftoppm = platform::testkit::service_env("LIONROCK_TEST_PDFTOPPM", "PDF rendering (poppler)")?;
    Some(Path::new(&pdftoppm).parent().expect("a path to pdftoppm").to_owned())
}

/// A PDF written to the temporary folder for poppler, removed when dropped
/// (also when the test fails).
pub(crate) struct TempPdf(pub(crate) PathBuf);

impl TempPdf {
    pub(crate) fn new(name: &str, bytes: &[u8]) -> TempPdf {
        let path = std::env::temp_dir().join(format!("lionrock-render-{}-{name}.pdf", std::process::id()));
        std::fs::write(&path, bytes).unwrap();
        TempPdf(path)
    }
}

impl Drop for TempPdf {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs a poppler tool on the PDF, returns its standard output (where
/// each writes its result when given no output file, or `-`).
pub(crate) fn run(bin: &Path, tool: &str, args: &[&str], pdf: &Path) -> Vec<u8> {
    let mut command = Command::new(bin.join(tool));
    command.args(args).arg(pdf);
    if tool == "pdftotext" {
        command.arg("-");
    }
    let out = command.output().expect("poppler runs");
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn pdf_is_one_a4_page_whose_qr_code_scans_and_whose_text_reads_back() {
    let Some(bin) = poppler() else { return };
    let text = hc1();
    let bytes = render::pdf(&page(text.clone())).unwrap();
    assert_eq!(render::pdf(&page(text.clone())).unwrap(), bytes, "the same page, the same bytes");
    let pdf = TempPdf::new("page", &bytes);
    let file = pdf.0.as_path();

    let info = String::from_utf8(run(&bin, "pdfinfo", &[], file)).unwrap();
    let field = |name: &str| {
        info.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(str::trim).unwrap_or_default()
    };
    assert_eq!(field("Pages"), "1", "{info}");
    assert_eq!(field("Page size"), "595.28 x 841.89 pts (A4)", "{info}");
    assert_eq!(field("Title"), "Vaccination record – CHAN Tai Man", "{info}");

    // Poppler rasterises it at 300 dpi (the code's modules are whole dots
    // there: rqrr, made for photographs, misses some codes whose modules
    // alias to uneven pixel widths); the QR code reads back at level Q.
    let png = run(&bin, "pdftoppm", &["-r", "300", "-png", "-gray", "-singlefile"], file);
    let scan = read_qr_png(&png);
    assert_eq!(scan.text, text);
    assert_eq!(scan.meta.ecc_level, ECC_Q);

    let extracted = String::from_utf8(run(&bin, "pdftotext", &["-enc", "UTF-8"], file)).unwrap();
    for expected in [
        NAME,
        "Date of birth: 1980-02-29",
        SUMMARY_EN,
        UVCI,
        "Issued by the Department of Health, Hong Kong, on 2021-06-01",
        "2019冠狀病毒病疫苗接種紀錄",
        "新冠病毒疫苗接种记录",
        "陳大文",
        SUMMARY_HK,
        "簽發：香港衞生署，2021-06-01",
        "陈大文",
        SUMMARY_CN,
        "签发：香港卫生署，2021-06-01",
        // WinAnsi, a letter only the CJK font has, and a character outside UCS-2 replaced.
        "Müller – ł – ?: names in any script",
    ] {
        assert!(extracted.contains(expected), "{expected:?} not in the PDF's text:\n{extracted}");
    }
}

#[test]
fn pdf_qr_code_is_at_least_60_mm_wide_even_on_a_full_page() {
    let Some(bin) = poppler() else { return };
    let text = hc1();
    let mut full = page(text.clone());
    // Far more lines than a page holds: the text shrinks, the code stays scannable.
    let extra = full.body.clone();
    for _ in 0..3 {
        full.body.extend(extra.iter().cloned());
    }
    let mut widths = Vec::new();
    for (name, page) in [("normal", page(text.clone())), ("full", full)] {
        let pdf = TempPdf::new(name, &render::pdf(&page).unwrap());
        let png = run(&bin, "pdftoppm", &["-r", "300", "-png", "-gray", "-singlefile"], &pdf.0);
        let scan = read_qr_png(&png);
        assert_eq!(scan.text, text, "{name}");
        // 300 dpi: a pixel is 25.4 / 300 mm.
        widths.push(scan.width * 25.4 / 300.0);
    }
    let [normal, full] = widths[..] else { unreachable!() };
    assert!((66.0..=75.0).contains(&normal), "the QR code is {normal:.1} mm wide");
    assert!((59.5..normal).contains(&full), "on a full page the QR code is {full:.1} mm wide");
}
