//! Text for the PDF without embedded fonts: which of the page's fonts shows
//! each character, its bytes in that font's encoding, its width, and line
//! breaking.
//!
//! Characters in Windows-1252 (`WinAnsiEncoding`) go to Helvetica, one byte
//! each; all other characters of the Basic Multilingual Plane go to a CJK
//! font whose encoding is a Unicode CMap (`Uni…-UCS2-H`): two bytes each,
//! the UTF-16 code unit. Anything else (outside the BMP, or a control
//! character) is shown as `?` rather than failing.

/// The fonts a line can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Font {
    /// Helvetica, `WinAnsiEncoding` (one of the 14 standard fonts).
    Latin,
    /// `MSung-Light`, Adobe-CNS1, `UniCNS-UCS2-H` (Traditional Chinese).
    Traditional,
    /// `STSong-Light`, Adobe-GB1, `UniGB-UCS2-H` (Simplified Chinese).
    Simplified,
}

/// A stretch of a line in one font: its encoded bytes and its width in
/// thousandths of the font size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    pub(crate) font: Font,
    pub(crate) bytes: Vec<u8>,
    pub(crate) width: u32,
}

/// Where a character goes: its font, encoded bytes and width (thousandths of
/// an em). `cjk` is the CJK font for characters Helvetica lacks.
fn place(c: char, cjk: Font) -> (Font, Vec<u8>, u32) {
    let c = if c.is_control() { ' ' } else { c };
    if let Some(byte) = win_ansi(c) {
        return (Font::Latin, vec![byte], helvetica_width(byte));
    }
    match u16::try_from(u32::from(c)) {
        // Every char in the BMP is a Unicode scalar value, so never a surrogate.
        Ok(unit) => (cjk, unit.to_be_bytes().to_vec(), 1000),
        Err(_) => (Font::Latin, vec![b'?'], helvetica_width(b'?')),
    }
}

/// `text` as runs of consecutive characters in the same font.
pub(crate) fn runs(text: &str, cjk: Font) -> Vec<Run> {
    let mut runs: Vec<Run> = Vec::new();
    for c in text.chars() {
        let (font, bytes, width) = place(c, cjk);
        match runs.last_mut() {
            Some(run) if run.font == font => {
                run.bytes.extend_from_slice(&bytes);
                run.width += width;
            }
            _ => runs.push(Run { font, bytes, width }),
        }
    }
    runs
}

/// The width of `text` in thousandths of the font size.
pub(crate) fn width(text: &str, cjk: Font) -> u32 {
    text.chars().map(|c| place(c, cjk).2).sum()
}

/// `text` broken into lines no wider than `max` (thousandths of the font
/// size): at spaces, between CJK characters, and inside a word only when the
/// word alone is too wide. Leading spaces of continuation lines are dropped.
pub(crate) fn wrap(text: &str, cjk: Font, max: u32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut line_width = 0;
    for token in tokens(text) {
        let token_width = width(token, cjk);
        if line_width + token_width <= max {
            line.push_str(token);
            line_width += token_width;
            continue;
        }
        if token.trim().is_empty() {
            // A space at the end of a full line: break there.
            lines.push(std::mem::take(&mut line));
            line_width = 0;
            continue;
        }
        if !line.trim().is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        line.clear();
        line_width = 0;
        // A word wider than a line: break it anywhere.
        for c in token.chars() {
            let w = place(c, cjk).2;
            if line_width + w > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_width = 0;
            }
            line.push(c);
            line_width += w;
        }
    }
    if !line.trim().is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines.into_iter().map(|l| l.trim_end().to_owned()).collect()
}

/// Words, single spaces and single CJK characters (which can be broken
/// between), in order.
fn tokens(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let breaks_alone = c.is_whitespace() || is_wide(c);
        if breaks_alone {
            if start < i {
                tokens.push(&text[start..i]);
            }
            tokens.push(&text[i..i + c.len_utf8()]);
            start = i + c.len_utf8();
        }
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    tokens
}

/// A character of a script written without spaces (CJK ideographs, kana,
/// Hangul, full-width forms and CJK punctuation): a line may break after it.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c), 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF)
}

/// The Windows-1252 byte of `c`, if it has one (PDF's `WinAnsiEncoding`).
fn win_ansi(c: char) -> Option<u8> {
    let code = u32::from(c);
    if (0x20..=0x7E).contains(&code) || (0xA0..=0xFF).contains(&code) {
        return u8::try_from(code).ok();
    }
    let byte = match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '\u{2018}' => 0x91,
        '\u{2019}' => 0x92,
        '\u{201C}' => 0x93,
        '\u{201D}' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    };
    Some(byte)
}

/// Helvetica's advance widths (its AFM) for printable ASCII, 0x20..=0x7E.
const HELVETICA_ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // space … /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0 … ?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @ … O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P … _
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // ` … o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p … ~
];

/// The width of a WinAnsi byte in Helvetica. Exact for ASCII; for the
/// others (accented letters and symbols) the width of the widest letter of
/// their kind, so wrapping errs towards shorter lines.
fn helvetica_width(byte: u8) -> u32 {
    match byte {
        0x20..=0x7E => u32::from(HELVETICA_ASCII[usize::from(byte - 0x20)]),
        // Æ, Œ, œ, æ, —, ‰, ™, …
        0xC6 | 0x8C | 0x9C | 0xE6 | 0x97 | 0x89 | 0x99 | 0x85 => 1000,
        // Capital letters with accents.
        0xC0..=0xDE | 0x8A | 0x8E | 0x9F => 778,
        _ => 611,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_text_is_one_helvetica_run() {
        let runs = runs("Chan Tai Man", Font::Traditional);
        assert_eq!(runs.len(), 1);
        assert_eq!(runs[0].font, Font::Latin);
        assert_eq!(runs[0].bytes, b"Chan Tai Man");
    }

    #[test]
    fn chinese_goes_to_the_cjk_font_as_ucs2_and_latin_stays_helvetica() {
        let runs = runs("姓名: 陳", Font::Traditional);
        assert_eq!(runs.len(), 3);
        assert_eq!((runs[0].font, runs[0].bytes.as_slice()), (Font::Traditional, &[0x59, 0xD3, 0x54, 0x0D][..]));
        assert_eq!((runs[1].font, runs[1].bytes.as_slice()), (Font::Latin, &b": "[..]));
        assert_eq!((runs[2].font, runs[2].bytes.as_slice()), (Font::Traditional, &[0x96, 0x73][..]));
    }

    #[test]
    fn characters_outside_the_bmp_and_controls_are_replaced() {
        let runs = runs("a😀\u{7}b", Font::Simplified);
        assert_eq!(runs, vec![Run { font: Font::Latin, bytes: b"a? b".to_vec(), width: 556 + 556 + 278 + 556 }]);
    }

    #[test]
    fn win_ansi_covers_latin_1_and_the_windows_extras() {
        assert_eq!(win_ansi('é'), Some(0xE9));
        assert_eq!(win_ansi('€'), Some(0x80));
        assert_eq!(win_ansi('ł'), None);
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_between_cjk_characters() {
        // "aaa " is 556 * 3 + 278 wide.
        assert_eq!(wrap("aaa bbb ccc", Font::Traditional, 556 * 7 + 278), vec!["aaa bbb", "ccc"]);
        assert_eq!(wrap("一二三四五", Font::Traditional, 2000), vec!["一二", "三四", "五"]);
        assert_eq!(wrap("abcdefgh", Font::Traditional, 556 * 3), vec!["abc", "def", "gh"]);
        assert_eq!(wrap("", Font::Traditional, 1000), vec![""]);
    }
}
