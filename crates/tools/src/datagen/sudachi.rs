//! Reading the Sudachi synonym dictionary and pairing English terms with Japanese
//! ones that the dictionary itself puts together.
//!
//! The dictionary is a list of synonym groups. Within a group, entries sharing a
//! `vocabularyNumber` are spellings of one lexeme (営業 is lexeme 1 of its group;
//! セールス and "sales" are lexeme 2); different numbers are near-synonyms. Each
//! entry's `expandControl` says whether the dictionary's authors consider it safe
//! to expand from (0), ambiguous (1) or never to expand (2), and `bunya` tags the
//! group's domain. A Japanese rendering is only taken from the same lexeme, only
//! from entries safe to expand, and only in domains where a job or skill term can
//! live, so "Go" never becomes the board game and "Ruby" never the gemstone.

use std::{collections::HashMap, fs, path::Path};

use serde::Deserialize;

use super::GenError;
use crate::taxonomy::normalize;

#[derive(Debug, Deserialize)]
struct RawGroup {
    id: String,
    items: Vec<RawItem>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawItem {
    expand_control: u8,
    vocabulary_number: Option<u32>,
    gokei_syubetsu: String,
    ryakusyou: String,
    hyouki_yure: String,
    bunya: Vec<String>,
    midashi: String,
}

/// One dictionary entry, reduced to what the derivations use.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    /// The surface form.
    pub(crate) text: String,
    /// Lexeme within the group; `None` when the dictionary leaves it open.
    pub(crate) lexeme: Option<u32>,
    /// Safe to expand from (`expandControl` 0).
    pub(crate) expandable: bool,
    /// The lexeme's headword form (代表語), not an alias, former or wrong name.
    pub(crate) headword: bool,
    /// Not an abbreviation (略語・略称).
    pub(crate) full_form: bool,
    /// The lexeme's standard spelling (代表表記), not a variant or a misspelling.
    pub(crate) standard_spelling: bool,
    /// A known misspelling (間違い表記 or 間違い).
    pub(crate) misspelling: bool,
    /// Written only in ASCII (the dictionary's English and romanised entries).
    pub(crate) ascii: bool,
}

/// One synonym group.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// The dictionary's group id ("000425").
    pub(crate) id: String,
    /// Domain tags shared by the group's entries.
    pub(crate) domains: Vec<String>,
    /// Entries in dictionary order.
    pub(crate) entries: Vec<Entry>,
}

/// Domains in which a skill, job title or department name may be found.
const WORK_DOMAINS: &[&str] = &[
    "IT",
    "ビジネス",
    "人",
    "HR",
    "教育",
    "法律",
    "医療",
    "化学",
    "建築",
    "政治",
];

impl Group {
    /// Groups without a domain are general vocabulary; tagged groups must be in a
    /// work domain (names of people, places, companies, sports, food… are not).
    pub(crate) fn in_work_domain(&self) -> bool {
        self.domains.is_empty() || self.is_specific_work_domain()
    }

    fn is_specific_work_domain(&self) -> bool {
        self.domains.iter().any(|d| WORK_DOMAINS.contains(&d.as_str()))
    }

    /// The Japanese spelling of `lexeme`: its standard, full, headword form when
    /// there is one, else any non-misspelt full form, else `None`.
    pub(crate) fn japanese_for_lexeme(&self, lexeme: u32) -> Option<&str> {
        let candidates = || {
            self.entries
                .iter()
                .filter(move |e| e.lexeme == Some(lexeme) && !e.ascii && e.expandable)
        };
        candidates()
            .find(|e| e.headword && e.full_form && e.standard_spelling)
            .or_else(|| candidates().find(|e| e.full_form && !e.misspelling))
            .map(|e| e.text.as_str())
    }

    /// The Japanese headword of the lowest-numbered lexeme that has one.
    pub(crate) fn representative(&self) -> Option<&str> {
        let mut lexemes: Vec<u32> = self.entries.iter().filter_map(|e| e.lexeme).collect();
        lexemes.sort_unstable();
        lexemes.dedup();
        lexemes.into_iter().find_map(|lexeme| self.japanese_for_lexeme(lexeme))
    }
}

/// Which Japanese term of a group renders an English one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rendering {
    /// A spelling of the same lexeme as the English entry.
    SameLexeme,
    /// The group's representative: the first lexeme's Japanese headword.
    Representative,
}

/// The dictionary, with an index from normalised ASCII entries to their groups.
#[derive(Debug, Clone, Default)]
pub(crate) struct Synonyms {
    pub(crate) groups: Vec<Group>,
    /// Normalised ASCII surface → (group, entry) pairs, expandable entries only.
    english: HashMap<String, Vec<(usize, usize)>>,
    /// Surface → groups, for every entry (used to link Japanese words back).
    by_surface: HashMap<String, Vec<usize>>,
}

impl Synonyms {
    /// Reads `sudachi-synonyms-dictionary.json`.
    pub(crate) fn load(path: &Path) -> Result<Self, GenError> {
        let text = fs::read_to_string(path).map_err(|source| GenError::Io {
            path: path.display().to_string(),
            source,
        })?;
        let raw: Vec<RawGroup> = serde_json::from_str(&text).map_err(|source| GenError::Json {
            path: path.display().to_string(),
            source,
        })?;
        Ok(Self::from_raw(raw))
    }

    #[cfg(test)]
    pub(crate) fn from_json_str(text: &str) -> Result<Self, serde_json::Error> {
        Ok(Self::from_raw(serde_json::from_str(text)?))
    }

    fn from_raw(raw: Vec<RawGroup>) -> Self {
        let mut synonyms = Self::default();
        for group in raw {
            let mut domains: Vec<String> = Vec::new();
            let entries = group
                .items
                .into_iter()
                .map(|item| {
                    for d in item.bunya {
                        if !domains.contains(&d) {
                            domains.push(d);
                        }
                    }
                    Entry {
                        ascii: item.midashi.is_ascii(),
                        expandable: item.expand_control == 0,
                        lexeme: item.vocabulary_number,
                        headword: item.gokei_syubetsu == "代表語",
                        full_form: !item.ryakusyou.starts_with("略語"),
                        standard_spelling: item.hyouki_yure == "代表表記",
                        misspelling: item.hyouki_yure == "間違い表記" || item.gokei_syubetsu == "間違い",
                        text: item.midashi.trim().to_owned(),
                    }
                })
                .collect::<Vec<_>>();
            let g = synonyms.groups.len();
            for (e, entry) in entries.iter().enumerate() {
                if entry.text.is_empty() {
                    continue;
                }
                synonyms.by_surface.entry(entry.text.clone()).or_default().push(g);
                if entry.ascii && entry.expandable {
                    synonyms.english.entry(normalize(&entry.text)).or_default().push((g, e));
                }
            }
            synonyms.groups.push(Group {
                id: group.id,
                domains,
                entries,
            });
        }
        synonyms
    }

    /// A Japanese term the dictionary puts in one group with the English `term`,
    /// when exactly one work-domain reading exists.
    ///
    /// `choice` says which: the same lexeme (a transliteration such as セールス for
    /// "sales") or the group's representative, the first lexeme (営業), which is
    /// how Sudachi itself normalises a synonym group. Groups tagged with a work
    /// domain win over untagged general vocabulary; if the winners still disagree
    /// the term is ambiguous and gets no rendering.
    pub(crate) fn japanese(&self, term: &str, choice: Rendering) -> Option<&str> {
        let hits = self.english.get(&normalize(term))?;
        let mut best: Option<(bool, &str)> = None;
        let mut ambiguous = false;
        for &(g, e) in hits {
            let group = &self.groups[g];
            if !group.in_work_domain() {
                continue;
            }
            let Some(lexeme) = group.entries[e].lexeme else {
                continue;
            };
            let ja = match choice {
                Rendering::SameLexeme => group.japanese_for_lexeme(lexeme),
                Rendering::Representative => group.representative().or_else(|| group.japanese_for_lexeme(lexeme)),
            };
            let Some(ja) = ja else {
                continue;
            };
            let specific = group.is_specific_work_domain();
            match best {
                None => best = Some((specific, ja)),
                Some((best_specific, best_ja)) => {
                    if specific && !best_specific {
                        best = Some((specific, ja));
                        ambiguous = false;
                    } else if specific == best_specific && best_ja != ja {
                        ambiguous = true;
                    }
                }
            }
        }
        if ambiguous { None } else { best.map(|(_, ja)| ja) }
    }

    /// Work-domain groups in which `term` is an expandable ASCII entry.
    pub(crate) fn work_groups_for_english(&self, term: &str) -> Vec<usize> {
        let mut out: Vec<usize> = self
            .english
            .get(&normalize(term))
            .into_iter()
            .flatten()
            .map(|&(g, _)| g)
            .filter(|&g| self.groups[g].in_work_domain())
            .collect();
        out.dedup();
        out
    }

    /// Groups in which `surface` appears as an entry.
    pub(crate) fn groups_with(&self, surface: &str) -> impl Iterator<Item = &Group> {
        self.by_surface
            .get(surface)
            .into_iter()
            .flatten()
            .map(|&g| &self.groups[g])
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Real groups from the dictionary (v18), trimmed to what the rules look at.
    pub(crate) const SAMPLE: &str = r#"[
 {"id":"000425","items":[
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["ビジネス"],"midashi":"営業"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":2,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["ビジネス"],"midashi":"セールス"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":2,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":["ビジネス"],"midashi":"sales"}]},
 {"id":"022682","items":[
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["IT"],"midashi":"機械学習"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":2,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["IT"],"midashi":"マシンラーニング"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":2,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":["IT"],"midashi":"machine learning"}]},
 {"id":"001453","items":[
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":3,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":[],"midashi":"ルビ"},
  {"taigenYogen":"体言","expandControl":1,"vocabularyNumber":3,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":[],"midashi":"ruby"}]},
 {"id":"017531","items":[
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["ファッション"],"midashi":"ルビー"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":["ファッション"],"midashi":"ruby"}]},
 {"id":"017532","items":[
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["IT"],"midashi":"ルビー"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":["IT"],"midashi":"Ruby"}]},
 {"id":"009419","items":[
  {"taigenYogen":"体言","expandControl":2,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":[],"midashi":"ゴー"},
  {"taigenYogen":"体言","expandControl":2,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":[],"midashi":"go"}]},
 {"id":"000798","items":[
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"代表表記","bunya":["ビジネス"],"midashi":"マーケティング"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"異表記・表記ゆれ","bunya":["ビジネス"],"midashi":"マーケッティング"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"代表語形","hyoukiYure":"アルファベット表記","bunya":["ビジネス"],"midashi":"marketing"},
  {"taigenYogen":"体言","expandControl":0,"vocabularyNumber":1,"gokeiSyubetsu":"代表語","ryakusyou":"略語・略称","hyoukiYure":"代表表記","bunya":["ビジネス"],"midashi":"マーケ"}]}
]"#;

    #[test]
    fn pairs_english_with_the_same_lexeme() {
        let s = Synonyms::from_json_str(SAMPLE).unwrap();
        assert_eq!(s.japanese("sales", Rendering::SameLexeme), Some("セールス"));
        assert_eq!(
            s.japanese("Machine Learning", Rendering::SameLexeme),
            Some("マシンラーニング")
        );
        assert_eq!(
            s.japanese("marketing", Rendering::SameLexeme),
            Some("マーケティング"),
            "not the abbreviation"
        );
    }

    #[test]
    fn representative_is_the_first_lexeme() {
        let s = Synonyms::from_json_str(SAMPLE).unwrap();
        assert_eq!(s.japanese("sales", Rendering::Representative), Some("営業"));
        assert_eq!(
            s.japanese("machine learning", Rendering::Representative),
            Some("機械学習")
        );
    }

    #[test]
    fn skips_other_domains_and_unsafe_entries() {
        let s = Synonyms::from_json_str(SAMPLE).unwrap();
        let same = Rendering::SameLexeme;
        assert_eq!(
            s.japanese("Ruby", same),
            Some("ルビー"),
            "IT group, not fashion or furigana"
        );
        assert_eq!(s.japanese("go", same), None, "expandControl 2");
        assert_eq!(s.japanese("kubernetes", same), None);
    }

    #[test]
    fn finds_groups_by_japanese_surface() {
        let s = Synonyms::from_json_str(SAMPLE).unwrap();
        let ids: Vec<&str> = s.groups_with("ルビー").map(|g| g.id.as_str()).collect();
        assert_eq!(ids, ["017531", "017532"]);
    }
}
