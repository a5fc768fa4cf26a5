//! A tokenizer for mixed Japanese and English text.
//!
//! Latin letters and digits form words (folded with NFKC and lower-cased, so
//! full-width "Ｒｕｓｔ" is "rust"); runs of Han, Hiragana and Katakana become
//! overlapping character bigrams, which needs no dictionary and gives Japanese
//! recall without splitting words wrongly. A run of one CJK character is kept as a
//! unigram.

use tantivy::tokenizer::{Token, TokenStream, Tokenizer};
use unicode_normalization::UnicodeNormalization;

/// Name under which the tokenizer is registered with the index.
pub const MULTILINGUAL: &str = "multilingual";

/// See the module documentation.
#[derive(Clone, Default)]
pub struct MultilingualTokenizer {
    tokens: Vec<Token>,
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'   // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}' // CJK extension A
        | '\u{4E00}'..='\u{9FFF}' // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}' // compatibility ideographs
        | '\u{31F0}'..='\u{31FF}' // Katakana phonetic extensions
        | '\u{3005}'              // 々 (repetition mark)
    )
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// One piece of normalised text found by [`scan`].
pub(crate) enum Piece<'a> {
    /// A Latin/digit word, lower-cased, with its byte range.
    Word(&'a str, usize, usize),
    /// A maximal run of CJK characters starting at the given byte offset.
    CjkRun(&'a str, usize),
}

/// Walks NFKC-normalised `text`, handing over Latin words and CJK runs in order.
/// Both analyzers share this, so English is indexed identically in the
/// bigram and the morphological fields and only Japanese differs.
pub(crate) fn scan(text: &str, mut piece: impl FnMut(Piece<'_>)) {
    let mut word = String::new();
    let mut word_start = 0;
    let mut run_start: Option<usize> = None;
    for (offset, c) in text.char_indices() {
        if is_cjk(c) {
            if !word.is_empty() {
                piece(Piece::Word(&word, word_start, offset));
                word.clear();
            }
            run_start.get_or_insert(offset);
        } else {
            if let Some(start) = run_start.take() {
                piece(Piece::CjkRun(&text[start..offset], start));
            }
            if is_word_char(c) {
                if word.is_empty() {
                    word_start = offset;
                }
                word.extend(c.to_lowercase());
            } else if !word.is_empty() {
                piece(Piece::Word(&word, word_start, offset));
                word.clear();
            }
        }
    }
    if !word.is_empty() {
        piece(Piece::Word(&word, word_start, text.len()));
    }
    if let Some(start) = run_start {
        piece(Piece::CjkRun(&text[start..], start));
    }
}

/// Splits `text` into tokens as described in the module documentation, calling
/// `emit(term, byte_from, byte_to)` for each. Offsets point into the NFKC form of
/// `text` (composition can merge characters, as in half-width "ｼﾞ" to "ジ").
pub fn tokenize(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let normalized: String = text.nfkc().collect();
    let mut buffer = String::new();
    scan(&normalized, |piece| match piece {
        Piece::Word(word, from, to) => emit(word, from, to),
        Piece::CjkRun(run, start) => {
            let mut chars = run.char_indices();
            let Some((_, first)) = chars.next() else { return };
            let mut previous = (0, first);
            let mut single = true;
            for (offset, c) in chars {
                single = false;
                buffer.clear();
                buffer.push(previous.1);
                buffer.push(c);
                emit(&buffer, start + previous.0, start + offset + c.len_utf8());
                previous = (offset, c);
            }
            if single {
                buffer.clear();
                buffer.push(first);
                emit(&buffer, start, start + run.len());
            }
        }
    });
}

impl Tokenizer for MultilingualTokenizer {
    type TokenStream<'a> = BufferedTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let tokens = &mut self.tokens;
        tokenize(text, |term, from, to| push_token(tokens, term, from, to));
        BufferedTokenStream::new(&mut self.tokens)
    }
}

/// Appends a token at the next position.
pub(crate) fn push_token(tokens: &mut Vec<Token>, term: &str, from: usize, to: usize) {
    let position = tokens.len();
    tokens.push(Token {
        offset_from: from,
        offset_to: to,
        position,
        text: term.to_owned(),
        position_length: 1,
    });
}

/// The tokens of one text, produced eagerly (texts are bounded by validation).
pub struct BufferedTokenStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl<'a> BufferedTokenStream<'a> {
    pub(crate) fn new(tokens: &'a mut [Token]) -> Self {
        Self { tokens, next: 0 }
    }
}

impl TokenStream for BufferedTokenStream<'_> {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next.saturating_sub(1)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next.saturating_sub(1)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        tokenize(text, |t, _, _| out.push(t.to_owned()));
        out
    }

    #[test]
    fn english_words_are_lowercased() {
        assert_eq!(
            terms("Senior Rust/Go engineer (k8s)"),
            ["senior", "rust", "go", "engineer", "k8s"]
        );
    }

    #[test]
    fn japanese_runs_become_bigrams() {
        assert_eq!(
            terms("機械学習エンジニア"),
            ["機械", "械学", "学習", "習エ", "エン", "ンジ", "ジニ", "ニア"]
        );
        assert_eq!(terms("東京都"), ["東京", "京都"]);
        assert_eq!(terms("京"), ["京"]);
    }

    #[test]
    fn mixed_text_and_full_width() {
        assert_eq!(terms("Ｒｕｓｔで開発"), ["rust", "で開", "開発"]);
        assert_eq!(terms("ｴﾝｼﾞﾆｱ"), ["エン", "ンジ", "ジニ", "ニア"]);
    }

    #[test]
    fn offsets_point_into_the_normalized_text() {
        let text = "Go と Rust 開発";
        let normalized: String = text.nfkc().collect();
        tokenize(text, |term, from, to| {
            assert_eq!(normalized[from..to].to_lowercase(), term);
        });
    }
}
