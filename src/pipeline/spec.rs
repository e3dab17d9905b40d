//! `PipelineSpec`: the pipeline file a data steward writes (`pipelines/*.toml`).

pub(crate) use crate::source::spec::{RetrySpec, SourceSpec};
use serde::Deserialize;
use std::path::Path;

fn first_contract() -> u32 {
    1
}

/// One pipeline: where an agency dataset comes from and how it becomes a master dataset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    /// Pipeline identifier: lower case letters, digits, `_` and `-` (used in run history and CLI).
    pub id: crate::ident::Ident,
    /// Electronic identifier code of the agency that owns the data (Decision 20/2020/QĐ-TTg form,
    /// e.g. `000.00.12.H48`).
    pub(crate) owner: crate::ident::AgencyCode,
    /// Name of the master dataset this pipeline maintains (same character set as `id`).
    pub dataset: crate::ident::Ident,
    /// Human title of the dataset, shown to consumers.
    #[serde(default)]
    pub(crate) title: String,
    /// What the dataset holds and what it may be used for.
    #[serde(default)]
    pub(crate) description: String,
    /// When to pull, as a cron expression with seconds (`sec min hour day month weekday`).
    #[serde(default)]
    pub schedule: Option<crate::cron::Schedule>,
    /// `full` (the extract is the whole dataset: a key missing from it is deleted) or `partial`
    /// (the extract holds changed rows only: deletes are never inferred).
    #[serde(default)]
    pub(crate) extract: ExtractMode,
    /// Field names that identify a record (the business key). Rows with the same normalized key
    /// are duplicates and collapse into one by `survivorship`.
    pub(crate) key: Vec<String>,
    /// Where the data is pulled from (see `source::spec`).
    pub(crate) source: SourceSpec,
    /// Retries when the source fails (server down, timeout, 5xx).
    #[serde(default)]
    pub(crate) retry: RetrySpec,
    /// What the scheduler does on start about a fire time missed while no instance ran:
    /// `skip` (default) or `run_once`.
    #[serde(default)]
    pub(crate) missed: Missed,
    /// The fields of the dataset, in published column order.
    pub(crate) fields: Vec<FieldSpec>,
    /// In a full extract, what becomes of a current record whose new row is quarantined:
    /// `keep_previous` (default: it keeps its current version) or `withdraw` (it is deleted,
    /// as if missing from the extract).
    #[serde(default)]
    pub(crate) on_quarantined_key: OnQuarantinedKey,
    /// Which row survives when several rows share a business key.
    #[serde(default)]
    pub(crate) survivorship: SurvivorshipSpec,
    /// How versions are published.
    #[serde(default)]
    pub(crate) publish: PublishSpec,
    /// Version of the data contract consumers rely on (default 1). A change that breaks it (a
    /// field removed or renamed, a type changed, another key) is refused until this is raised.
    #[serde(default = "first_contract")]
    pub(crate) contract_version: u32,
    /// How long quarantine files and the personal details of audit entries are kept.
    #[serde(default)]
    pub(crate) retention: super::retention::RetentionSpec,
    /// Quality gates checked before a version is published (see `pipeline::gates`).
    #[serde(default)]
    pub(crate) gates: super::gates::GatesSpec,
    /// Fuzzy matching of this dataset's records into master entities (see `matching::spec`).
    #[serde(default)]
    pub matching: Option<crate::matching::spec::MatchSpec>,
}

/// What the scheduler does about a fire time missed while no instance was running.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Missed {
    /// Wait for the next fire time.
    #[default]
    Skip,
    /// Run once at start when the last fire time has no run.
    RunOnce,
}

/// What a full extract does with a current record whose new row is quarantined.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum OnQuarantinedKey {
    /// The record keeps its current version (counted in `kept_previous`).
    #[default]
    KeepPrevious,
    /// The record is deleted (counted in `deleted` and in `withdrawn`).
    Withdraw,
}

/// Whether an extract is the whole dataset or only the rows that changed.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ExtractMode {
    /// The whole dataset; keys missing from it are deletes.
    #[default]
    Full,
    /// Changed rows only; deletes are never inferred.
    Partial,
}

/// One field of the dataset. `Default` gives what a pipeline file leaves out: a string field,
/// optional, without normalizers or rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FieldSpec {
    /// Field name as published (a column of the snapshot).
    pub(crate) name: String,
    /// Value type (default `string`).
    #[serde(rename = "type", default)]
    pub(crate) kind: FieldType,
    /// A row without a value here is quarantined (reason `required`).
    #[serde(default)]
    pub(crate) required: bool,
    /// For `decimal`: digits kept after the decimal mark (default 2).
    #[serde(default)]
    pub(crate) scale: Option<u32>,
    /// Normalizers applied in order, after white space is trimmed and collapsed and text is put
    /// in Unicode NFC (always done).
    #[serde(default)]
    pub(crate) normalize: Vec<Normalizer>,
    /// Rules a value must satisfy; a row failing any goes to quarantine with every reason.
    #[serde(default)]
    pub(crate) rules: Vec<RuleSpec>,
    /// What the field means, published in the data dictionary.
    #[serde(default)]
    pub(crate) description: String,
    /// For `int` and `decimal`: what a lone '.' followed by exactly three digits means, the one
    /// ambiguous way of writing a number (`1.234`). `","` reads it as Vietnamese grouping
    /// (1234): the default, except for SQL sources. `"."` reads it as a decimal mark (1.234):
    /// the default for SQL sources, whose values are written by the database. Numeric cells of
    /// Excel and JSON numbers are written unambiguously whatever this says.
    #[serde(default)]
    pub(crate) decimal_mark: Option<DecimalMark>,
    /// Largest share (0 to 1) of the valid rows that may leave this field empty; a run above it
    /// is held (a quality gate). Default: no limit.
    #[serde(default)]
    pub(crate) max_null_fraction: Option<f64>,
    /// Personal data (Law 91/2025/QH15 on personal data protection, Điều 2 khoản 2–3): `basic`
    /// or `sensitive`; published in the data dictionary and the manifest. Default: not personal.
    #[serde(default)]
    pub(crate) personal: Option<Personal>,
}

/// The class of a personal-data field (published in the data dictionary).
pub(crate) use crate::versions::Personal;

/// The decimal mark of a field's numbers, where the text leaves it open.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub(crate) enum DecimalMark {
    /// `1.234` is 1234 (Vietnamese: `1.234.567,5`).
    #[serde(rename = ",")]
    Comma,
    /// `1.234` is 1.234.
    #[serde(rename = ".")]
    Dot,
}

impl DecimalMark {
    /// The default for numbers read from `source`: a database's use '.'.
    pub(crate) fn default_for(source: &crate::source::spec::SourceSpec) -> DecimalMark {
        match source {
            crate::source::spec::SourceSpec::Sql(_) => DecimalMark::Dot,
            _ => DecimalMark::Comma,
        }
    }
}

/// The type of a field's values.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum FieldType {
    /// Text (UTF-8, NFC).
    #[default]
    String,
    /// 64-bit integer; Vietnamese thousand separators accepted (`1.234.567`).
    Int,
    /// Fixed-point number with `scale` decimals; `1.234.567,5` and `1,234,567.5` both accepted.
    Decimal,
    /// Calendar date; `dd/mm/yyyy`, `d/m/yyyy`, `dd-mm-yyyy`, `dd.mm.yyyy`, `yyyy-mm-dd` and
    /// `yyyy/mm/dd` accepted.
    Date,
    /// Date and time (no zone); a date form followed by `HH:MM[:SS]`.
    Datetime,
    /// Boolean; `true/false`, `1/0`, `yes/no`, `y/n`, `có/không`, `đúng/sai`, `x` (true).
    /// An empty cell is missing, not false.
    Bool,
}

/// A value transformation, applied before type parsing. Written as a string
/// (`"upper"`) or, for those with a parameter, a one-key table (`{ pad_left = 5 }`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Normalizer {
    /// Upper case (Vietnamese-aware, result in NFC).
    Upper,
    /// Lower case.
    Lower,
    /// First letter of each word upper case, the rest lower case.
    Title,
    /// Keep digits only.
    Digits,
    /// Phone number to the national form: `+84`/`84` → `0`, 2018 11→10-digit mobile prefixes.
    Phone,
    /// Tax code: spaces and dots removed, 13 digits written `XXXXXXXXXX-NNN`.
    TaxCode,
    /// Left-pad a value made only of digits with `0` to this width (codes that lost leading zeros).
    PadLeft(usize),
    /// Treat these values (after trimming, case-insensitive) as missing.
    NullIf(Vec<String>),
    /// Replace a retired code of this catalog by its one current successor; a code that was
    /// split into several units is quarantined with the candidates listed.
    Successor(String),
    /// Turn a written place ("Xã Hòa Tiến, Huyện Hòa Vang, Đà Nẵng") into the code of this
    /// catalog valid on the run date; a match below `min_confidence` is quarantined with its
    /// candidates. Written `{ name_to_code = { catalog = "communes", min_confidence = 0.9 } }`.
    NameToCode {
        /// Catalog identifier.
        catalog: String,
        /// Lowest confidence accepted, 0 to 1 (default 0.9).
        #[serde(default = "default_confidence")]
        min_confidence: f64,
    },
}

fn default_confidence() -> f64 {
    0.9
}

/// A validation rule. Internally tagged by `kind`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum RuleSpec {
    /// The text value must match this regular expression (whole value: anchor it with `^…$`).
    Regex {
        /// Regular expression (Rust `regex` syntax).
        pattern: String,
    },
    /// The value must lie within `[min, max]` (numbers for int/decimal, `yyyy-mm-dd` for dates).
    Range {
        /// Lower bound, inclusive.
        #[serde(default)]
        min: Option<toml::Value>,
        /// Upper bound, inclusive.
        #[serde(default)]
        max: Option<toml::Value>,
    },
    /// Text length in characters within `[min, max]`.
    Length {
        /// Shortest allowed length.
        #[serde(default)]
        min: Option<usize>,
        /// Longest allowed length.
        #[serde(default)]
        max: Option<usize>,
    },
    /// The value must be one of these (compared after normalization).
    Enum {
        /// Allowed values.
        values: Vec<String>,
    },
    /// No two different business keys may share this value; every row involved is quarantined.
    Unique,
    /// Vietnamese tax code: 10 digits with a valid check digit, optionally `-NNN` (branch), or
    /// a 12-digit personal identification number (individuals from 2025-07-01).
    TaxCode,
    /// The value must be a code of this shared catalog (loaded with `lgsp init`), valid on the
    /// date in field `as_of` of the same row, or on the run date.
    InCatalog {
        /// Catalog identifier, e.g. `communes`.
        catalog: String,
        /// A date or date-time field of the row giving the date the code must be valid on
        /// (default: the run date; a row without that date uses the run date).
        #[serde(default)]
        as_of: Option<String>,
    },
}

/// Which row survives among rows sharing a business key.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct SurvivorshipSpec {
    /// `latest` (greatest `field`), `earliest` (smallest `field`), `first` or `last` (file order).
    #[serde(default)]
    pub(crate) rule: Survivorship,
    /// The field compared by `latest` / `earliest` (required for them). Ties go to the later row.
    #[serde(default)]
    pub(crate) field: Option<String>,
}

impl Default for SurvivorshipSpec {
    fn default() -> Self {
        SurvivorshipSpec { rule: Survivorship::Last, field: None }
    }
}

/// Survivorship rules for exact duplicates.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Survivorship {
    /// The row with the greatest value of `field`.
    Latest,
    /// The row with the smallest value of `field`.
    Earliest,
    /// The first row in file order.
    First,
    /// The last row in file order.
    #[default]
    Last,
}

/// Publishing options.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct PublishSpec {
    /// Parquet compression: `zstd` (default), `snappy`, `lz4` or `none`.
    #[serde(default)]
    pub(crate) compression: crate::parquet_io::Codec,
    /// zstd level, 1 to 22 (default 1, the fastest: on the enterprise registry its files are 2%
    /// larger than level 3's and take about half the time to write). Only with `zstd`.
    #[serde(default)]
    pub(crate) compression_level: Option<i32>,
    /// Rows per Parquet row group (default 32768). Publishing holds about one row group of each
    /// file in memory at a time.
    #[serde(default = "default_row_group")]
    pub(crate) row_group_size: usize,
    /// Largest share (0 to 1) of the current records one run may delete (default 0.5). A full
    /// extract that would delete more fails: it is usually a truncated or wrong file.
    #[serde(default = "default_max_delete")]
    pub(crate) max_delete_fraction: f64,
    /// How many versions keep their files (snapshot, changes, quarantine, duplicates); older
    /// versions keep their row and manifest, and the API answers 410 Gone for their files and
    /// for changes that need them. Default: keep every version.
    #[serde(default)]
    pub(crate) keep_versions: Option<u32>,
}

fn default_max_delete() -> f64 {
    0.5
}

fn default_row_group() -> usize {
    32_768
}

impl Default for PublishSpec {
    fn default() -> Self {
        PublishSpec {
            compression: crate::parquet_io::Codec::Zstd,
            compression_level: None,
            row_group_size: default_row_group(),
            max_delete_fraction: default_max_delete(),
            keep_versions: None,
        }
    }
}

impl PublishSpec {
    /// How the version's Parquet files are written.
    pub(crate) fn parquet(&self) -> crate::parquet_io::Options {
        crate::parquet_io::Options {
            codec: self.compression,
            zstd_level: Some(self.compression_level.unwrap_or(1)),
            row_group_size: self.row_group_size,
        }
    }
}

impl PipelineSpec {
    /// The electronic identifier code of the agency that owns the data.
    pub fn owner(&self) -> &str {
        self.owner.as_str()
    }

    /// The errors of every catalog this pipeline (read from `path`) names that is not one of
    /// `known` (the ids of the catalog files).
    pub fn unknown_catalogs(&self, path: &Path, known: &[String]) -> Vec<super::check::SpecError> {
        super::check::unknown_catalogs(path, self, known)
    }

    /// Reads and checks a pipeline file. Errors name the file, the key path and what is wrong.
    pub fn load(path: &Path) -> Result<PipelineSpec, super::check::SpecError> {
        super::check::load(path)
    }

    /// The field named `name`, if any.
    pub(crate) fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The names of the fields, in order: the order of a record's values in the store.
    pub(crate) fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name.clone()).collect()
    }

    /// The extract mode in effect: an incremental source never infers deletes.
    pub(crate) fn effective_extract(&self) -> ExtractMode {
        if self.source.incremental() {
            ExtractMode::Partial
        } else {
            self.extract
        }
    }
}
