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

/// The tokens of one text, produced eagerly (texts are bounded by validation).
pub struct MultilingualTokenStream<'a> {
    tokens: &'a [Token],
    next: usize,
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

/// Splits `text` into tokens as described in the module documentation, calling
/// `emit(term, byte_from, byte_to)` for each. Offsets point into the NFKC form of
/// `text` (composition can merge characters, as in half-width "ｼﾞ" to "ジ").
pub fn tokenize(text: &str, emit: impl FnMut(&str, usize, usize)) {
    let normalized: String = text.nfkc().collect();
    tokenize_normalized(&normalized, emit);
}

fn tokenize_normalized(text: &str, mut emit: impl FnMut(&str, usize, usize)) {
    let mut word = String::new();
    let mut word_start = 0;
    let mut cjk: Vec<(usize, char)> = Vec::new();
    let mut buffer = String::new();

    let flush_cjk =
        |cjk: &mut Vec<(usize, char)>, end: usize, buffer: &mut String, emit: &mut dyn FnMut(&str, usize, usize)| {
            match cjk.len() {
                0 => {}
                1 => {
                    buffer.clear();
                    buffer.push(cjk[0].1);
                    emit(buffer, cjk[0].0, end);
                }
                _ => {
                    for pair in cjk.windows(2) {
                        buffer.clear();
                        buffer.push(pair[0].1);
                        buffer.push(pair[1].1);
                        let to = pair[1].0 + pair[1].1.len_utf8();
                        emit(buffer, pair[0].0, to);
                    }
                }
            }
            cjk.clear();
        };

    for (offset, c) in text.char_indices() {
        {
            if is_cjk(c) {
                if !word.is_empty() {
                    emit(&word, word_start, offset);
                    word.clear();
                }
                cjk.push((offset, c));
            } else if is_word_char(c) {
                if !cjk.is_empty() {
                    flush_cjk(&mut cjk, offset, &mut buffer, &mut emit);
                }
                if word.is_empty() {
                    word_start = offset;
                }
                word.extend(c.to_lowercase());
            } else {
                if !word.is_empty() {
                    emit(&word, word_start, offset);
                    word.clear();
                }
                if !cjk.is_empty() {
                    flush_cjk(&mut cjk, offset, &mut buffer, &mut emit);
                }
            }
        }
    }
    if !word.is_empty() {
        emit(&word, word_start, text.len());
    }
    flush_cjk(&mut cjk, text.len(), &mut buffer, &mut emit);
}

impl Tokenizer for MultilingualTokenizer {
    type TokenStream<'a> = MultilingualTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let tokens = &mut self.tokens;
        tokenize(text, |term, from, to| {
            let position = tokens.len();
            tokens.push(Token {
                offset_from: from,
                offset_to: to,
                position,
                text: term.to_owned(),
                position_length: 1,
            });
        });
        MultilingualTokenStream {
            tokens: &self.tokens,
            next: 0,
        }
    }
}

impl TokenStream for MultilingualTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        // Filters would mutate tokens; this tokenizer is used without filters.
        unreachable!("MultilingualTokenStream is read-only")
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
