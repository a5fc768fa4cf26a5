//! Reading EDICT2 (the JMdict-derived Japanese-English dictionary of the
//! Electronic Dictionary Research and Development Group, CC BY-SA 3.0).
//!
//! One entry a line: `見出し;別表記 [よみ;よみ] /(pos) (1) gloss/gloss/(2) gloss/(P)/`.
//! Headwords carry markers in brackets ((P) common, (iK) irregular kanji, (oK)
//! outdated kanji, (ik) irregular kana); a sense starts with its number and may
//! carry part-of-speech and field tags; a gloss may hold remarks in brackets
//! ("manager (e.g. of a business, an idol, etc.)").

use std::{fs, path::Path};

use super::GenError;

/// Credit and licence of every file derived from EDICT2.
pub const EDICT_ATTRIBUTION: &str = "Includes data from EDICT2 (JMdict-derived, 2021-02-03) of the Electronic \
     Dictionary Research and Development Group (https://www.edrdg.org/), used in conformance with the \
     Group's licence: Creative Commons Attribution-ShareAlike 3.0 (CC BY-SA 3.0). This file is a derived \
     work and is distributed under the same licence.";

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EdictEntry {
    /// Written forms to use: without irregular or outdated spellings. For
    /// words written in kana only, the kana.
    pub(crate) headwords: Vec<String>,
    /// Whether the dictionary marks the entry as common ((P)).
    pub(crate) common: bool,
    /// The senses, in order.
    pub(crate) senses: Vec<Sense>,
}

/// One sense of an entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sense {
    /// Whether the sense is a noun (or used as one): the only kind a job title
    /// or a skill can be.
    pub(crate) noun: bool,
    /// Field tags ("comp", "med", "bus", …).
    pub(crate) fields: Vec<String>,
    /// Glosses without bracketed remarks, trimmed, in order; verbs ("to …") left out.
    pub(crate) glosses: Vec<String>,
}

/// Markers of written forms not to use.
const UNUSED_FORM_MARKERS: &[&str] = &["(iK)", "(oK)", "(ik)", "(ok)", "(io)", "(sK)", "(sk)", "(rK)"];

/// Part-of-speech tags that make a sense usable as a noun.
fn is_noun_tag(tag: &str) -> bool {
    tag == "n" || tag.starts_with("n-") || tag == "adj-no"
}

/// Field tags EDICT uses (the ones that matter for work vocabulary among them).
fn is_field_tag(tag: &str) -> bool {
    matches!(
        tag,
        "comp"
            | "med"
            | "bus"
            | "law"
            | "econ"
            | "finc"
            | "engr"
            | "math"
            | "physics"
            | "chem"
            | "biol"
            | "ling"
            | "food"
            | "sports"
            | "mil"
            | "archit"
            | "elec"
            | "geol"
            | "mech"
            | "music"
            | "Buddh"
            | "Shinto"
            | "anat"
            | "astron"
            | "baseb"
            | "bot"
            | "gardn"
            | "mahj"
            | "shogi"
            | "sumo"
            | "zool"
            | "pharm"
            | "print"
            | "stat"
            | "telec"
    )
}

/// Reads the whole dictionary.
pub(crate) fn load(path: &Path) -> Result<Vec<EdictEntry>, GenError> {
    let text = fs::read_to_string(path).map_err(|source| GenError::Io {
        path: path.display().to_string(),
        source,
    })?;
    Ok(text.lines().filter_map(parse_line).collect())
}

/// One line, or `None` for the header and lines that are not entries.
pub(crate) fn parse_line(line: &str) -> Option<EdictEntry> {
    let (head, body) = line.split_once(" /")?;
    let (written, readings) = match head.split_once(" [") {
        Some((written, rest)) => (written, rest.strip_suffix(']').unwrap_or(rest)),
        None => (head, ""),
    };
    let forms = |list: &str| -> Vec<String> {
        list.split(';')
            .filter(|f| !f.is_empty() && !UNUSED_FORM_MARKERS.iter().any(|m| f.contains(m)))
            .map(|f| strip_markers(f).trim().to_owned())
            .filter(|f| !f.is_empty() && !f.starts_with('？'))
            .collect()
    };
    let mut headwords = forms(written);
    if headwords.is_empty() && !readings.is_empty() && written.trim().is_empty() {
        headwords = forms(readings);
    }
    if headwords.is_empty() {
        return None;
    }
    let common = body.contains("/(P)/") || head.contains("(P)");
    let mut senses: Vec<Sense> = Vec::new();
    let mut noun = false;
    for piece in body.split('/') {
        let piece = piece.trim();
        if piece.is_empty() || piece == "(P)" || piece.starts_with("EntL") {
            continue;
        }
        // Leading bracketed tags: part of speech, the sense number, fields, misc.
        let mut rest = piece;
        let mut starts_sense = senses.is_empty();
        let mut fields = Vec::new();
        let mut pos_given = None;
        while let Some(inner) = rest.strip_prefix('(') {
            let Some(end) = inner.find(')') else { break };
            let tag = &inner[..end];
            let tags: Vec<&str> = tag.split(',').collect();
            if tag.chars().all(|c| c.is_ascii_digit()) {
                starts_sense = true;
            } else if tags.iter().any(|t| is_noun_tag(t)) {
                pos_given = Some(true);
            } else if tags.iter().all(|t| is_field_tag(t)) {
                fields.extend(tags.iter().map(|t| (*t).to_owned()));
            } else if tags
                .iter()
                .all(|t| t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            {
                // Another part of speech (v5r, adj-i, exp …) or a misc tag (uk, abbr).
                if pos_given.is_none()
                    && tags
                        .iter()
                        .any(|t| t.starts_with('v') || t.starts_with("adj") || *t == "exp" || *t == "adv")
                {
                    pos_given = Some(false);
                }
            } else {
                // A remark in brackets that begins the gloss: "(hospital) nurse".
                break;
            }
            rest = inner[end + 1..].trim_start();
        }
        if let Some(is_noun) = pos_given {
            noun = is_noun;
            starts_sense = true;
        }
        if starts_sense || senses.is_empty() {
            senses.push(Sense {
                noun,
                fields: Vec::new(),
                glosses: Vec::new(),
            });
        }
        let sense = senses.last_mut()?;
        sense.fields.extend(fields);
        let gloss = strip_brackets(rest);
        let gloss = gloss.split_whitespace().collect::<Vec<_>>().join(" ");
        if !gloss.is_empty() && !gloss.starts_with("to ") {
            sense.glosses.push(gloss);
        }
    }
    senses.retain(|s| !s.glosses.is_empty());
    Some(EdictEntry {
        headwords,
        common,
        senses,
    })
}

/// A written form without its bracketed markers ("看護師(P)" → "看護師").
fn strip_markers(form: &str) -> &str {
    form.find('(').map_or(form, |i| &form[..i])
}

/// Text without bracketed remarks, at any depth.
fn strip_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_parse_into_senses_and_glosses() {
        let nurse = parse_line("看護師 [かんごし] /(n) (hospital) nurse/registered nurse/RN/(P)/").unwrap();
        assert_eq!(nurse.headwords, ["看護師"]);
        assert!(nurse.common);
        assert_eq!(nurse.senses.len(), 1);
        assert!(nurse.senses[0].noun);
        assert_eq!(nurse.senses[0].glosses, ["nurse", "registered nurse", "RN"]);

        let accounting = parse_line(
            "会計 [かいけい] /(n,adj-no,vs) (1) accounting/finance/account/(n) (2) bill (at a restaurant)/check/(vs) (4) settlement/(P)/",
        )
        .unwrap();
        assert_eq!(accounting.senses.len(), 3);
        assert_eq!(accounting.senses[0].glosses, ["accounting", "finance", "account"]);
        assert_eq!(accounting.senses[1].glosses, ["bill", "check"]);

        let manager = parse_line("マネージャー /(n) (1) manager (e.g. of a business, an idol, etc.)/(n) (2) in a sports team someone who does the routine drudge work/(P)/").unwrap();
        assert_eq!(manager.headwords, ["マネージャー"]);
        assert_eq!(manager.senses[0].glosses, ["manager"]);

        let excel = parse_line("エクセル /(n) (comp) Excel/Microsoft Excel/").unwrap();
        assert_eq!(excel.senses[0].fields, ["comp"]);
        assert_eq!(excel.senses[0].glosses, ["Excel", "Microsoft Excel"]);

        let verb = parse_line("働く [はたらく] /(v5k,vi) (1) to work/to labor/(P)/").unwrap();
        assert!(verb.senses.is_empty(), "verbs have no noun glosses");

        let irregular = parse_line("助手;介添(iK) [じょしゅ] /(n) assistant/").unwrap();
        assert_eq!(irregular.headwords, ["助手"]);
        assert!(parse_line("　？？？ /EDICT, EDICT_SUB(P), EDICT2 header/").is_none());
    }
}
