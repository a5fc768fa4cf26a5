//! Text folded for comparison: width, case and spacing.

use unicode_normalization::UnicodeNormalization;

/// Folds width, case and spacing so "Ｋｕｂｅｒｎｅｔｅｓ ", "kubernetes" and
/// "KUBERNETES" compare equal (NFKC, lower case, single spaces).
pub fn normalize(text: &str) -> String {
    // NFKC leaves ASCII and already-normalised text unchanged; skipping the
    // composition machinery for them matters because ranking normalises every
    // skill of every candidate.
    if text.is_ascii() {
        fold_case_and_space(text.chars().map(|c| c.to_ascii_lowercase()), text.len())
    } else if unicode_normalization::is_nfkc_quick(text.chars()) == unicode_normalization::IsNormalized::Yes {
        fold_case_and_space(text.chars().flat_map(char::to_lowercase), text.len())
    } else {
        fold_case_and_space(text.nfkc().flat_map(char::to_lowercase), text.len())
    }
}

/// Collects lower-cased characters with whitespace runs folded to one space and
/// none at either end.
fn fold_case_and_space(lowered: impl Iterator<Item = char>, capacity: usize) -> String {
    let mut out = String::with_capacity(capacity);
    let mut pending_space = false;
    for c in lowered {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_folds_width_case_and_space() {
        assert_eq!(normalize("  Ｋｕｂｅｒｎｅｔｅｓ   Ops "), "kubernetes ops");
        assert_eq!(normalize("機械学習"), "機械学習");
        assert_eq!(normalize("ｾｰﾙｽ"), "セールス");
    }

    proptest::proptest! {
        /// The shortcuts for ASCII and already-NFKC text change nothing.
        #[test]
        fn normalize_equals_nfkc_then_fold(text in "(\\PC|[ \t\u{3000}ｱ-ﾝﾞﾟＡ-Ｚ①-⑳ﬁ])*") {
            let reference = fold_case_and_space(text.nfkc().flat_map(char::to_lowercase), 0);
            proptest::prop_assert_eq!(normalize(&text), reference);
        }
    }
}
