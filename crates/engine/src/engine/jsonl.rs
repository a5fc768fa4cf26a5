//! Loading the project's JSONL data files (one domain record per line).

use std::{
    fs,
    io::{BufRead, BufReader},
    path::Path,
};

use super::{Engine, EngineError};
use crate::domain::{
    Alumnus, Opportunity, Violations,
    validation::{MAX_BATCH_ITEMS, validate_alumni_batch, validate_opportunity_batch},
};

impl Engine {
    /// Loads `alumni.jsonl` and `opportunities.jsonl` from `dir` (the project's JSONL
    /// format: one domain record per line). Every record is validated; a bad line
    /// stops the load with its line number. Returns `(alumni, opportunities)` loaded.
    pub fn load_dataset(&self, dir: &Path) -> Result<(usize, usize), EngineError> {
        let mut alumni_count = 0;
        for_each_jsonl_chunk::<Alumnus>(&dir.join("alumni.jsonl"), MAX_BATCH_ITEMS, |mut chunk, first_line| {
            // This loader is an edge of its own: every record is validated here.
            let mut violations = Violations::new();
            validate_alumni_batch(&chunk, &format!("alumni.jsonl:{first_line}+"), &mut violations);
            violations.into_result()?;
            alumni_count += chunk.len();
            self.write_alumni(&mut chunk)?;
            Ok(())
        })?;
        let mut opportunity_count = 0;
        for_each_jsonl_chunk::<Opportunity>(&dir.join("opportunities.jsonl"), MAX_BATCH_ITEMS, |chunk, _| {
            let mut violations = Violations::new();
            validate_opportunity_batch(&chunk, &mut violations);
            violations.into_result()?;
            opportunity_count += chunk.len();
            self.write_opportunities(chunk)?;
            Ok(())
        })?;
        Ok((alumni_count, opportunity_count))
    }
}

/// Reads a JSONL file in chunks of `chunk` records, calling `visit(records, first line number)`.
pub fn for_each_jsonl_chunk<T: serde::de::DeserializeOwned>(
    path: &Path,
    chunk: usize,
    mut visit: impl FnMut(Vec<T>, usize) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let file_error = |message: String| EngineError::DataFile {
        path: path.display().to_string(),
        message,
    };
    let file = fs::File::open(path).map_err(|e| file_error(e.to_string()))?;
    let mut batch = Vec::with_capacity(chunk);
    let mut first_line = 1;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| file_error(format!("line {}: {e}", i + 1)))?;
        if line.trim().is_empty() {
            continue;
        }
        if batch.is_empty() {
            first_line = i + 1;
        }
        batch.push(serde_json::from_str(&line).map_err(|e| file_error(format!("line {}: {e}", i + 1)))?);
        if batch.len() == chunk {
            visit(std::mem::take(&mut batch), first_line)?;
        }
    }
    if !batch.is_empty() {
        visit(batch, first_line)?;
    }
    Ok(())
}
