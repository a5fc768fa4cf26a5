//! Deriving `data/taxonomy/skills.tsv`, the skill alias table that
//! [`crate::taxonomy::Taxonomy`] loads, from ESCO, O*NET and Sudachi.
//!
//! One line per canonical skill, aliases from the sources only: ESCO alternative
//! labels; O*NET technology names with the abbreviations they spell out
//! ("Structured query language SQL" gives "SQL"); Sudachi synonym groups for
//! Japanese and English spellings. Related skills come from ESCO's skill-to-skill
//! relations and, for technologies, from sharing an O*NET commodity class.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    fmt::Write as _,
    fs,
    path::Path,
};

use super::{
    GenError,
    derive::ATTRIBUTION,
    edict::{self, EDICT_ATTRIBUTION, EdictEntry},
    sources::{Esco, Onet, SourcePaths, Table, field},
    sudachi::{Group, Synonyms},
};
use crate::taxonomy::{JAPANESE_ALIASES_FILE, Taxonomy, normalize, titles::is_japanese};

/// Most related skills listed per skill.
const MAX_RELATED: usize = 5;
/// O*NET technology names a first word must begin to count as a vendor.
const MIN_VENDOR_PRODUCTS: usize = 5;
/// Scale of the specificity curve: a skill used by one occupation in this many
/// is half as specific as one used by a single occupation.
const SPECIFICITY_SCALE: f64 = 1000.0;
/// Occupations in each source, for the share of them that use a skill.
const ESCO_OCCUPATIONS: f64 = 3007.0;
const ONET_OCCUPATIONS: f64 = 1016.0;
/// Most technologies of the same commodity class linked as related.
const MAX_SAME_COMMODITY: usize = 3;
/// Sudachi domains whose groups become skills of their own when no ESCO or O*NET
/// skill claims them ("sales" with 営業 and セールス).
const SKILL_DOMAINS: &[&str] = &["IT", "ビジネス"];

/// What a taxonomy build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaxonomyStats {
    /// Canonical skills (lines).
    pub skills: usize,
    /// Of which from ESCO.
    pub esco_skills: usize,
    /// Of which O*NET technologies not merged into an ESCO skill.
    pub onet_technologies: usize,
    /// Of which Sudachi groups no other source claimed.
    pub sudachi_groups: usize,
    /// Aliases written.
    pub aliases: usize,
    /// Aliases containing Japanese script.
    pub japanese_aliases: usize,
    /// Related-skill links written.
    pub related_links: usize,
    /// Japanese aliases from EDICT2 (written to `skills-ja.tsv`).
    pub edict_aliases: usize,
    /// Skills with at least one Japanese alias, from either file.
    pub skills_with_japanese: usize,
    /// Bytes written.
    pub bytes: usize,
}

/// One canonical skill while the table is assembled.
#[derive(Debug, Clone)]
struct Entry {
    name: String,
    aliases: Vec<String>,
    /// How widely used: ESCO occupations linking the skill, or O*NET occupations
    /// listing the technology. Orders the table so common skills keep contested aliases.
    usage: usize,
    origin: Origin,
    /// ESCO URI or O*NET example name, for relation lookups.
    source_id: String,
    related: Vec<usize>,
    /// O*NET occupations listing the technology (0 for other skills).
    onet_occupations: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Origin {
    Esco = 0,
    Onet = 1,
    Sudachi = 2,
}

/// Reads the real data under `shared_data_dir` and writes the skill alias table to
/// `out_file` in the [`crate::taxonomy::Taxonomy::parse`] format, with the sources'
/// attribution in `#` comment lines.
pub fn build_skill_taxonomy(shared_data_dir: &Path, out_file: &Path) -> Result<TaxonomyStats, GenError> {
    let (text, mut stats) = derive_taxonomy(shared_data_dir)?;
    let dictionary = edict::load(&SourcePaths::new(shared_data_dir).edict)?;
    let (japanese, added) = japanese_aliases(&text, &dictionary)?;
    stats.edict_aliases = added;
    let mut taxonomy = Taxonomy::parse(&text).map_err(|(line, message)| GenError::Data {
        path: out_file.display().to_string(),
        message: format!("line {line}: {message}"),
    })?;
    let _ = taxonomy.add_aliases(&japanese);
    stats.skills_with_japanese = taxonomy.skills_with_japanese_aliases();
    if let Some(parent) = out_file.parent() {
        fs::create_dir_all(parent).map_err(|source| GenError::Io {
            path: parent.display().to_string(),
            source,
        })?;
    }
    for (path, text) in [
        (out_file.to_path_buf(), &text),
        (out_file.with_file_name(JAPANESE_ALIASES_FILE), &japanese),
    ] {
        fs::write(&path, text).map_err(|source| GenError::Io {
            path: path.display().to_string(),
            source,
        })?;
    }
    tracing::info!(?stats, path = %out_file.display(), "skill taxonomy written");
    Ok(stats)
}

/// The table's text as [`build_skill_taxonomy`] would write it.
pub(crate) fn derive_taxonomy(shared_data_dir: &Path) -> Result<(String, TaxonomyStats), GenError> {
    let paths = SourcePaths::new(shared_data_dir);
    let esco = Esco::load(&paths.esco)?;
    let onet = Onet::load(&paths.onet)?;
    let synonyms = Synonyms::load(&paths.sudachi)?;

    let mut entries = esco_entries(&esco, &paths.esco)?;
    let esco_count = entries.len();
    let onet_count = add_onet(&mut entries, &onet);
    let sudachi_count = add_sudachi(&mut entries, &synonyms);
    add_esco_relations(&mut entries, &paths.esco)?;
    add_commodity_relations(&mut entries, &onet);

    // Final order: ESCO, then O*NET, then Sudachi; within each, most used first.
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&entries[a], &entries[b]);
        (a.origin, std::cmp::Reverse(a.usage), &a.name).cmp(&(b.origin, std::cmp::Reverse(b.usage), &b.name))
    });
    let mut line_of = vec![0usize; entries.len()];
    for (line, &e) in order.iter().enumerate() {
        line_of[e] = line;
    }

    // An alias equal to another skill's name would take that name away from it
    // (the first line to claim a key keeps it), so such aliases go. A skill's
    // names are its canonical name and, for ESCO's qualified labels, the plain
    // form ESCO also lists ("ML" is the language "ML (computer programming)").
    let canonical: HashSet<String> = entries.iter().flat_map(own_names).collect();
    let mut text = String::with_capacity(4 << 20);
    for line in ATTRIBUTION {
        let _ = writeln!(text, "# {line}");
    }
    text.push_str(
        "# Skill alias table: canonical<TAB>alias|alias…<TAB>related line numbers (0-based, among skill lines).\n\
         # Derived by alumni-match `datagen::build_skill_taxonomy` from ESCO v1.1.1 skills and skill relations,\n\
         # O*NET 29.2 technology skills and the Sudachi synonym dictionary; see data/taxonomy/README.md.\n",
    );
    let mut stats = TaxonomyStats {
        skills: entries.len(),
        esco_skills: esco_count,
        onet_technologies: onet_count,
        sudachi_groups: sudachi_count,
        aliases: 0,
        japanese_aliases: 0,
        related_links: 0,
        edict_aliases: 0,
        skills_with_japanese: 0,
        bytes: 0,
    };
    for &e in &order {
        let entry = &entries[e];
        let own = normalize(&entry.name);
        let mine = own_names(entry);
        let mut seen: HashSet<String> = HashSet::new();
        let aliases: Vec<&str> = entry
            .aliases
            .iter()
            .map(|a| a.trim())
            .filter(|a| is_clean(a))
            .filter(|a| {
                let key = normalize(a);
                key != own && (mine.contains(&key) || !canonical.contains(&key)) && seen.insert(key)
            })
            .collect();
        let mut related: Vec<usize> = entry.related.iter().filter(|&&r| r != e).map(|&r| line_of[r]).collect();
        related.dedup();
        related.truncate(MAX_RELATED);
        stats.aliases += aliases.len();
        stats.japanese_aliases += aliases.iter().filter(|a| !a.is_ascii()).count();
        stats.related_links += related.len();
        let related: Vec<String> = related.iter().map(usize::to_string).collect();
        let specificity = specificity(entry).map(|s| format!("{s:.3}")).unwrap_or_default();
        let _ = writeln!(
            text,
            "{}\t{}\t{}\t{}",
            entry.name.trim(),
            aliases.join("|"),
            related.join("|"),
            specificity
        );
    }
    stats.bytes = text.len();
    Ok((text, stats))
}

/// How few occupations use a skill, from 1 (one occupation) towards 0 (all of
/// them): the larger of the shares of ESCO occupations linking it and of O*NET
/// occupations listing it, on a log scale. `None` when neither source uses it.
fn specificity(entry: &Entry) -> Option<f64> {
    let esco = if entry.origin == Origin::Esco { entry.usage } else { 0 };
    let share = (esco as f64 / ESCO_OCCUPATIONS).max(entry.onet_occupations as f64 / ONET_OCCUPATIONS);
    (share > 0.0)
        .then(|| (1.0 - (1.0 + SPECIFICITY_SCALE * share).ln() / (1.0 + SPECIFICITY_SCALE).ln()).clamp(0.0, 1.0))
}

/// Japanese aliases from EDICT2: a Japanese word whose main noun glosses (the
/// first three of its first sense, the first of its second) name a skill of the
/// table is an alias of that skill (会計 "accounting", 人事管理 "personnel
/// management", エクセル "Excel" → "Microsoft Excel"), unless the word already
/// names a skill. Common words go first, so they keep a contested spelling.
/// Returns the `skills-ja.tsv` text and how many aliases it holds.
pub(crate) fn japanese_aliases(table: &str, dictionary: &[EdictEntry]) -> Result<(String, usize), GenError> {
    let taxonomy = Taxonomy::parse(table).map_err(|(line, message)| GenError::Data {
        path: "skills.tsv".into(),
        message: format!("line {line}: {message}"),
    })?;
    let mut order: Vec<&EdictEntry> = dictionary.iter().collect();
    order.sort_by_key(|e| !e.common);
    let mut text = String::new();
    for line in [EDICT_ATTRIBUTION, ATTRIBUTION[0], ATTRIBUTION[1], ATTRIBUTION[2]] {
        let _ = writeln!(text, "# {line}");
    }
    text.push_str(
        "# Japanese skill aliases: japanese<TAB>canonical skill of skills.tsv. Derived by\n\
         # `alumni-match-tools data build-taxonomy` from EDICT2 glosses; see data/taxonomy/README.md.\n",
    );
    let mut taken: HashSet<String> = HashSet::new();
    let mut added = 0;
    for entry in order {
        let glosses = entry
            .senses
            .iter()
            .take(2)
            .enumerate()
            .filter(|(_, sense)| sense.noun)
            .flat_map(|(s, sense)| sense.glosses.iter().take(if s == 0 { 3 } else { 1 }));
        let Some(skill) = glosses
            .filter(|g| g.is_ascii() && g.len() >= 2)
            .find_map(|g| Some(taxonomy.canonical_skill(g)).filter(|c| c.id.is_some()))
        else {
            continue;
        };
        for headword in &entry.headwords {
            let key = normalize(headword);
            if is_japanese(&key)
                && key.chars().count() >= 2
                && is_clean(headword)
                && taxonomy.canonical_skill(&key).id.is_none()
                && taken.insert(key)
            {
                let _ = writeln!(text, "{headword}\t{}", skill.display);
                added += 1;
            }
        }
    }
    Ok((text, added))
}

/// The normalised names a skill is known by: its canonical name, and the form
/// without ESCO's parenthesised qualifier when ESCO lists it as an alternative.
fn own_names(entry: &Entry) -> Vec<String> {
    let mut names = vec![normalize(&entry.name)];
    if let Some(plain) = plain_name(entry) {
        names.push(normalize(&plain));
    }
    names
}

/// "Python" for "Python (computer programming)" when ESCO lists "Python" too.
fn plain_name(entry: &Entry) -> Option<String> {
    let (head, _) = entry.name.split_once(" (")?;
    let head = head.trim();
    entry
        .aliases
        .iter()
        .any(|a| a.trim().eq_ignore_ascii_case(head))
        .then(|| head.to_owned())
}

/// Text that fits a column: no separators, tabs or line breaks, not empty.
fn is_clean(text: &str) -> bool {
    !text.is_empty() && !text.contains(['|', '\t', '\n', '\r'])
}

/// Every ESCO skill, with its alternative labels and how many occupations use it.
fn esco_entries(esco: &Esco, dir: &Path) -> Result<Vec<Entry>, GenError> {
    let mut usage: HashMap<String, usize> = HashMap::new();
    {
        let t = Table::csv(&dir.join("occupationSkillRelations.csv"))?;
        let skill = t.column("skillUri")?;
        for r in &t.rows {
            *usage.entry(field(r, skill).to_owned()).or_default() += 1;
        }
    }
    let mut skills: Vec<(&String, &super::sources::EscoSkill)> = esco.skills.iter().collect();
    skills.sort_by(|a, b| a.0.cmp(b.0));
    // ESCO has a few preferred labels used twice; they become one skill.
    let mut by_key: HashMap<String, usize> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (uri, skill) in skills {
        if !is_clean(skill.label.trim()) {
            continue;
        }
        let key = normalize(&skill.label);
        let used = usage.get(uri.as_str()).copied().unwrap_or(0);
        match by_key.get(&key) {
            Some(&i) => {
                entries[i].aliases.extend(skill.alt_labels.iter().cloned());
                entries[i].usage += used;
            }
            None => {
                by_key.insert(key, entries.len());
                entries.push(Entry {
                    name: skill.label.trim().to_owned(),
                    aliases: skill.alt_labels.clone(),
                    usage: used,
                    origin: Origin::Esco,
                    source_id: uri.clone(),
                    related: Vec::new(),
                    onet_occupations: 0,
                });
            }
        }
    }
    Ok(entries)
}

/// Adds O*NET technologies: merged into the ESCO skill of the same name where
/// one exists, into a more common technology when both name the same product,
/// else as skills of their own. Returns how many were added as their own.
fn add_onet(entries: &mut Vec<Entry>, onet: &Onet) -> usize {
    // How many O*NET occupations list each example, and whether any marks it hot.
    let mut usage: BTreeMap<&str, (usize, bool)> = BTreeMap::new();
    for techs in onet.technologies.values() {
        let mut seen = HashSet::new();
        for t in techs {
            if seen.insert(t.example.as_str()) {
                let u = usage.entry(t.example.as_str()).or_default();
                u.0 += 1;
                u.1 |= t.hot;
            }
        }
    }
    let mut examples: Vec<(&str, usize, bool)> = usage.into_iter().map(|(name, (n, hot))| (name, n, hot)).collect();
    examples.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));

    // ESCO skills are found by their label or by the label without its
    // parenthesised qualifier when that is also an alternative ("Python").
    let mut by_key: HashMap<String, usize> = HashMap::new();
    for (i, e) in entries.iter().enumerate() {
        by_key.entry(normalize(&e.name)).or_insert(i);
        if let Some((head, _)) = e.name.split_once(" (")
            && e.aliases.iter().any(|a| a.trim().eq_ignore_ascii_case(head.trim()))
        {
            by_key.entry(normalize(head)).or_insert(i);
        }
    }
    let mut added = 0;
    for (name, used, hot) in examples {
        if !is_clean(name) {
            continue;
        }
        let forms = product_forms(name, hot);
        let target = std::iter::once(name)
            .chain(forms.iter().map(String::as_str))
            .find_map(|f| by_key.get(&normalize(f)).copied());
        let index = match target {
            Some(i) => {
                entries[i].aliases.push(name.to_owned());
                entries[i].aliases.extend(forms.iter().cloned());
                entries[i].onet_occupations = entries[i].onet_occupations.max(used);
                i
            }
            None => {
                entries.push(Entry {
                    name: name.to_owned(),
                    aliases: forms.clone(),
                    usage: used,
                    origin: Origin::Onet,
                    source_id: name.to_owned(),
                    related: Vec::new(),
                    onet_occupations: used,
                });
                added += 1;
                entries.len() - 1
            }
        };
        for f in std::iter::once(name).chain(forms.iter().map(String::as_str)) {
            by_key.entry(normalize(f)).or_insert(index);
        }
    }
    added
}

/// Other names of one O*NET technology that its own name contains: the
/// abbreviation it spells out and the words it abbreviates ("Hypertext markup
/// language HTML" → "HTML", "Hypertext markup language"), and for hot
/// technologies, which are named products, the name without a trailing
/// "software" ("SAP software" → "SAP"). Generic names ("Accounting software")
/// keep the word.
fn product_forms(name: &str, hot: bool) -> Vec<String> {
    let mut forms = Vec::new();
    let mut words: Vec<&str> = name.split_whitespace().collect();
    let had_software = words.len() > 1 && words.last() == Some(&"software");
    if had_software {
        words.pop();
        if hot {
            forms.push(words.join(" "));
        }
    }
    if words.len() >= 2 {
        let acronym = words[words.len() - 1];
        let before = &words[..words.len() - 1];
        let looks_like_acronym = (2..=8).contains(&acronym.len()) && acronym.chars().all(|c| c.is_ascii_uppercase());
        if looks_like_acronym {
            // Leading words may be a vendor ("Amazon", "Apache") outside the acronym.
            if let Some(skip) = (0..before.len()).find(|&k| spells(acronym, &before[k..])) {
                forms.push(acronym.to_owned());
                forms.push(before[skip..].join(" "));
                if skip > 0 {
                    forms.push(before.join(" "));
                }
            }
        }
    }
    forms.retain(|f| !f.is_empty() && f != name);
    forms.dedup();
    forms
}

/// Whether `acronym` abbreviates `words`: its first letter starts the first word,
/// and each further letter comes later in the same word or starts the next one,
/// ending in the last word ("HTML" spells "Hypertext markup language").
fn spells(acronym: &str, words: &[&str]) -> bool {
    fn go(acronym: &[char], words: &[Vec<char>], word: usize, pos: usize) -> bool {
        let Some((&c, rest)) = acronym.split_first() else {
            return word + 1 == words.len();
        };
        // Later in the current word…
        let here = &words[word];
        let in_word = (pos + 1..here.len()).any(|p| here[p] == c && go(rest, words, word, p));
        // …or the start of the next.
        in_word
            || words
                .get(word + 1)
                .is_some_and(|next| next.first() == Some(&c) && go(rest, words, word + 1, 0))
    }
    let acronym: Vec<char> = acronym.chars().flat_map(char::to_lowercase).collect();
    let words: Vec<Vec<char>> = words
        .iter()
        .map(|w| w.chars().flat_map(char::to_lowercase).collect())
        .collect();
    match (acronym.split_first(), words.first()) {
        (Some((&c, rest)), Some(first)) if first.first() == Some(&c) => go(rest, &words, 0, 0),
        _ => false,
    }
}

/// Adds Sudachi's Japanese and English spellings as aliases of the skill whose
/// name they share a work-domain group with, and turns unclaimed IT and business
/// groups into skills of their own. Returns how many groups became skills.
fn add_sudachi(entries: &mut Vec<Entry>, synonyms: &Synonyms) -> usize {
    let vendors = vendors(entries);
    let mut claimed: HashSet<usize> = HashSet::new();
    for e in entries.iter_mut() {
        let mut names = vec![e.name.clone()];
        if let Some((head, _)) = e.name.split_once(" (")
            && e.aliases.iter().any(|a| a.trim().eq_ignore_ascii_case(head.trim()))
        {
            names.push(head.trim().to_owned());
        }
        let product = e
            .name
            .split_once(' ')
            .filter(|(vendor, _)| e.origin == Origin::Onet && vendors.contains(*vendor))
            .map(|(_, product)| product.to_owned());
        for name in names {
            for g in synonyms.work_groups_for_english(&name) {
                e.aliases.extend(group_spellings(&synonyms.groups[g]));
                claimed.insert(g);
            }
        }
        // "Microsoft Excel" is the Sudachi group "Excel" / エクセル: a product
        // name without its vendor, when the group writes it as a name.
        if let Some(product) = product {
            for g in synonyms.work_groups_for_english(&product) {
                let named = synonyms.groups[g]
                    .entries
                    .iter()
                    .any(|entry| entry.ascii && entry.text == product && product.starts_with(char::is_uppercase));
                if named && !claimed.contains(&g) {
                    e.aliases.extend(group_spellings(&synonyms.groups[g]));
                    claimed.insert(g);
                }
            }
        }
    }
    let mut added = 0;
    for (g, group) in synonyms.groups.iter().enumerate() {
        let in_skill_domain = group.domains.iter().any(|d| SKILL_DOMAINS.contains(&d.as_str()));
        if claimed.contains(&g) || !in_skill_domain {
            continue;
        }
        let spellings = group_spellings(group);
        let english = group
            .entries
            .iter()
            .find(|e| e.ascii && e.expandable && e.full_form && !e.misspelling);
        let has_japanese = spellings.iter().any(|s| !s.is_ascii());
        let (Some(english), true) = (english, has_japanese) else {
            continue;
        };
        entries.push(Entry {
            name: english.text.clone(),
            aliases: spellings,
            usage: 0,
            origin: Origin::Sudachi,
            source_id: group.id.clone(),
            related: Vec::new(),
            onet_occupations: 0,
        });
        added += 1;
    }
    added
}

/// Vendors: capitalised first words that begin at least
/// [`MIN_VENDOR_PRODUCTS`] O*NET technology names ("Microsoft", "Adobe", "IBM").
fn vendors(entries: &[Entry]) -> HashSet<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in entries.iter().filter(|e| e.origin == Origin::Onet) {
        if let Some((first, _)) = e.name.split_once(' ')
            && first.starts_with(char::is_uppercase)
        {
            *counts.entry(first).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= MIN_VENDOR_PRODUCTS)
        .map(|(vendor, _)| vendor.to_owned())
        .collect()
}

/// Every spelling in a group that the dictionary marks safe to expand and that
/// is not a known misspelling.
fn group_spellings(group: &Group) -> Vec<String> {
    group
        .entries
        .iter()
        .filter(|e| e.expandable && !e.misspelling && is_clean(&e.text))
        .map(|e| e.text.clone())
        .collect()
}

/// Links ESCO skills ESCO relates, in both directions, essential relations first.
fn add_esco_relations(entries: &mut [Entry], dir: &Path) -> Result<(), GenError> {
    let t = Table::csv(&dir.join("skillSkillRelations.csv"))?;
    let (from, kind, to) = (
        t.column("originalSkillUri")?,
        t.column("relationType")?,
        t.column("relatedSkillUri")?,
    );
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.origin == Origin::Esco)
        .map(|(i, e)| (e.source_id.as_str(), i))
        .collect();
    let mut links: Vec<(bool, usize, usize)> = t
        .rows
        .iter()
        .filter_map(|r| {
            let a = *index.get(field(r, from))?;
            let b = *index.get(field(r, to))?;
            Some((field(r, kind) != "essential", a, b))
        })
        .collect();
    links.sort_unstable();
    for (_, a, b) in links {
        for (x, y) in [(a, b), (b, a)] {
            if x != y && !entries[x].related.contains(&y) {
                entries[x].related.push(y);
            }
        }
    }
    Ok(())
}

/// Links each O*NET technology to the most used technologies of its commodity
/// class ("Docker" and "Kubernetes" are both application server software).
fn add_commodity_relations(entries: &mut [Entry], onet: &Onet) {
    let index: HashMap<&str, usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.origin == Origin::Onet)
        .map(|(i, e)| (e.source_id.as_str(), i))
        .collect();
    let mut by_commodity: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    let mut commodities_of: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    for t in onet.technologies.values().flatten() {
        if let Some(&i) = index.get(t.example.as_str()) {
            by_commodity.entry(t.commodity.as_str()).or_default().insert(i);
            commodities_of.entry(i).or_default().insert(t.commodity.as_str());
        }
    }
    for (i, commodities) in commodities_of {
        let mut peers: Vec<usize> = commodities
            .iter()
            .flat_map(|c| by_commodity[c].iter().copied())
            .filter(|&j| j != i)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        peers.sort_by(|&a, &b| {
            entries[b]
                .usage
                .cmp(&entries[a].usage)
                .then(entries[a].name.cmp(&entries[b].name))
        });
        for j in peers.into_iter().take(MAX_SAME_COMMODITY) {
            if !entries[i].related.contains(&j) {
                entries[i].related.push(j);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taxonomy::Taxonomy;

    #[test]
    fn abbreviations_come_from_the_name_itself() {
        assert_eq!(
            product_forms("Structured query language SQL", true),
            ["SQL", "Structured query language"]
        );
        assert_eq!(
            product_forms("Hypertext markup language HTML", false),
            ["HTML", "Hypertext markup language"]
        );
        assert_eq!(
            product_forms("Amazon Web Services AWS software", true),
            ["Amazon Web Services AWS", "AWS", "Amazon Web Services"]
        );
        assert_eq!(
            product_forms("Apache Subversion SVN", false),
            ["SVN", "Subversion", "Apache Subversion"]
        );
        assert_eq!(product_forms("SAP software", true), ["SAP"]);
        assert!(product_forms("Accounting software", false).is_empty());
        assert!(product_forms("The MathWorks MATLAB", true).is_empty());
    }

    #[test]
    fn acronym_spelling() {
        assert!(spells("CSS", &["Cascading", "style", "sheets"]));
        assert!(spells("JSON", &["JavaScript", "Object", "Notation"]));
        assert!(!spells("SQL", &["Oracle", "Database"]));
        assert!(!spells("AB", &["Alpha", "Beta", "Gamma"]), "must use every word");
    }

    fn committed() -> Taxonomy {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join("data/taxonomy/skills.tsv");
        Taxonomy::load(&path).expect("committed taxonomy loads")
    }

    #[test]
    fn committed_table_resolves_real_pairs() {
        let t = committed();
        assert!(t.len() > 20_000, "{} skills", t.len());
        let same = |a: &str, b: &str| {
            let (x, y) = (t.canonical_skill(a), t.canonical_skill(b));
            assert!(x.id.is_some(), "{a} unknown");
            assert_eq!(x, y, "{a} vs {b}");
        };
        same("機械学習", "machine learning");
        same("マシンラーニング", "Machine Learning");
        same("営業", "sales");
        same("セールス", "sales");
        same("プロジェクト管理", "project management");
        same("Python", "Python (computer programming)");
        same("パイソン", "python");
        same("SQL", "Structured query language SQL");
        same("HTML", "Hypertext markup language HTML");
        same("AWS", "Amazon Web Services AWS software");
        // ESCO lists "ML" for machine learning too; the language ML is named so.
        same("ML", "ML (computer programming)");
        assert_eq!(t.canonical_skill("sql").display, "SQL");
        // Not in any source, so not invented.
        assert_eq!(t.canonical_skill("k8s").id, None);
    }

    #[test]
    fn committed_table_links_related_skills() {
        let t = committed();
        let docker = t.canonical_skill("Docker");
        let related = [
            "Kubernetes",
            "Git",
            "GitHub",
            "Microsoft Azure software",
            "Oracle WebLogic Server",
        ]
        .iter()
        .filter(|other| t.are_related(&docker, &t.canonical_skill(other)))
        .count();
        assert!(related >= 1, "Docker is related to nothing");
    }

    #[test]
    fn every_generated_skill_resolves_to_its_own_skill() {
        let t = committed();
        let v = crate::datagen::Vocabulary::embedded().expect("vocabulary");
        for s in &v.skills {
            let canonical = t.canonical_skill(&s.label);
            assert!(canonical.id.is_some(), "{} unknown", s.label);
            assert_eq!(t.canonical_skill(s.name()), canonical, "{}", s.label);
            if let Some(ja) = &s.ja {
                assert_eq!(t.canonical_skill(ja), canonical, "{ja} for {}", s.label);
            }
        }
        for tech in &v.technologies {
            assert!(t.canonical_skill(&tech.name).id.is_some(), "{} unknown", tech.name);
        }
    }
}
