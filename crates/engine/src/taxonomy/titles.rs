//! Job titles as people write them, reduced to a form that can be looked up:
//! lower case, no bracketed remarks ("(Contract)", "（契約）"), "Manager,
//! Marketing" put back in order ("marketing manager"), punctuation as spaces,
//! and, in a second form, without words that qualify a role without changing it
//! (seniority, grades, terms of employment).

use super::normalize;

/// Words that qualify a role without changing it. Removed in the second,
/// looser form of a title only: "Senior Software Engineer (Contract)" is a
/// software engineer, while "Chief Executive" or "Dental Assistant" keep every
/// word, because there the word is the role.
const QUALIFIERS: &[&str] = &[
    "senior",
    "sr",
    "snr",
    "junior",
    "jr",
    "jnr",
    "entry",
    "level",
    "mid",
    "i",
    "ii",
    "iii",
    "iv",
    "v",
    "1",
    "2",
    "3",
    "4",
    "contract",
    "contractor",
    "temporary",
    "temp",
    "interim",
    "acting",
    "part",
    "full",
    "time",
    "parttime",
    "fulltime",
    "remote",
    "freelance",
    "experienced",
    "graduate",
    "trainee",
    "intern",
    "apprentice",
    "lead",
];

/// Japanese qualifiers, removed from a Japanese title's looser form wherever they
/// stand (Japanese has no spaces to find word boundaries by).
const JAPANESE_QUALIFIERS: &[&str] = &[
    "シニア",
    "ジュニア",
    "リード",
    "チーフ",
    "主任",
    "見習い",
    "見習",
    "契約社員",
    "契約",
    "正社員",
    "派遣",
    "パート",
    "アルバイト",
    "インターン",
    "候補",
    "担当者",
    "担当",
    "スタッフ",
];

/// Whether a text contains kana or CJK ideographs.
pub fn is_japanese(text: &str) -> bool {
    text.chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'))
}

/// A title's exact form: NFKC, lower case, bracketed remarks removed, a trailing
/// ", X" moved in front ("engineer, software" → "software engineer"), separators
/// and punctuation as single spaces. Plural occupation names are not made
/// singular here (see [`singular`]).
pub fn exact_form(title: &str) -> String {
    let text = normalize(title);
    let text = remove_brackets(&text);
    let text = invert_comma(&text);
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_alphanumeric() || c == '+' || c == '#' {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim().to_owned()
}

/// The looser form: the exact form without qualifiers (seniority, grades, terms
/// of employment). Empty when nothing else is left. A Japanese title's looser
/// form is also its [`japanese_key`].
pub fn loose_form(title: &str) -> String {
    let exact = exact_form(title);
    if is_japanese(&exact) {
        let mut text = exact.replace(' ', "");
        for qualifier in JAPANESE_QUALIFIERS {
            text = text.replace(qualifier, "");
        }
        return fold_kana(&text);
    }
    exact
        .split(' ')
        .filter(|word| !QUALIFIERS.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A Japanese title's lookup key: its exact form without spaces, with katakana
/// folded (see [`fold_kana`]).
pub fn japanese_key(title: &str) -> String {
    fold_kana(&exact_form(title).replace(' ', ""))
}

/// Loanwords are written in katakana several ways (マネージャー, マネジャー,
/// マネージャ; ソフトウェア, ソフトウエア; ヴァイオリン, バイオリン): the long-vowel
/// mark and the middle dot are dropped, small vowels written large and ヴ as ブ,
/// so the spellings of one word compare equal.
pub fn fold_kana(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            'ー' | '・' | '･' | '-' => {}
            'ァ' => out.push('ア'),
            'ィ' => out.push('イ'),
            'ゥ' => out.push('ウ'),
            'ェ' => out.push('エ'),
            'ォ' => out.push('オ'),
            'ヴ' => out.push('ブ'),
            _ => out.push(c),
        }
    }
    out
}

/// "registered nurses" → "registered nurse": the simple English plurals of
/// occupation names (O*NET names occupations in the plural).
pub fn singular(title: &str) -> String {
    let mut words: Vec<String> = title.split(' ').map(str::to_owned).collect();
    // The head noun is the last word, or the one before "of"/"and" in
    // "directors of ..." / "mechanics and installers".
    let heads: Vec<usize> = words
        .iter()
        .enumerate()
        .filter(|(i, _)| {
            let next = words.get(i + 1).map(String::as_str);
            *i + 1 == words.len() || matches!(next, Some("of") | Some("and") | Some("or") | Some("in"))
        })
        .map(|(i, _)| i)
        .collect();
    for i in heads {
        words[i] = singular_word(&words[i]);
    }
    words.join(" ")
}

fn singular_word(word: &str) -> String {
    const KEEP: &[&str] = &[
        "analysis",
        "business",
        "physics",
        "economics",
        "mathematics",
        "logistics",
        "statistics",
        "operations",
        "sales",
        "services",
        "systems",
        "dentures",
        "glass",
        "gas",
        "arts",
        "news",
        "affairs",
        "relations",
        "means",
        "series",
        "species",
        "us",
        "boss",
        "class",
        "press",
        "process",
        "access",
        "address",
        "ops",
    ];
    if let Some(stem) = word.strip_suffix("men")
        && !stem.is_empty()
    {
        return format!("{stem}man");
    }
    if KEEP.contains(&word) || word.len() < 4 || !word.ends_with('s') || word.ends_with("ss") {
        return word.to_owned();
    }
    if let Some(stem) = word.strip_suffix("ies") {
        return format!("{stem}y");
    }
    for ending in ["ches", "shes", "xes", "sses"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_owned();
        }
    }
    word[..word.len() - 1].to_owned()
}

fn remove_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '[' | '（' | '【' | '「' | '〔' => depth += 1,
            ')' | ']' | '）' | '】' | '」' | '〕' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// "manager, marketing" → "marketing manager"; left alone when either side is
/// long (a list of duties, not an inverted title).
fn invert_comma(text: &str) -> String {
    let Some((head, tail)) = text.split_once(',') else {
        return text.to_owned();
    };
    let (head, tail) = (head.trim(), tail.trim());
    let words = |s: &str| s.split_whitespace().count();
    if head.is_empty() || tail.is_empty() || words(head) > 4 || words(tail) > 4 || tail.contains(',') {
        return text.replace(',', " ");
    }
    format!("{tail} {head}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_as_people_write_them() {
        assert_eq!(exact_form("Manager, Marketing"), "marketing manager");
        assert_eq!(
            exact_form("Senior Software Engineer (Contract)"),
            "senior software engineer"
        );
        assert_eq!(loose_form("Senior Software Engineer (Contract)"), "software engineer");
        assert_eq!(loose_form("Sr. Data Analyst II"), "data analyst");
        assert_eq!(exact_form("  ＤＥＮＴＡＬ  Assistant "), "dental assistant");
        assert_eq!(loose_form("Chief Executive"), "chief executive", "a role word stays");
        assert_eq!(exact_form("Engineer, Software / Backend"), "software backend engineer");
        assert_eq!(exact_form("C++ Developer"), "c++ developer");
        assert_eq!(
            loose_form("シニアソフトウェアエンジニア（契約）"),
            fold_kana("ソフトウェアエンジニア"),
            "seniority and the contract dropped, katakana folded"
        );
        assert_eq!(loose_form("経理担当"), "経理");
    }

    #[test]
    fn katakana_spellings_of_one_loanword_fold_together() {
        assert_eq!(japanese_key("マネージャー"), japanese_key("マネジャー"));
        assert_eq!(
            japanese_key("ソフトウェア エンジニア"),
            japanese_key("ソフトウエアエンジニア")
        );
        assert_eq!(
            japanese_key("ｿﾌﾄｳｪｱ"),
            japanese_key("ソフトウェア"),
            "half-width katakana"
        );
        assert_ne!(
            japanese_key("キャリア"),
            japanese_key("キヤリア"),
            "small ya-yu-yo are kept"
        );
    }

    #[test]
    fn occupation_names_become_singular() {
        assert_eq!(singular("registered nurses"), "registered nurse");
        assert_eq!(singular("software developers"), "software developer");
        assert_eq!(
            singular("secretaries and administrative assistants"),
            "secretary and administrative assistant"
        );
        assert_eq!(singular("directors of stores"), "director of store");
        assert_eq!(singular("sales"), "sales");
        assert_eq!(singular("firemen"), "fireman");
        assert_eq!(singular("coaches"), "coach");
    }
}
