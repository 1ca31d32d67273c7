//! The generator commands' arguments: `snapshot`, `generate-changelog`, `diff`,
//! `diff-changelog` and `update-testing-rollback --verify-snapshot` (handled in
//! `crate::generate`).

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use executor::Format;
use generator::baseline;

/// Which objects to read besides collections, views and indexes, and which to leave out.
#[derive(Debug, Args, Clone, Default)]
pub(crate) struct Objects {
    /// Also read custom roles (`rolesInfo`).
    #[arg(long)]
    pub(crate) include_roles: bool,
    /// Also read users (`usersInfo`); passwords become `${password.<user>}` properties.
    #[arg(long)]
    pub(crate) include_users: bool,
    /// Also read shard keys (through a mongos); their changesets get the context `sharding`.
    #[arg(long)]
    pub(crate) include_sharding: bool,
    /// Only these objects, as Liquibase's includeObjects: comma-separated regular expressions
    /// that must match the whole name, case-sensitively (`(?i)` ignores case), each optionally
    /// prefixed with a kind: `orders_.*,view:.*,index:ix_.*` (kinds: collection or table, view,
    /// index, role, user). An index also matches through its collection's name.
    #[arg(long, alias = "includeObjects", conflicts_with = "exclude_objects")]
    pub(crate) include_objects: Option<String>,
    /// Leave these objects out (same syntax as --include-objects; not with it).
    #[arg(long, alias = "excludeObjects")]
    pub(crate) exclude_objects: Option<String>,
}

/// `snapshot`.
#[derive(Debug, Args)]
pub(crate) struct SnapshotArgs {
    #[command(flatten)]
    pub(crate) objects: Objects,
    /// Write the snapshot here instead of stdout.
    #[arg(long, alias = "outputFile")]
    pub(crate) output_file: Option<PathBuf>,
    /// `json`, the file `--reference-snapshot` and `offline:mongodb?snapshot=FILE` read, or
    /// `txt`, a listing for people [default: json].
    #[arg(long, value_enum, ignore_case = true, alias = "snapshotFormat")]
    pub(crate) snapshot_format: Option<SnapshotFormat>,
}

/// `snapshot --snapshot-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SnapshotFormat {
    /// lbmongo's snapshot file, read back by `diff` and `diff-changelog`.
    Json,
    /// A listing of the objects, not read back.
    Txt,
}

/// A changelog format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FormatArg {
    /// XML in the liquibase-mongodb namespace.
    Xml,
    /// YAML with JSON string scalars.
    Yaml,
    /// JSON with `$rawJson` values.
    Json,
    /// Formatted mongosh `.js` (`runWith:mongosh`).
    Js,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Xml => Format::Xml,
            FormatArg::Yaml => Format::Yaml,
            FormatArg::Json => Format::Json,
            FormatArg::Js => Format::Formatted,
        }
    }
}

/// `--changeset-per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PerArg {
    /// One changeset per collection with its indexes.
    Collection,
    /// One changeset per collection and one per index.
    Index,
}

/// How generated changesets look.
#[derive(Debug, Args, Clone)]
pub(crate) struct Style {
    /// The changesets' author.
    #[arg(long, default_value = baseline::DEFAULT_AUTHOR)]
    pub(crate) author: String,
    /// The format when writing to stdout, or to override the file's extension.
    #[arg(long, value_enum)]
    pub(crate) format: Option<FormatArg>,
    /// One changeset per collection (with its indexes) or per index.
    #[arg(long, value_enum, default_value = "collection", alias = "changesetPer")]
    pub(crate) changeset_per: PerArg,
}

/// `generate-changelog`.
#[derive(Debug, Args)]
pub(crate) struct GenerateArgs {
    #[command(flatten)]
    pub(crate) objects: Objects,
    #[command(flatten)]
    pub(crate) style: Style,
    /// Also emit up to N documents per collection as `insertMany`.
    #[arg(long, value_name = "N", alias = "includeData")]
    pub(crate) include_data: Option<u32>,
    /// Replace an existing changelog file.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", alias = "overwriteOutputFile")]
    pub(crate) overwrite_output_file: Option<String>,
}

/// The two sides of a comparison.
#[derive(Debug, Args, Clone)]
pub(crate) struct Sides {
    /// The reference (wanted) database: `mongodb://host/db`.
    #[arg(long, alias = "referenceUrl")]
    pub(crate) reference_url: Option<String>,
    /// User name for --reference-url.
    #[arg(long, alias = "referenceUsername")]
    pub(crate) reference_username: Option<String>,
    /// Password for --reference-url (prefer `LIQUIBASE_COMMAND_REFERENCE_PASSWORD`).
    #[arg(
        long,
        alias = "referencePassword",
        env = "LIQUIBASE_COMMAND_REFERENCE_PASSWORD",
        hide_env_values = true
    )]
    pub(crate) reference_password: Option<String>,
    /// A snapshot file (`lbmongo snapshot`) as the reference, instead of --reference-url.
    #[arg(long)]
    pub(crate) reference_snapshot: Option<PathBuf>,
    /// A snapshot file as the target, instead of --url.
    #[arg(long)]
    pub(crate) target_snapshot: Option<PathBuf>,
}

/// `diff`.
#[derive(Debug, Args)]
pub(crate) struct DiffArgs {
    #[command(flatten)]
    pub(crate) sides: Sides,
    #[command(flatten)]
    pub(crate) objects: Objects,
}

/// `update-testing-rollback`.
#[derive(Debug, Args)]
pub(crate) struct TestingRollbackArgs {
    /// Also prove that the rollbacks restore the schema: snapshot the database (collections,
    /// views, indexes, custom roles and users; not the tracking collections) before the update
    /// and after the rollback, and fail with the differences, before updating again, if the two
    /// snapshots differ.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", alias = "verifySnapshot")]
    pub(crate) verify_snapshot: Option<String>,
}

/// `diff-changelog`.
#[derive(Debug, Args)]
pub(crate) struct DiffChangelogArgs {
    #[command(flatten)]
    pub(crate) sides: Sides,
    #[command(flatten)]
    pub(crate) objects: Objects,
    #[command(flatten)]
    pub(crate) style: Style,
    /// Drop objects that exist only in the target.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", alias = "includeDrops")]
    pub(crate) include_drops: Option<String>,
}
