//! Readers for the real data under `shared/data/`: ESCO CSVs, O*NET TSVs and the
//! mimesis person file. Columns are found by header name, so a reordered release
//! still reads; a missing column is an error naming the file.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    fs,
    path::{Path, PathBuf},
};

use serde::Deserialize;

use super::GenError;
use crate::taxonomy::normalize;

/// Where each source lives under the shared data directory.
pub(crate) struct SourcePaths {
    pub(crate) esco: PathBuf,
    pub(crate) onet: PathBuf,
    pub(crate) sudachi: PathBuf,
    pub(crate) mimesis: PathBuf,
    pub(crate) edict: PathBuf,
}

impl SourcePaths {
    pub(crate) fn new(shared_data_dir: &Path) -> Self {
        Self {
            esco: shared_data_dir.join("esco-1.1.1"),
            onet: shared_data_dir.join("onet-29.2"),
            sudachi: shared_data_dir
                .join("sudachi-synonyms")
                .join("sudachi-synonyms-dictionary.json"),
            mimesis: shared_data_dir.join("ja-names").join("mimesis-ja-person.json"),
            edict: shared_data_dir.join("edict").join("edict2-utf8.txt"),
        }
    }
}

/// A delimited file read into memory with its header, fields looked up by name.
pub(crate) struct Table {
    path: String,
    columns: HashMap<String, usize>,
    pub(crate) rows: Vec<csv::StringRecord>,
}

impl Table {
    /// ESCO's comma-separated files (quoted fields may hold newlines).
    pub(crate) fn csv(path: &Path) -> Result<Self, GenError> {
        Self::read(path, csv::ReaderBuilder::new().flexible(true))
    }

    /// O*NET's tab-separated files, which never quote.
    pub(crate) fn tsv(path: &Path) -> Result<Self, GenError> {
        Self::read(
            path,
            csv::ReaderBuilder::new().delimiter(b'\t').quoting(false).flexible(true),
        )
    }

    fn read(path: &Path, builder: &csv::ReaderBuilder) -> Result<Self, GenError> {
        let shown = path.display().to_string();
        let csv_error = |source| GenError::Csv {
            path: shown.clone(),
            source,
        };
        let mut reader = builder.from_path(path).map_err(csv_error)?;
        let columns = reader
            .headers()
            .map_err(csv_error)?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_owned(), i))
            .collect();
        let rows = reader.records().collect::<Result<Vec<_>, _>>().map_err(csv_error)?;
        Ok(Self {
            path: shown,
            columns,
            rows,
        })
    }

    /// The index of column `name`.
    pub(crate) fn column(&self, name: &str) -> Result<usize, GenError> {
        self.columns.get(name).copied().ok_or_else(|| GenError::Data {
            path: self.path.clone(),
            message: format!("no column {name:?}"),
        })
    }
}

/// The field at `column`, trimmed ("" when the row is short).
pub(crate) fn field(row: &csv::StringRecord, column: usize) -> &str {
    row.get(column).unwrap_or_default().trim()
}

/// ESCO packs alternative labels into one field, one per line.
pub(crate) fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|l| !l.is_empty())
}

/// An ESCO occupation.
#[derive(Debug, Clone)]
pub(crate) struct EscoOccupation {
    pub(crate) uri: String,
    pub(crate) code: String,
    pub(crate) isco: String,
    pub(crate) label: String,
    pub(crate) alt_labels: Vec<String>,
}

/// An ESCO skill or knowledge concept.
#[derive(Debug, Clone)]
pub(crate) struct EscoSkill {
    pub(crate) label: String,
    pub(crate) alt_labels: Vec<String>,
    pub(crate) knowledge: bool,
    pub(crate) transversal: bool,
}

/// The parts of ESCO the derivations use.
pub(crate) struct Esco {
    pub(crate) occupations: Vec<EscoOccupation>,
    pub(crate) skills: HashMap<String, EscoSkill>,
    /// ISCO group code → label, for every level.
    pub(crate) isco_labels: BTreeMap<String, String>,
}

impl Esco {
    /// Reads occupations, skills and ISCO groups.
    pub(crate) fn load(dir: &Path) -> Result<Self, GenError> {
        let occupations = {
            let t = Table::csv(&dir.join("occupations_en.csv"))?;
            let (uri, code, isco, label, alts) = (
                t.column("conceptUri")?,
                t.column("code")?,
                t.column("iscoGroup")?,
                t.column("preferredLabel")?,
                t.column("altLabels")?,
            );
            t.rows
                .iter()
                .map(|r| EscoOccupation {
                    uri: field(r, uri).to_owned(),
                    code: field(r, code).to_owned(),
                    isco: field(r, isco).to_owned(),
                    label: field(r, label).to_owned(),
                    alt_labels: split_lines(field(r, alts)).map(str::to_owned).collect(),
                })
                .filter(|o| !o.uri.is_empty() && !o.label.is_empty())
                .collect()
        };
        let skills = {
            let t = Table::csv(&dir.join("skills_en.csv"))?;
            let (uri, label, alts, kind, reuse) = (
                t.column("conceptUri")?,
                t.column("preferredLabel")?,
                t.column("altLabels")?,
                t.column("skillType")?,
                t.column("reuseLevel")?,
            );
            t.rows
                .iter()
                .filter(|r| !field(r, label).is_empty())
                .map(|r| {
                    (
                        field(r, uri).to_owned(),
                        EscoSkill {
                            label: field(r, label).to_owned(),
                            alt_labels: split_lines(field(r, alts)).map(str::to_owned).collect(),
                            knowledge: field(r, kind) == "knowledge",
                            transversal: field(r, reuse) == "transversal",
                        },
                    )
                })
                .collect()
        };
        let isco_labels = {
            let t = Table::csv(&dir.join("ISCOGroups_en.csv"))?;
            let (code, label) = (t.column("code")?, t.column("preferredLabel")?);
            t.rows
                .iter()
                .map(|r| (field(r, code).to_owned(), field(r, label).to_owned()))
                .collect()
        };
        Ok(Self {
            occupations,
            skills,
            isco_labels,
        })
    }
}

/// Essential and optional skill URIs of one occupation, in file order.
pub(crate) type SkillLinks = (Vec<String>, Vec<String>);

/// Essential and optional skill URIs for a set of occupations, by occupation URI.
pub(crate) fn occupation_skills(
    dir: &Path,
    occupations: &HashSet<&str>,
) -> Result<HashMap<String, SkillLinks>, GenError> {
    let t = Table::csv(&dir.join("occupationSkillRelations.csv"))?;
    let (occ, relation, skill) = (
        t.column("occupationUri")?,
        t.column("relationType")?,
        t.column("skillUri")?,
    );
    let mut out: HashMap<String, SkillLinks> = HashMap::new();
    for r in &t.rows {
        let o = field(r, occ);
        if !occupations.contains(o) {
            continue;
        }
        let entry = out.entry(o.to_owned()).or_default();
        match field(r, relation) {
            "essential" => entry.0.push(field(r, skill).to_owned()),
            "optional" => entry.1.push(field(r, skill).to_owned()),
            _ => {}
        }
    }
    Ok(out)
}

/// How strongly an O*NET title list vouches for a title.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum TitleSource {
    /// The O*NET occupation's own title (made singular).
    Occupation = 0,
    /// A title workers reported in O*NET surveys.
    Reported = 1,
    /// An O*NET alternate title.
    Alternate = 2,
}

/// One O*NET technology example.
#[derive(Debug, Clone)]
pub(crate) struct OnetTechnology {
    pub(crate) example: String,
    pub(crate) commodity: String,
    pub(crate) hot: bool,
    pub(crate) in_demand: bool,
}

/// The parts of O*NET the derivations use.
pub(crate) struct Onet {
    /// Normalised title → (source, O*NET-SOC code) pairs.
    pub(crate) titles: HashMap<String, Vec<(TitleSource, String)>>,
    /// O*NET-SOC code → technologies, in file order.
    pub(crate) technologies: BTreeMap<String, Vec<OnetTechnology>>,
}

impl Onet {
    /// Reads titles and technology skills.
    pub(crate) fn load(dir: &Path) -> Result<Self, GenError> {
        let mut titles: HashMap<String, Vec<(TitleSource, String)>> = HashMap::new();
        let mut add = |title: &str, source: TitleSource, code: &str| {
            let key = normalize(title);
            if key.is_empty() || code.is_empty() {
                return;
            }
            let list = titles.entry(key).or_default();
            let item = (source, code.to_owned());
            if !list.contains(&item) {
                list.push(item);
            }
        };
        {
            let t = Table::tsv(&dir.join("occupation_data.tsv"))?;
            let (code, title) = (t.column("O*NET-SOC Code")?, t.column("Title")?);
            for r in &t.rows {
                add(
                    &singular(&normalize(field(r, title))),
                    TitleSource::Occupation,
                    field(r, code),
                );
            }
        }
        {
            let t = Table::tsv(&dir.join("reported_titles.tsv"))?;
            let (code, title) = (t.column("O*NET-SOC Code")?, t.column("Reported Job Title")?);
            for r in &t.rows {
                add(field(r, title), TitleSource::Reported, field(r, code));
            }
        }
        {
            let t = Table::tsv(&dir.join("alternate_titles.tsv"))?;
            let (code, title, short) = (
                t.column("O*NET-SOC Code")?,
                t.column("Alternate Title")?,
                t.column("Short Title")?,
            );
            for r in &t.rows {
                add(field(r, title), TitleSource::Alternate, field(r, code));
                add(field(r, short), TitleSource::Alternate, field(r, code));
            }
        }
        let mut technologies: BTreeMap<String, Vec<OnetTechnology>> = BTreeMap::new();
        {
            let t = Table::tsv(&dir.join("technology_skills.tsv"))?;
            let (code, example, commodity, hot, demand) = (
                t.column("O*NET-SOC Code")?,
                t.column("Example")?,
                t.column("Commodity Title")?,
                t.column("Hot Technology")?,
                t.column("In Demand")?,
            );
            for r in &t.rows {
                if field(r, example).is_empty() {
                    continue;
                }
                technologies
                    .entry(field(r, code).to_owned())
                    .or_default()
                    .push(OnetTechnology {
                        example: field(r, example).to_owned(),
                        commodity: field(r, commodity).to_owned(),
                        hot: field(r, hot) == "Y",
                        in_demand: field(r, demand) == "Y",
                    });
            }
        }
        Ok(Self { titles, technologies })
    }
}

/// O*NET names occupations in the plural ("Software Developers"); profiles and
/// ESCO use the singular. Only the last word changes, by the regular English rules.
pub(crate) fn singular(title: &str) -> String {
    let (head, last) = match title.rsplit_once(' ') {
        Some((head, last)) => (Some(head), last),
        None => (None, title),
    };
    let last = if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if last.ends_with("ss") || !last.ends_with('s') {
        last.to_owned()
    } else {
        last[..last.len() - 1].to_owned()
    };
    match head {
        Some(head) => format!("{head} {last}"),
        None => last,
    }
}

/// The mimesis `ja/person.json` fields used.
#[derive(Debug, Deserialize)]
pub(crate) struct Mimesis {
    pub(crate) names: MimesisNames,
    pub(crate) surnames: Vec<String>,
    pub(crate) occupation: Vec<String>,
    pub(crate) university: Vec<String>,
}

/// Given names by gender.
#[derive(Debug, Deserialize)]
pub(crate) struct MimesisNames {
    pub(crate) female: Vec<String>,
    pub(crate) male: Vec<String>,
}

impl Mimesis {
    pub(crate) fn load(path: &Path) -> Result<Self, GenError> {
        let text = fs::read_to_string(path).map_err(|source| GenError::Io {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| GenError::Json {
            path: path.display().to_string(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn onet_titles_become_singular() {
        assert_eq!(singular("software developers"), "software developer");
        assert_eq!(singular("secretaries"), "secretary");
        assert_eq!(singular("chief executives"), "chief executive");
        assert_eq!(singular("business process analyst"), "business process analyst");
        assert_eq!(singular("boss"), "boss");
    }

    #[test]
    fn esco_alt_labels_split_on_lines() {
        let got: Vec<&str> = split_lines("a b\n\n  c \n").collect();
        assert_eq!(got, ["a b", "c"]);
    }
}
