//! Small text helpers shared by the alumni and opportunity templates.

/// Words kept lower-case inside an English title.
const MINOR_WORDS: &[&str] = &["a", "an", "and", "for", "in", "of", "on", "the", "to", "with"];

/// "software developer" → "Software Developer"; words already holding capitals
/// ("ICT", "eBusiness", "3D") are left alone.
pub(crate) fn title_case(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, word) in text.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if (i > 0 && MINOR_WORDS.contains(&word)) || word.chars().any(char::is_uppercase) {
            out.push_str(word);
            continue;
        }
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

/// "a", "a and b", "a, b and c".
pub(crate) fn join_en(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// "a", "a、b", "a、b、c" (Japanese enumeration comma).
pub(crate) fn join_ja(items: &[&str]) -> String {
    items.join("、")
}

/// Japanese corporate ranks, by seniority step (0 = no title).
pub(crate) const JA_RANKS: [&str; 4] = ["", "主任", "課長", "部長"];

/// English seniority labels for opportunities, by step.
pub(crate) const EN_SENIORITY: [&str; 4] = ["junior", "mid-level", "senior", "lead"];

/// Japanese seniority labels for opportunities, by step.
pub(crate) const JA_SENIORITY: [&str; 4] = ["メンバー", "主任", "課長", "部長"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_cased_like_job_titles() {
        assert_eq!(title_case("software developer"), "Software Developer");
        assert_eq!(
            title_case("ICT help desk agent"),
            "ICT Help Desk Agent",
            "acronyms kept"
        );
        assert_eq!(
            title_case("head of research and development"),
            "Head of Research and Development"
        );
        assert_eq!(title_case("グラフィックデザイナー"), "グラフィックデザイナー");
    }

    #[test]
    fn lists_join_naturally() {
        assert_eq!(join_en(&["SQL"]), "SQL");
        assert_eq!(join_en(&["SQL", "Python", "Git"]), "SQL, Python and Git");
        assert_eq!(join_ja(&["営業", "マーケティング"]), "営業、マーケティング");
    }
}
