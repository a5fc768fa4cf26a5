//! Seniority read from job titles, in English and Japanese.
//!
//! A coarse ordinal scale is enough for the features that use it (growth since
//! leaving, decision-making level, mentoring depth); the keyword lists are ordered
//! from the most to the least senior and the first hit wins.

use crate::taxonomy::normalize;

/// Highest level [`title_level`] returns.
pub const MAX_LEVEL: u8 = 6;

/// Keyword groups by level, most senior first. English words match whole words;
/// Japanese ones match anywhere in the title (Japanese has no spaces).
const LEVELS: [(u8, &[&str], &[&str]); 5] = [
    (
        6,
        &[
            "ceo",
            "cto",
            "cfo",
            "coo",
            "cio",
            "chief",
            "president",
            "founder",
            "co-founder",
            "board",
            "owner",
            "executive",
        ],
        &["代表", "取締役", "役員", "社長", "執行役"],
    ),
    (
        5,
        &["director", "vp", "vice", "head"],
        &["部長", "本部長", "事業部長", "ディレクター"],
    ),
    (
        4,
        &["manager", "principal", "architect"],
        &["課長", "マネージャー", "マネジャー", "室長", "グループ長"],
    ),
    (
        3,
        &["senior", "lead", "staff", "sr", "specialist"],
        &["主任", "係長", "リーダー", "シニア", "スペシャリスト"],
    ),
    (
        1,
        &["intern", "trainee", "junior", "assistant", "apprentice"],
        &["アシスタント", "インターン", "見習", "補佐"],
    ),
];

/// The seniority level of a title: 1 (junior) to [`MAX_LEVEL`] (executive); 2 when
/// no keyword says otherwise.
pub fn title_level(title: &str) -> u8 {
    let text = normalize(title);
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .filter(|w| !w.is_empty())
        .collect();
    // "Vice president" is a level below the president that the word also names.
    if words.contains(&"vice") {
        return 5;
    }
    for (level, english, japanese) in LEVELS {
        if english.iter().any(|k| words.contains(k)) || japanese.iter().any(|k| text.contains(k)) {
            return level;
        }
    }
    2
}

/// [`title_level`] scaled to [0, 1].
pub fn title_seniority(title: &str) -> f64 {
    f64::from(title_level(title)) / f64::from(MAX_LEVEL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_in_both_languages() {
        assert_eq!(title_level("Junior Data Analyst"), 1);
        assert_eq!(title_level("Data Analyst"), 2);
        assert_eq!(title_level("Senior Software Engineer"), 3);
        assert_eq!(title_level("Engineering Manager"), 4);
        assert_eq!(title_level("Director of Sales"), 5);
        assert_eq!(title_level("Chief Technology Officer"), 6);
        assert_eq!(title_level("営業部長"), 5);
        assert_eq!(title_level("開発課長"), 4);
        assert_eq!(title_level("代表取締役"), 6);
        assert_eq!(title_level("エンジニア"), 2);
        assert!(title_seniority("CEO") > title_seniority("Senior Engineer"));
    }

    #[test]
    fn english_keywords_match_whole_words_only() {
        assert_eq!(title_level("Headhunter"), 2, "'head' inside a word is not a level");
        assert_eq!(title_level("Vice President, Sales"), 5);
    }
}
