//! How the search index reads text, the same way for records and queries:
//! Traditional Chinese folded to Simplified (jieba's dictionary is
//! Simplified, and a reader may type either script), lower case, words cut
//! by jieba (search mode, so a long word is also found by its parts), a
//! Latin run split at anything but letters and digits, then English stems.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Language, Stemmer, TextAnalyzer, Token, TokenStream, Tokenizer};

/// The analyzer's name in the index (words stemmed).
pub const ANALYZER: &str = "lionrock";
/// The unstemmed analyzer's name (for typo tolerance: a typo is a
/// distance between words as written, not between stems).
pub const WORDS: &str = "lionrock_words";

/// jieba with its built-in dictionary, loaded once per process (a few
/// hundred milliseconds) and shared by every index.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Traditional characters as Simplified, lower case: the one script and
/// case the index holds.
pub fn fold(text: &str) -> String {
    fast2s::convert(&text.to_lowercase())
}

/// The analyzer records and queries go through.
pub fn analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(Words).filter(Stemmer::new(Language::English)).build()
}

/// The analyzer without stems.
pub fn words() -> TextAnalyzer {
    TextAnalyzer::builder(Words).build()
}

fn run(mut analyzer: TextAnalyzer, text: &str) -> Vec<String> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token().text.clone());
    }
    out
}

/// The terms `text` becomes (stemmed, folded), in order.
pub fn terms(text: &str) -> Vec<String> {
    run(analyzer(), text)
}

/// Each term of `text` with the word it came from (folded, not stemmed).
pub fn terms_and_words(text: &str) -> Vec<(String, String)> {
    terms(text).into_iter().zip(run(words(), text)).collect()
}

/// Cuts folded text into words.
#[derive(Clone, Copy, Debug, Default)]
pub struct Words;

/// The words of one text, cut in advance.
pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
}

impl Tokenizer for Words {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let folded = fold(text);
        let mut tokens: Vec<Token> = Vec::new();
        // Search mode cuts a Latin run such as `air-quality` or `pm2.5`
        // whole and in parts: each piece (at its place) once.
        let mut seen = HashSet::new();
        for cut in JIEBA.cut_for_search(&folded, true) {
            let word = cut.word;
            let mut run: Option<usize> = None;
            for (i, c) in word.char_indices().chain(std::iter::once((word.len(), ' '))) {
                if c.is_alphanumeric() {
                    run.get_or_insert(i);
                    continue;
                }
                let Some(start) = run.take() else { continue };
                let piece = &word[start..i];
                if seen.insert((cut.byte_start + start, piece)) {
                    tokens.push(Token {
                        offset_from: cut.byte_start + start,
                        offset_to: cut.byte_start + i,
                        position: tokens.len(),
                        text: piece.to_owned(),
                        position_length: 1,
                    });
                }
            }
        }
        WordStream { tokens, next: 0 }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_scripts_read_as_one() {
        assert_eq!(fold("空氣質素 Air"), "空气质素 air");
        assert_eq!(terms("空氣質素健康指數"), terms("空气质素健康指数"));
        assert!(terms("香港天文台每日雨量").contains(&"雨量".to_owned()), "{:?}", terms("香港天文台每日雨量"));
    }

    #[test]
    fn english_is_stemmed_and_latin_runs_split() {
        assert_eq!(terms("Parking Vacancies"), ["park", "vacanc"]);
        assert_eq!(terms("air-quality PM2.5"), ["air", "qualiti", "pm2", "5"]);
        assert_eq!(terms("，。 ！"), Vec::<String>::new(), "punctuation is no term");
    }
}
