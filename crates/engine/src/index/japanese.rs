//! Japanese morphological analysis: lindera's Viterbi lattice over an IPADIC
//! dictionary built on this machine from Debian's `mecab-ipadic` sources.
//!
//! The dictionary is built by `alumni-match data build-ja-dictionary` (which
//! `scripts/setup.sh` runs) rather than embedded: lindera's embedding features
//! download the dictionary at compile time, and the built dictionary (~50 MB) is
//! too large to commit.
//!
//! Text is NFKC-folded and Latin words are split exactly as by the bigram
//! analyzer ([`super::tokenize`]); only runs of Japanese script go through the
//! lattice. Particles, auxiliary verbs, conjunctions, symbols and fillers are
//! dropped (they carry no meaning for matching), and inflected words are indexed
//! by their dictionary form, so 開発した and 開発して both give 開発 / する.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
};

use lindera_dictionary::{
    builder::DictionaryBuilder,
    dictionary::{Dictionary, metadata::Metadata},
    mode::Mode,
    viterbi::{Lattice, LatticeOptions, WordId},
};
use serde::{Deserialize, Serialize};
use tantivy::tokenizer::{Token, Tokenizer};
use unicode_normalization::UnicodeNormalization;

use super::tokenizer::{BufferedTokenStream, Piece, push_token, scan};

/// Name under which the morphological tokenizer is registered with the index.
pub const JAPANESE: &str = "ja_morph";

/// Where Debian's `mecab-ipadic` package puts the dictionary sources.
pub const DEFAULT_IPADIC_SOURCE: &str = "/usr/share/mecab/dic/ipadic";

/// Where the built dictionary lives by default, relative to the working
/// directory (the repository root, like `data/taxonomy/`).
pub const DEFAULT_DICTIONARY_DIR: &str = "data/ja-dict";

/// File written next to the built dictionary saying what it was built from.
const STAMP_FILE: &str = "alumni-match.json";

/// The source layout of lindera's own IPADIC package, with Debian's encoding:
/// the mecab-ipadic tarball Debian ships is EUC-JP, lindera's mirror is UTF-8.
const IPADIC_METADATA: &str = r#"{
  "name": "ipadic",
  "encoding": "EUC-JP",
  "default_word_cost": -10000,
  "default_left_context_id": 0,
  "default_right_context_id": 0,
  "default_field_value": "*",
  "flexible_csv": true,
  "skip_invalid_cost_or_id": false,
  "normalize_details": true,
  "dictionary_schema": {
    "fields": [
      "surface", "left_context_id", "right_context_id", "cost",
      "part_of_speech", "part_of_speech_subcategory_1",
      "part_of_speech_subcategory_2", "part_of_speech_subcategory_3",
      "conjugation_form", "conjugation_type", "base_form", "reading", "pronunciation"
    ]
  },
  "user_dictionary_schema": { "fields": ["surface", "part_of_speech", "reading"] }
}"#;

/// Source files without which the build cannot work.
const REQUIRED_SOURCES: [&str; 3] = ["matrix.def", "char.def", "unk.def"];

/// Parts of speech (IPADIC's first feature) that are not indexed. Conjunctions
/// are among them because a run cut off by Latin text (the で of "Rustで開発")
/// reads as one.
const STOP_PARTS_OF_SPEECH: [&str; 5] = ["助詞", "助動詞", "接続詞", "記号", "フィラー"];

/// Position of the dictionary form among an entry's details (the CSV columns
/// after surface, context ids and cost).
const BASE_FORM_DETAIL: usize = 6;

/// Longest text handed to the lattice at once. The lattice addresses characters
/// with `u16` and panics beyond; a CJK run this long is not prose anyway.
const MAX_LATTICE_CHARS: usize = 4_096;

/// Errors of building or loading the Japanese dictionary.
#[derive(Debug, thiserror::Error)]
pub enum JapaneseDictionaryError {
    /// The source directory is not an IPADIC source tree.
    #[error(
        "{path} is not a MeCab IPADIC source directory (missing {missing}); install Debian's \
         mecab-ipadic package (scripts/setup.sh does) or pass --source"
    )]
    NotASource {
        /// The directory given.
        path: String,
        /// What was not found in it.
        missing: String,
    },
    /// No built dictionary at the path.
    #[error("no Japanese dictionary at {path}; run scripts/setup.sh (or `alumni-match data build-ja-dictionary`)")]
    Missing {
        /// The directory looked at.
        path: String,
    },
    /// File-system error.
    #[error("{path}: {message}")]
    Io {
        /// The file or directory.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// lindera failed to build or load the dictionary.
    #[error("Japanese dictionary at {path}: {message}")]
    Lindera {
        /// The dictionary directory.
        path: String,
        /// lindera's error.
        message: String,
    },
}

fn io_error(path: &Path, error: impl std::fmt::Display) -> JapaneseDictionaryError {
    JapaneseDictionaryError::Io {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

fn lindera_error(path: &Path, error: impl std::fmt::Display) -> JapaneseDictionaryError {
    JapaneseDictionaryError::Lindera {
        path: path.display().to_string(),
        message: error.to_string(),
    }
}

/// What a built dictionary was built from, stored beside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DictionaryStamp {
    /// FNV-1a 64 of the source files' names and contents, in hex: identifies the
    /// IPADIC release, so an index built with another one is rebuilt.
    pub source_fingerprint: String,
    /// The source directory.
    pub source: String,
    /// Version of the lindera-dictionary crate that wrote the files.
    pub lindera_dictionary: String,
}

/// Result of [`build_ipadic`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildReport {
    /// The stamp written beside the dictionary.
    pub stamp: DictionaryStamp,
    /// Lexicon entries read from the source CSV files.
    pub entries: usize,
    /// Total size of the built dictionary, in bytes.
    pub bytes: u64,
}

/// Builds a lindera dictionary from the EUC-JP MeCab IPADIC sources in `source`
/// into `out`. The build happens in a sibling directory that replaces `out` only
/// once the result loads, so an interrupted build never leaves a half dictionary
/// that a server would then try to use.
pub fn build_ipadic(source: &Path, out: &Path) -> Result<BuildReport, JapaneseDictionaryError> {
    let sources = source_files(source)?;
    let (source_fingerprint, entries) = fingerprint(&sources)?;
    let metadata: Metadata = serde_json::from_str(IPADIC_METADATA).map_err(|e| lindera_error(out, e))?;

    let parent = match out.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(|e| io_error(&parent, e))?;
    let name = out
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "ja-dict".into());
    let staging = parent.join(format!(".{name}.building-{}", std::process::id()));
    let previous = parent.join(format!(".{name}.previous-{}", std::process::id()));
    if staging.exists() {
        fs::remove_dir_all(&staging).map_err(|e| io_error(&staging, e))?;
    }

    let built = (|| {
        DictionaryBuilder::new(metadata)
            .build_dictionary(source, &staging)
            .map_err(|e| lindera_error(&staging, e))?;
        let stamp = DictionaryStamp {
            source_fingerprint,
            source: source.display().to_string(),
            lindera_dictionary: lindera_dictionary::get_version().to_owned(),
        };
        let json = serde_json::to_string_pretty(&stamp).map_err(|e| io_error(&staging, e))?;
        fs::write(staging.join(STAMP_FILE), json).map_err(|e| io_error(&staging, e))?;
        // Prove the result loads before it replaces anything.
        JapaneseMorphology::load(&staging)?;
        Ok(stamp)
    })();
    let stamp = match built {
        Ok(stamp) => stamp,
        Err(error) => {
            let _ = fs::remove_dir_all(&staging);
            return Err(error);
        }
    };

    if out.exists() {
        fs::rename(out, &previous).map_err(|e| io_error(out, e))?;
    }
    fs::rename(&staging, out).map_err(|e| io_error(out, e))?;
    if previous.exists() {
        fs::remove_dir_all(&previous).map_err(|e| io_error(&previous, e))?;
    }
    let bytes = directory_size(out)?;
    Ok(BuildReport { stamp, entries, bytes })
}

/// The source files in a stable order, checking the directory is an IPADIC source.
fn source_files(source: &Path) -> Result<Vec<PathBuf>, JapaneseDictionaryError> {
    let not_a_source = |missing: &str| JapaneseDictionaryError::NotASource {
        path: source.display().to_string(),
        missing: missing.to_owned(),
    };
    if !source.is_dir() {
        return Err(not_a_source("the directory itself"));
    }
    for required in REQUIRED_SOURCES {
        if !source.join(required).is_file() {
            return Err(not_a_source(required));
        }
    }
    let mut files = Vec::new();
    for entry in fs::read_dir(source).map_err(|e| io_error(source, e))? {
        let path = entry.map_err(|e| io_error(source, e))?.path();
        if matches!(path.extension().and_then(|e| e.to_str()), Some("csv" | "def")) {
            files.push(path);
        }
    }
    if !files.iter().any(|f| f.extension().is_some_and(|e| e == "csv")) {
        return Err(not_a_source("*.csv lexicon files"));
    }
    files.sort();
    Ok(files)
}

/// FNV-1a 64 over names and contents of `files`, and the number of lexicon lines.
fn fingerprint(files: &[PathBuf]) -> Result<(String, usize), JapaneseDictionaryError> {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = OFFSET;
    let mut entries = 0usize;
    let mut buffer = vec![0u8; 1 << 16];
    for file in files {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        for byte in name.bytes().chain([0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
        }
        let is_lexicon = file.extension().is_some_and(|e| e == "csv");
        let mut reader = fs::File::open(file).map_err(|e| io_error(file, e))?;
        loop {
            let read = reader.read(&mut buffer).map_err(|e| io_error(file, e))?;
            if read == 0 {
                break;
            }
            for &byte in &buffer[..read] {
                hash = (hash ^ u64::from(byte)).wrapping_mul(PRIME);
            }
            if is_lexicon {
                entries += buffer[..read].iter().filter(|&&b| b == b'\n').count();
            }
        }
    }
    Ok((format!("{hash:016x}"), entries))
}

fn directory_size(dir: &Path) -> Result<u64, JapaneseDictionaryError> {
    let mut total = 0;
    for entry in fs::read_dir(dir).map_err(|e| io_error(dir, e))? {
        let entry = entry.map_err(|e| io_error(dir, e))?;
        total += entry.metadata().map_err(|e| io_error(&entry.path(), e))?.len();
    }
    Ok(total)
}

/// A loaded Japanese dictionary. Cloning is cheap (the dictionary is shared).
#[derive(Clone)]
pub struct JapaneseMorphology {
    dictionary: Dictionary,
    id: String,
}

impl std::fmt::Debug for JapaneseMorphology {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JapaneseMorphology").field("id", &self.id).finish()
    }
}

impl JapaneseMorphology {
    /// Loads the dictionary built by [`build_ipadic`] from `dir` (memory-mapped).
    pub fn load(dir: &Path) -> Result<Self, JapaneseDictionaryError> {
        let stamp_path = dir.join(STAMP_FILE);
        if !stamp_path.is_file() {
            return Err(JapaneseDictionaryError::Missing {
                path: dir.display().to_string(),
            });
        }
        let stamp_text = fs::read_to_string(&stamp_path).map_err(|e| io_error(&stamp_path, e))?;
        let stamp: DictionaryStamp = serde_json::from_str(&stamp_text).map_err(|e| io_error(&stamp_path, e))?;
        let dictionary = Dictionary::load_from_path_with_options(dir, true).map_err(|e| lindera_error(dir, e))?;
        Ok(Self {
            dictionary,
            id: format!("ipadic-{}", stamp.source_fingerprint),
        })
    }

    /// Identifies the dictionary's content; recorded in the index so that an index
    /// built with another dictionary (or none) is rebuilt.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Splits `text` into words, calling `emit(term, byte_from, byte_to)` for each.
    /// Offsets point into the NFKC form of `text`, as with [`super::tokenize`].
    pub fn tokenize(&self, text: &str, emit: impl FnMut(&str, usize, usize)) {
        self.tokenize_with(&mut Lattice::default(), &mut Vec::new(), text, emit);
    }

    fn tokenize_with(
        &self,
        lattice: &mut Lattice,
        offsets: &mut Vec<(usize, WordId)>,
        text: &str,
        mut emit: impl FnMut(&str, usize, usize),
    ) {
        let normalized: String = text.nfkc().collect();
        let mode = Mode::Normal;
        let options = LatticeOptions::new(&mode);
        scan(&normalized, |piece| match piece {
            Piece::Word(word, from, to) => emit(word, from, to),
            Piece::CjkRun(run, start) => {
                for (chunk, chunk_start) in chunks(run, start) {
                    self.segment(lattice, offsets, &options, chunk, chunk_start, &mut emit);
                }
            }
        });
    }

    fn segment(
        &self,
        lattice: &mut Lattice,
        offsets: &mut Vec<(usize, WordId)>,
        options: &LatticeOptions<'_>,
        text: &str,
        start: usize,
        emit: &mut impl FnMut(&str, usize, usize),
    ) {
        let d = &self.dictionary;
        lattice.set_text_with_options(
            &d.prefix_dictionary,
            &None,
            &d.character_definition,
            &d.unknown_dictionary,
            &d.connection_cost_matrix,
            text,
            options,
        );
        lattice.tokens_offset_into(offsets);
        for (i, &(from, word_id)) in offsets.iter().enumerate() {
            let to = offsets.get(i + 1).map_or(text.len(), |next| next.0);
            let Some(surface) = text.get(from..to) else { continue };
            let details: Vec<&str> = if word_id.is_unknown() {
                d.unknown_word_details_iter(word_id.id() as usize).collect()
            } else {
                d.word_details_iter(word_id.id() as usize).collect()
            };
            if details.first().is_some_and(|pos| STOP_PARTS_OF_SPEECH.contains(pos)) {
                continue;
            }
            let term = match details.get(BASE_FORM_DETAIL) {
                Some(&base) if !base.is_empty() && base != "*" => base,
                _ => surface,
            };
            emit(term, start + from, start + to);
        }
    }
}

/// `run` cut into pieces of at most [`MAX_LATTICE_CHARS`] characters, with their
/// byte offsets (`start` is the run's).
fn chunks(run: &str, start: usize) -> impl Iterator<Item = (&str, usize)> {
    let mut rest = run;
    let mut offset = start;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let cut = rest
            .char_indices()
            .nth(MAX_LATTICE_CHARS)
            .map_or(rest.len(), |(i, _)| i);
        let (chunk, tail) = rest.split_at(cut);
        let item = (chunk, offset);
        offset += cut;
        rest = tail;
        Some(item)
    })
}

/// The tantivy tokenizer over [`JapaneseMorphology`]. Each clone (tantivy keeps
/// one per indexing thread) has its own lattice and buffers.
pub struct JapaneseTokenizer {
    morphology: JapaneseMorphology,
    lattice: Lattice,
    offsets: Vec<(usize, WordId)>,
    tokens: Vec<Token>,
}

impl JapaneseTokenizer {
    /// A tokenizer over `morphology`.
    pub fn new(morphology: JapaneseMorphology) -> Self {
        Self {
            morphology,
            lattice: Lattice::default(),
            offsets: Vec::new(),
            tokens: Vec::new(),
        }
    }
}

impl Clone for JapaneseTokenizer {
    fn clone(&self) -> Self {
        // A lattice grown on a long text is not worth copying.
        Self::new(self.morphology.clone())
    }
}

impl Tokenizer for JapaneseTokenizer {
    type TokenStream<'a> = BufferedTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        self.tokens.clear();
        let tokens = &mut self.tokens;
        self.morphology
            .tokenize_with(&mut self.lattice, &mut self.offsets, text, |term, from, to| {
                push_token(tokens, term, from, to)
            });
        BufferedTokenStream::new(&mut self.tokens)
    }
}

/// The dictionary built by `scripts/setup.sh`, for tests. Panics with the fix when
/// it is missing: tests that need it must not pass by skipping.
#[cfg(test)]
pub(crate) fn test_morphology() -> JapaneseMorphology {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(DEFAULT_DICTIONARY_DIR);
    match JapaneseMorphology::load(&dir) {
        Ok(morphology) => morphology,
        Err(error) => panic!("{error}\nThe Japanese dictionary is built by scripts/setup.sh; run it first."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        let morphology = test_morphology();
        let mut out = Vec::new();
        morphology.tokenize(text, |t, _, _| out.push(t.to_owned()));
        out
    }

    #[test]
    fn japanese_is_split_into_dictionary_words() {
        assert_eq!(words("機械学習エンジニア"), ["機械", "学習", "エンジニア"]);
        assert_eq!(words("東京都"), ["東京", "都"]);
        assert_eq!(words("京都"), ["京都"]);
    }

    #[test]
    fn particles_are_dropped_and_inflections_folded() {
        assert_eq!(words("推薦システムを開発した"), ["推薦", "システム", "開発", "する"]);
        assert_eq!(words("開発して"), ["開発", "する"]);
    }

    #[test]
    fn latin_words_and_width_are_handled_like_the_bigram_analyzer() {
        assert_eq!(words("Ｒｕｓｔで開発 (k8s)"), ["rust", "開発", "k8s"]);
        assert_eq!(words("ｴﾝｼﾞﾆｱ"), ["エンジニア"]);
    }

    #[test]
    fn offsets_point_into_the_normalized_text() {
        let morphology = test_morphology();
        let text = "Go と Ｒｕｓｔ で機械学習";
        let normalized: String = text.nfkc().collect();
        morphology.tokenize(text, |term, from, to| {
            assert_eq!(normalized[from..to].to_lowercase(), term);
        });
    }

    #[test]
    fn very_long_runs_do_not_overflow_the_lattice() {
        let text = "機械学習".repeat(20_000);
        let mut count = 0;
        test_morphology().tokenize(&text, |_, _, _| count += 1);
        assert!(count >= 40_000, "{count}");
    }

    #[test]
    fn a_non_source_directory_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let error = build_ipadic(dir.path(), &dir.path().join("out")).unwrap_err();
        assert!(matches!(error, JapaneseDictionaryError::NotASource { .. }), "{error}");
        let missing = JapaneseMorphology::load(&dir.path().join("nothing")).unwrap_err();
        assert!(missing.to_string().contains("scripts/setup.sh"), "{missing}");
    }
}
