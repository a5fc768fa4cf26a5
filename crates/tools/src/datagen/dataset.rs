//! Writing a generated data set as JSONL: alumni, opportunities and the occupation
//! labels that judge relevance between them.

use std::{
    fs::{self, File},
    io::{BufWriter, Write},
    path::Path,
};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{GenConfig, GenError, Generator, vocab::Vocabulary};

/// Alumni generated per parallel batch: large enough to keep both cores busy,
/// small enough that memory stays flat however many alumni are asked for.
const BATCH: usize = 4_096;

/// An alumnus line, its label line, and whether the profile is Japanese.
type SerializedAlumnus = (Vec<u8>, Vec<u8>, bool);

/// One line of `labels.jsonl`: the occupations behind a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum Label {
    /// An alumnus and the occupations held, oldest first (last = current).
    Alumnus {
        /// Alumnus id.
        id: String,
        /// ESCO occupation codes.
        occupation_ids: Vec<String>,
    },
    /// An opportunity and the occupation it was drawn from.
    Opportunity {
        /// Opportunity id.
        id: String,
        /// ESCO occupation code.
        occupation_id: String,
    },
}

/// What [`write_dataset`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetStats {
    /// Alumni written.
    pub alumni: usize,
    /// Of which written in Japanese.
    pub japanese_alumni: usize,
    /// Opportunities written.
    pub opportunities: usize,
    /// Bytes of `alumni.jsonl`.
    pub alumni_bytes: u64,
    /// Bytes of `opportunities.jsonl`.
    pub opportunities_bytes: u64,
    /// Bytes of `labels.jsonl`.
    pub labels_bytes: u64,
}

/// Writes `alumni.jsonl`, `opportunities.jsonl` and `labels.jsonl` to `out_dir`
/// (created if missing), one record per line in the domain's serde JSON form.
///
/// Alumni are generated in parallel batches and written in id order, so output
/// is byte-identical for a given vocabulary and configuration whatever the number
/// of threads; memory use does not grow with `config.alumni`. `progress` is called
/// with the number of alumni written so far after each batch.
pub fn write_dataset(
    vocab: &Vocabulary,
    config: &GenConfig,
    out_dir: &Path,
    mut progress: impl FnMut(usize),
) -> Result<DatasetStats, GenError> {
    let generator = Generator::new(vocab, config)?;
    fs::create_dir_all(out_dir).map_err(|source| io_error(out_dir, source))?;
    let alumni_path = out_dir.join("alumni.jsonl");
    let opportunities_path = out_dir.join("opportunities.jsonl");
    let labels_path = out_dir.join("labels.jsonl");
    let mut alumni_out = JsonLines::create(&alumni_path)?;
    let mut labels_out = JsonLines::create(&labels_path)?;
    let mut stats = DatasetStats::default();

    let mut start = 0;
    while start < config.alumni {
        let end = (start + BATCH).min(config.alumni);
        // Serialising is most of the work, so it happens in the workers too.
        let batch: Vec<Result<SerializedAlumnus, serde_json::Error>> = (start..end)
            .into_par_iter()
            .map(|i| {
                let generated = generator.alumnus(i);
                let alumnus = json_line(&generated.alumnus)?;
                let label = json_line(&Label::Alumnus {
                    id: generated.alumnus.id,
                    occupation_ids: generated.occupation_ids,
                })?;
                Ok((alumnus, label, generated.japanese))
            })
            .collect();
        for lines in batch {
            let (alumnus, label, japanese) = lines.map_err(|source| GenError::Json {
                path: alumni_path.display().to_string(),
                source,
            })?;
            alumni_out.write_raw(&alumnus)?;
            labels_out.write_raw(&label)?;
            stats.japanese_alumni += usize::from(japanese);
        }
        stats.alumni = end;
        progress(end);
        start = end;
    }
    if config.alumni == 0 {
        progress(0);
    }

    let mut opportunities_out = JsonLines::create(&opportunities_path)?;
    for j in 0..config.opportunities {
        let generated = generator.opportunity(j);
        opportunities_out.write(&generated.opportunity)?;
        labels_out.write(&Label::Opportunity {
            id: generated.opportunity.id,
            occupation_id: generated.occupation_id,
        })?;
    }
    stats.opportunities = config.opportunities;
    stats.alumni_bytes = alumni_out.finish()?;
    stats.opportunities_bytes = opportunities_out.finish()?;
    stats.labels_bytes = labels_out.finish()?;
    Ok(stats)
}

/// A buffered JSONL file that remembers its path for error messages.
struct JsonLines {
    path: String,
    out: BufWriter<File>,
    bytes: u64,
    line: Vec<u8>,
}

impl JsonLines {
    fn create(path: &Path) -> Result<Self, GenError> {
        let file = File::create(path).map_err(|source| io_error(path, source))?;
        Ok(Self {
            path: path.display().to_string(),
            out: BufWriter::with_capacity(1 << 20, file),
            bytes: 0,
            line: Vec::with_capacity(4_096),
        })
    }

    fn write(&mut self, value: &impl Serialize) -> Result<(), GenError> {
        self.line.clear();
        serde_json::to_writer(&mut self.line, value).map_err(|source| GenError::Json {
            path: self.path.clone(),
            source,
        })?;
        self.line.push(b'\n');
        self.out.write_all(&self.line).map_err(|source| GenError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.bytes += self.line.len() as u64;
        Ok(())
    }

    /// Writes an already serialised line (newline included).
    fn write_raw(&mut self, line: &[u8]) -> Result<(), GenError> {
        self.out.write_all(line).map_err(|source| GenError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.bytes += line.len() as u64;
        Ok(())
    }

    fn finish(mut self) -> Result<u64, GenError> {
        self.out.flush().map_err(|source| GenError::Io {
            path: self.path.clone(),
            source,
        })?;
        Ok(self.bytes)
    }
}

/// One JSONL line: the value's JSON and a newline.
fn json_line(value: &impl Serialize) -> Result<Vec<u8>, serde_json::Error> {
    let mut line = serde_json::to_vec(value)?;
    line.push(b'\n');
    Ok(line)
}

fn io_error(path: &Path, source: std::io::Error) -> GenError {
    GenError::Io {
        path: path.display().to_string(),
        source,
    }
}
