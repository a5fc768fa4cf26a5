//! The real data the independent set is built from: O*NET occupations with
//! their titles (split into those alumni hold and those openings use, never
//! both), descriptions and technology skills; and, for the judge only, the ESCO
//! occupations whose titles point to each O*NET occupation.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    path::Path,
};

use super::judge::Judge;
use crate::{
    datagen::{
        GenError, join_onet,
        rng::mix64,
        sources::{Esco, Onet, SourcePaths, Table, field},
    },
    eval::EvalError,
    taxonomy::titles::exact_form,
};

/// One O*NET occupation as the set uses it.
#[derive(Debug, Clone)]
pub(crate) struct EvalOccupation {
    /// O*NET-SOC code.
    pub(crate) code: String,
    /// O*NET title ("Registered Nurses").
    pub(crate) title: String,
    /// O*NET description.
    pub(crate) description: String,
    /// Titles alumni hold (O*NET alternate and reported titles).
    pub(crate) alumni_titles: Vec<String>,
    /// Titles openings use: never among `alumni_titles` of any occupation.
    pub(crate) opening_titles: Vec<String>,
    /// Technology skills (name, hot), O*NET order.
    pub(crate) technologies: Vec<(String, bool)>,
}

/// Share of an occupation's titles kept for openings.
const OPENING_TITLE_SHARE: f64 = 0.3;
/// What an occupation needs to be in the set.
const MIN_TITLES: usize = 5;
const MIN_TECHNOLOGIES: usize = 5;

/// The occupations of the set and the judge.
pub(crate) struct Sources {
    pub(crate) occupations: Vec<EvalOccupation>,
    pub(crate) judge: Judge,
}

fn gen_error(error: GenError) -> EvalError {
    EvalError::Gen(error)
}

impl Sources {
    /// Reads O*NET and ESCO under `shared_data_dir`. Occupations need titles,
    /// technologies and an ESCO occupation to be judged by.
    pub(crate) fn load(shared_data_dir: &Path, seed: u64) -> Result<Self, EvalError> {
        let paths = SourcePaths::new(shared_data_dir);
        if !paths.onet.is_dir() || !paths.esco.is_dir() {
            return Err(EvalError::Config(format!(
                "the independent evaluation reads O*NET and ESCO under {}; pass --shared",
                shared_data_dir.display()
            )));
        }
        let onet = Onet::load(&paths.onet).map_err(gen_error)?;
        let esco = Esco::load(&paths.esco).map_err(gen_error)?;

        // ESCO occupations by the O*NET occupation their titles point to.
        let mut linked: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, o) in esco.occupations.iter().enumerate() {
            if let Some(code) = join_onet(o, &onet) {
                linked.entry(code).or_default().push(i);
            }
        }
        let judge = Judge::build(&paths.esco, &esco, &linked)?;

        let table = |name: &str| Table::tsv(&paths.onet.join(name)).map_err(gen_error);
        let data = table("occupation_data.tsv")?;
        let (code_col, title_col, description_col) = (
            data.column("O*NET-SOC Code").map_err(gen_error)?,
            data.column("Title").map_err(gen_error)?,
            data.column("Description").map_err(gen_error)?,
        );
        let mut titles: HashMap<String, Vec<String>> = HashMap::new();
        let alternate = table("alternate_titles.tsv")?;
        let (code, title) = (
            alternate.column("O*NET-SOC Code").map_err(gen_error)?,
            alternate.column("Alternate Title").map_err(gen_error)?,
        );
        for r in &alternate.rows {
            titles
                .entry(field(r, code).to_owned())
                .or_default()
                .push(field(r, title).to_owned());
        }
        let reported = table("reported_titles.tsv")?;
        let (code, title) = (
            reported.column("O*NET-SOC Code").map_err(gen_error)?,
            reported.column("Reported Job Title").map_err(gen_error)?,
        );
        for r in &reported.rows {
            titles
                .entry(field(r, code).to_owned())
                .or_default()
                .push(field(r, title).to_owned());
        }

        // Titles are split by their form, for every occupation alike, so an
        // opening's title is nobody's title.
        let opening_form = |form: &str| {
            let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
            for b in form.bytes() {
                h = mix64(h ^ u64::from(b));
            }
            (h >> 11) as f64 / (1u64 << 53) as f64 <= OPENING_TITLE_SHARE
        };

        let mut occupations = Vec::new();
        for r in &data.rows {
            let code = field(r, code_col).to_owned();
            if !judge.knows(&code) {
                continue;
            }
            let mut seen = HashSet::new();
            let mut alumni_titles = Vec::new();
            let mut opening_titles = Vec::new();
            for t in titles.get(&code).into_iter().flatten() {
                let form = exact_form(t);
                if form.is_empty() || t.len() > 60 || t.contains(['(', ')', '/', ',']) || !seen.insert(form.clone()) {
                    continue;
                }
                if opening_form(&form) {
                    // Titles several occupations share ("Project Manager") stay:
                    // postings use them, and the skills must tell which is meant.
                    opening_titles.push(t.trim().to_owned());
                } else {
                    alumni_titles.push(t.trim().to_owned());
                }
            }
            let mut names = HashSet::new();
            let technologies: Vec<(String, bool)> = onet
                .technologies
                .get(&code)
                .into_iter()
                .flatten()
                .filter(|t| names.insert(t.example.clone()))
                .map(|t| (t.example.clone(), t.hot))
                .collect();
            if alumni_titles.len() < MIN_TITLES || opening_titles.is_empty() || technologies.len() < MIN_TECHNOLOGIES {
                continue;
            }
            occupations.push(EvalOccupation {
                code,
                title: field(r, title_col).to_owned(),
                description: field(r, description_col).to_owned(),
                alumni_titles,
                opening_titles,
                technologies,
            });
        }
        if occupations.len() < 20 {
            return Err(EvalError::Data(format!(
                "only {} O*NET occupations have titles, technologies and an ESCO occupation",
                occupations.len()
            )));
        }
        Ok(Self { occupations, judge })
    }
}
