//! The limit: the least a migration tool must do for the benchmark workloads, with the same
//! driver lbmongo uses and nothing else.
//!
//! `bench-limit update --url URL --count N` takes the lock (one insert into the lock collection),
//! sends each P1 changeset's three commands ([`workload::commands`]) plus one history insert,
//! and releases the lock (one update). No changelog is read, no history is read, no checksum is
//! computed and no tracking collection is prepared.
//!
//! `bench-limit fleet --url URL --prefix P --count N --parallel K` does `update`'s work on every
//! database whose name starts with `P` (one `listDatabases`), `K` databases at a time over one
//! client: the fleet case's limit, with lbmongo's `--parallel`.
//!
//! `bench-limit introspect --url URL` runs what a generator cannot avoid: `listCollections`, then
//! `listIndexes` for each collection, and counts what it saw.

use std::io::Write as _;

use anyhow::{Context as _, Result, bail};
use clap::{Parser, Subcommand};
use futures_util::{StreamExt as _, TryStreamExt as _};
use lbmongo_bench::workload;
use mongodb::Client;
use mongodb::bson::{Document, doc};

/// The benchmark's limit program.
#[derive(Debug, Parser)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply P1 changesets `0..count` with the bare commands, a history insert each and a lock.
    Update {
        /// Connection URL with the database in the path.
        #[arg(long)]
        url: String,
        /// Number of changesets.
        #[arg(long)]
        count: usize,
    },
    /// `update` on every database whose name starts with `prefix`, `parallel` at a time.
    Fleet {
        /// Connection URL of the cluster (any database in the path is ignored).
        #[arg(long)]
        url: String,
        /// The fleet: databases whose names start with this.
        #[arg(long)]
        prefix: String,
        /// Number of changesets per database.
        #[arg(long)]
        count: usize,
        /// Databases at a time.
        #[arg(long)]
        parallel: usize,
    },
    /// `listCollections` plus `listIndexes` for each collection.
    Introspect {
        /// Connection URL with the database in the path.
        #[arg(long)]
        url: String,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot build a Tokio runtime")?;
    runtime.block_on(async {
        match cli.command {
            Command::Update { url, count } => update(&connect(&url).await?, count).await,
            Command::Fleet {
                url,
                prefix,
                count,
                parallel,
            } => fleet(&url, &prefix, count, parallel).await,
            Command::Introspect { url } => introspect(&url).await,
        }
    })
}

async fn connect(url: &str) -> Result<mongodb::Database> {
    let client = Client::with_uri_str(url)
        .await
        .with_context(|| format!("cannot connect to `{url}`"))?;
    let db = client
        .default_database()
        .context("the URL names no database")?;
    Ok(db)
}

async fn update(db: &mongodb::Database, count: usize) -> Result<()> {
    let locked_by = "bench-limit";
    let granted = mongodb::bson::DateTime::now();
    let lock = doc! { "_id": 1, "lockGranted": granted, "lockedBy": locked_by, "locked": true };
    checked(
        db.run_command(doc! { "insert": workload::LOCK_COLLECTION, "documents": [lock] })
            .await?,
    )?;
    let now = chrono::Utc::now();
    let deployment_id = format!("{:010}", now.timestamp_millis() % 10_000_000_000);
    for i in 0..count {
        for command in workload::commands(i) {
            checked(db.run_command(command).await?)?;
        }
        let order = i32::try_from(i + 1).context("more changesets than an int counts")?;
        let row = workload::history_row(i, order, &deployment_id, chrono::Utc::now());
        checked(
            db.run_command(doc! { "insert": workload::HISTORY_COLLECTION, "documents": [row] })
                .await?,
        )?;
    }
    let released = doc! {
        "_id": 1, "lockGranted": mongodb::bson::DateTime::now(), "lockedBy": locked_by, "locked": false,
    };
    checked(
        db.run_command(doc! {
            "update": workload::LOCK_COLLECTION,
            "updates": [{ "q": { "_id": 1, "locked": true }, "u": released }],
        })
        .await?,
    )?;
    Ok(())
}

async fn fleet(url: &str, prefix: &str, count: usize, parallel: usize) -> Result<()> {
    let client = Client::with_uri_str(url)
        .await
        .with_context(|| format!("cannot connect to `{url}`"))?;
    let mut names = client
        .list_database_names()
        .await
        .context("listDatabases failed")?;
    names.retain(|name| name.starts_with(prefix));
    let total = names.len();
    // Like lbmongo's fleet runner: at most `parallel` databases in flight on one client.
    futures_util::stream::iter(names)
        .map(|name| {
            let db = client.database(&name);
            async move {
                update(&db, count)
                    .await
                    .with_context(|| format!("database `{name}`"))
            }
        })
        .buffer_unordered(parallel.max(1))
        .try_collect::<Vec<()>>()
        .await?;
    writeln!(std::io::stdout().lock(), "{total} databases updated")?;
    Ok(())
}

async fn introspect(url: &str) -> Result<()> {
    let db = connect(url).await?;
    let specs: Vec<_> = db
        .list_collections()
        .await?
        .try_collect()
        .await
        .context("listCollections failed")?;
    let (mut collections, mut views, mut indexes) = (0_usize, 0_usize, 0_usize);
    for spec in specs {
        if spec.collection_type == mongodb::results::CollectionType::View {
            views += 1;
            continue;
        }
        collections += 1;
        let names: Vec<_> = db
            .collection::<Document>(&spec.name)
            .list_indexes()
            .await?
            .try_collect()
            .await
            .with_context(|| format!("listIndexes `{}` failed", spec.name))?;
        indexes += names.len();
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{collections} collections, {views} views, {indexes} indexes"
    )?;
    Ok(())
}

/// Fails on a reply with write errors (the driver returns those as successful replies).
fn checked(reply: Document) -> Result<()> {
    if let Ok(errors) = reply.get_array("writeErrors") {
        bail!("write errors: {errors:?}");
    }
    if reply.get("writeConcernError").is_some() {
        bail!("write concern error: {reply}");
    }
    Ok(())
}
