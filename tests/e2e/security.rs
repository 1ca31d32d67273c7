//! Security: SCRAM authentication from every place Liquibase takes credentials, TLS from URL
//! options, and passwords that never show: not in text or JSON output, not in errors, not in
//! anything stored in the database.
//!
//! The tests use SecantusDB servers of their own (`support::own_server`): one started without
//! authentication to create a root user, then restarted with `--auth`; one with a certificate
//! signed by a CA that the test generates with `openssl`. Each test creates its own user in its
//! own database. (`drop-all` refusing without `--force` when stdin is no terminal is tested in
//! `commands.rs`.)

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use mongodb::Client;
use mongodb::bson::doc;

use crate::commands::xml;
use crate::reliability::run_bounded;
use crate::support::cli::{self, Run, find};
use crate::support::own_server::{OwnServer, self_signed_certificates};
use crate::support::{block_on, db_name};

/// The user's password: every character that needs encoding in a URL (`&`, `:`, `@`, `/`, `%`).
/// It holds a space too: `--password` must reach the server with it (Java's form encoding writes
/// `+`, which the Rust driver would keep).
const PASSWORD: &str = "s3cr3t&p:a@s/s%w0 rd";
/// [`PASSWORD`] percent-encoded for the user-info part of a URL.
const PASSWORD_IN_URL: &str = "s3cr3t%26p%3Aa%40s%2Fs%25w0%20rd";
/// A wrong password, also full of characters that need encoding.
const WRONG_PASSWORD: &str = "wr0ng&p@ss/w%rd";
const WRONG_PASSWORD_IN_URL: &str = "wr0ng%26p%40ss%2Fw%25rd";
/// Fragments no output may contain: the passwords' distinctive starts cover any encoding.
const SECRETS: [&str; 2] = ["s3cr3t", "wr0ng"];
/// The root user that creates each test's user.
const ROOT_PASSWORD: &str = "r00t-pw-only-for-setup";
/// Short connection timeouts: a failing connection gives up within seconds.
const TIMEOUTS: &str = "serverSelectionTimeoutMS=2000&connectTimeoutMS=1000";
/// The longest any one `lbmongo` run may take here.
const LIMIT: Duration = Duration::from_secs(30);

const CHANGELOG: &str = r#"
  <changeSet id="1" author="alice"><mongodb:createCollection collectionName="towns"/></changeSet>
  <changeSet id="2" author="alice">
    <mongodb:createIndex collectionName="towns">
      <mongodb:keys>{ name: 1 }</mongodb:keys>
      <mongodb:options>{ name: "ix_towns_name" }</mongodb:options>
    </mongodb:createIndex>
  </changeSet>
  <changeSet id="3" author="bob">
    <mongodb:insertOne collectionName="towns"><mongodb:document>{ name: "Lyon" }</mongodb:document></mongodb:insertOne>
  </changeSet>
"#;

/// The `--auth` server and a client authenticated as its root user.
struct AuthServer {
    own: OwnServer,
    root: Client,
}

/// Starts the server without authentication, creates the root user, restarts it with `--auth`.
fn auth_server() -> &'static AuthServer {
    static AUTH: OnceLock<AuthServer> = OnceLock::new();
    AUTH.get_or_init(|| {
        let own = OwnServer::start_with_root_user(ROOT_PASSWORD, TIMEOUTS);
        let root = block_on(Client::with_uri_str(
            own.uri("admin", &format!("{TIMEOUTS}&authSource=admin"))
                .replacen("mongodb://", &format!("mongodb://root:{ROOT_PASSWORD}@"), 1),
        ))
        .expect("a root client of the auth server");
        AuthServer { own, root }
    })
}

/// A database of the auth server for `test` with user `app` (password [`PASSWORD`], role
/// `readWrite` on it), and a project folder holding the changelog.
fn app_database(test: &str) -> (String, tempfile::TempDir) {
    let auth = auth_server();
    let db = db_name(test);
    block_on(auth.root.database(&db).run_command(doc! {
        "createUser": "app",
        "pwd": PASSWORD,
        "roles": [{ "role": "readWrite", "db": &db }],
    }))
    .expect("create the test's user");
    (db, project_dir())
}

/// A project folder holding the changelog.
fn project_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a project folder");
    std::fs::write(dir.path().join("changelog.xml"), xml(CHANGELOG)).expect("write the changelog");
    dir
}

/// Runs `lbmongo <args>` in `dir` and fails the test if it outlives [`LIMIT`].
fn lbmongo(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let outcome = run_bounded(dir, args, env, LIMIT);
    assert!(
        !outcome.timed_out,
        "`lbmongo {}` ran longer than {} s (killed):\n{}",
        args.join(" "),
        LIMIT.as_secs(),
        outcome.run.stderr
    );
    outcome.run
}

/// Panics if any output of `runs` contains a password.
#[track_caller]
fn assert_no_password_in(runs: &[&Run]) {
    for run in runs {
        for secret in SECRETS {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "a password shows in the output:\n--- stdout\n{}\n--- stderr\n{}",
                run.stdout,
                run.stderr
            );
        }
    }
}

/// Every document of every collection of `db`, as text.
fn stored_text(db: &str) -> String {
    block_on(async {
        let database = auth_server().root.database(db);
        let mut text = String::new();
        for name in database
            .list_collection_names()
            .await
            .expect("list collections")
        {
            for d in find(&database, &name, doc! {}).await {
                text.push_str(&format!("{name}: {d}\n"));
            }
        }
        text
    })
}

/// The changeset ids of `db`'s history, in order.
fn history_ids(db: &str) -> Vec<String> {
    block_on(cli::history_ids(&auth_server().root.database(db)))
}

/// `url` with `user:password@` after the scheme.
fn with_credentials(url: &str, user: &str, password: &str) -> String {
    url.replacen("mongodb://", &format!("mongodb://{user}:{password}@"), 1)
}

#[test]
fn scram_credentials_in_the_url_authenticate_and_the_password_never_shows_in_output_or_history() {
    let (db, dir) = app_database("auth_url");
    let url = with_credentials(
        &auth_server().own.uri(&db, TIMEOUTS),
        "app",
        PASSWORD_IN_URL,
    );
    let dir = dir.path();
    let cl = ["--changelog-file", "changelog.xml", "--url", &url];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(cl.iter())
            .map(|s| (*s).to_owned())
            .collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        lbmongo(dir, &args, &[])
    };
    let update = run(with(&["--log-level", "FINE", "update"])).ok();
    assert_eq!(history_ids(&db), ["1", "2", "3"]);
    let others = [
        run(with(&["--output", "json", "update"])).ok(),
        run(with(&["status", "--verbose"])).ok(),
        run(with(&["--output", "json", "status"])).ok(),
        run(with(&["history"])).ok(),
        run(with(&["--output", "json", "history"])).ok(),
        run(with(&["list-locks"])).ok(),
        run(with(&["--output", "json", "list-locks"])).ok(),
        run(with(&["validate"])).ok(),
        run(with(&["update-sql"])).ok(),
        run(with(&["tag", "v1"])).ok(),
        run(with(&["--output", "json", "tag-exists", "v1"])).ok(),
        run(with(&["unexpected-changesets"])).ok(),
    ];
    let mut all: Vec<&Run> = others.iter().collect();
    all.push(&update);
    assert_no_password_in(&all);
    let stored = stored_text(&db);
    assert!(stored.contains("DATABASECHANGELOG: "), "{stored}");
    for secret in SECRETS {
        assert!(!stored.contains(secret), "a password is stored:\n{stored}");
    }
}

#[test]
fn scram_credentials_from_the_username_and_password_flags_authenticate() {
    let (db, dir) = app_database("auth_flags");
    let url = auth_server().own.uri(&db, TIMEOUTS);
    let args = [
        "update",
        "--changelog-file",
        "changelog.xml",
        "--url",
        &url,
        "--username",
        "app",
        "--password",
        PASSWORD,
    ];
    let update = lbmongo(dir.path(), &args, &[]).ok();
    let mut json = vec!["--output", "json"];
    json.extend_from_slice(&args);
    let again = lbmongo(dir.path(), &json, &[]).ok();
    assert_no_password_in(&[&update, &again]);
    assert_eq!(history_ids(&db), ["1", "2", "3"]);
}

#[test]
fn scram_password_from_liquibase_command_password_or_the_defaults_file_authenticates() {
    let (db, dir) = app_database("auth_env");
    let url = auth_server().own.uri(&db, TIMEOUTS);
    let base = ["--changelog-file", "changelog.xml", "--url", &url];
    // The password from the environment, the user from the command line.
    let mut args = vec!["update-count", "--count", "1", "--username", "app"];
    args.extend_from_slice(&base);
    let first = lbmongo(
        dir.path(),
        &args,
        &[("LIQUIBASE_COMMAND_PASSWORD", PASSWORD)],
    )
    .ok();
    assert_eq!(history_ids(&db), ["1"]);
    // Both from the environment.
    let mut args = vec!["update-count", "--count", "1"];
    args.extend_from_slice(&base);
    let second = lbmongo(
        dir.path(),
        &args,
        &[
            ("LIQUIBASE_COMMAND_USERNAME", "app"),
            ("LIQUIBASE_COMMAND_PASSWORD", PASSWORD),
        ],
    )
    .ok();
    assert_eq!(history_ids(&db), ["1", "2"]);
    // Both from liquibase.properties (a Java properties file: `\:` is a colon).
    std::fs::write(
        dir.path().join("liquibase.properties"),
        format!(
            "username: app\npassword: {}\n",
            PASSWORD.replace(':', "\\:")
        ),
    )
    .expect("write liquibase.properties");
    let mut args = vec!["update"];
    args.extend_from_slice(&base);
    let third = lbmongo(dir.path(), &args, &[]).ok();
    assert_eq!(history_ids(&db), ["1", "2", "3"]);
    assert_no_password_in(&[&first, &second, &third]);
}

#[test]
fn wrong_password_fails_with_exit_1_and_a_masked_message() {
    let (db, dir) = app_database("auth_wrong");
    let plain = auth_server().own.uri(&db, TIMEOUTS);
    let in_url = with_credentials(&plain, "app", WRONG_PASSWORD_IN_URL);
    // Where the password comes from, the connection arguments, the environment.
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let cases: [Case<'_>; 3] = [
        ("in the URL", vec!["--url", &in_url], vec![]),
        (
            "from the flags",
            vec![
                "--url",
                &plain,
                "--username",
                "app",
                "--password",
                WRONG_PASSWORD,
            ],
            vec![],
        ),
        (
            "from the environment",
            vec!["--url", &plain, "--username", "app"],
            vec![("LIQUIBASE_COMMAND_PASSWORD", WRONG_PASSWORD)],
        ),
    ];
    for (source, connection, env) in &cases {
        for json in [false, true] {
            let mut args = if json {
                vec!["--output", "json"]
            } else {
                vec![]
            };
            args.extend(["update", "--changelog-file", "changelog.xml"]);
            args.extend(connection.iter().copied());
            let run = lbmongo(dir.path(), &args, env);
            assert_eq!(run.code, 1, "password {source}, json {json}: {run:?}");
            assert_no_password_in(&[&run]);
            let error = run
                .stderr
                .lines()
                .find(|l| l.starts_with("error: "))
                .unwrap_or_else(|| panic!("no error line: {run:?}"));
            assert!(
                error.to_lowercase().contains("authentication failed"),
                "password {source}: the error does not say authentication failed:\n{error}"
            );
            assert!(
                error.contains("mongodb://app:*****@127.0.0.1:"),
                "password {source}: the error does not show the masked URL:\n{error}"
            );
            if json {
                let report: serde_json::Value = serde_json::from_str(run.stdout.trim())
                    .unwrap_or_else(|e| panic!("stdout is one JSON document ({e}): {run:?}"));
                assert_eq!(report["success"], false, "{report}");
            }
        }
    }
    assert_eq!(stored_text(&db), "", "a failed login wrote nothing");
}

#[test]
fn missing_credentials_on_an_auth_server_fail_with_exit_1_saying_authentication_is_required() {
    let (db, dir) = app_database("auth_missing");
    let url = auth_server().own.uri(&db, TIMEOUTS);
    let run = lbmongo(
        dir.path(),
        &["update", "--changelog-file", "changelog.xml", "--url", &url],
        &[],
    );
    assert_eq!(run.code, 1, "{run:?}");
    run.assert_stderr_contains("requires authentication");
    assert_eq!(stored_text(&db), "");
}

#[test]
fn passwords_are_masked_in_connection_and_url_errors() {
    let dir = project_dir();
    // A port nobody listens on: bound, then released.
    let closed = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let p = PASSWORD_IN_URL;
    let cases = [
        (
            format!("mongodb://app:{p}@127.0.0.1:{closed}/shop?serverSelectionTimeoutMS=500"),
            "cannot connect to mongodb://app:*****@127.0.0.1:",
        ),
        (
            format!("mongodb://app:{p}@127.0.0.1:{closed}/shop?tls=maybe"),
            "mongodb://app:*****@127.0.0.1:",
        ),
        (
            format!("postgresql://app:{p}@127.0.0.1:{closed}/shop"),
            "postgresql://app:*****@127.0.0.1:",
        ),
        (
            format!("mongodb://app:{p}@127.0.0.1:{closed}/"),
            "database not specified in URL `mongodb://app:*****@127.0.0.1:",
        ),
    ];
    for (url, expected) in &cases {
        for json in [false, true] {
            let mut args = if json {
                vec!["--output", "json"]
            } else {
                vec![]
            };
            args.extend(["status", "--changelog-file", "changelog.xml", "--url", url]);
            let run = lbmongo(dir.path(), &args, &[]);
            assert_eq!(run.code, 1, "{url}: {run:?}");
            assert_no_password_in(&[&run]);
            assert!(
                run.stderr.contains(expected),
                "{url}: expected `{expected}` in\n{}",
                run.stderr
            );
        }
    }
}

// -- TLS ---------------------------------------------------------------------------------------

/// The TLS server and its CA file.
struct TlsServer {
    own: OwnServer,
    ca: PathBuf,
}

/// A server whose certificate (for `127.0.0.1` and `localhost`) is signed by a CA generated now.
fn tls_server() -> &'static TlsServer {
    static TLS: OnceLock<TlsServer> = OnceLock::new();
    TLS.get_or_init(|| {
        let mut own = OwnServer::prepare();
        let ca = self_signed_certificates(own.dir());
        let cert = own.dir().join("server.pem");
        let key = own.dir().join("server.key");
        own.start_first(&[
            "--tls-cert-file",
            cert.to_str().expect("a UTF-8 temporary path"),
            "--tls-key-file",
            key.to_str().expect("a UTF-8 temporary path"),
        ]);
        TlsServer { own, ca }
    })
}

#[test]
fn tls_url_options_connect_to_a_tls_server_with_the_generated_ca() {
    let tls = tls_server();
    let db = db_name("tls_ok");
    let options = format!("tls=true&tlsCAFile={}&{TIMEOUTS}", tls.ca.display());
    let url = tls.own.uri(&db, &options);
    let dir = project_dir();
    lbmongo(
        dir.path(),
        &["update", "--changelog-file", "changelog.xml", "--url", &url],
        &[],
    )
    .ok();
    let ids = block_on(async {
        let client = Client::with_uri_str(&url).await.expect("a TLS client");
        cli::history_ids(&client.database(&db)).await
    });
    assert_eq!(ids, ["1", "2", "3"]);
}

#[test]
fn tls_server_is_refused_without_its_ca_or_without_tls_within_the_timeouts() {
    let tls = tls_server();
    let db = db_name("tls_refused");
    let missing_ca = tls.own.dir().join("no-such-ca.pem");
    let cases = [
        // The certificate's issuer is not trusted.
        (format!("tls=true&{TIMEOUTS}"), "certificate"),
        // Plain text to a TLS port: the server drops the connection.
        (
            TIMEOUTS.to_owned(),
            "cannot connect to mongodb://127.0.0.1:",
        ),
        // ... and says what to check.
        (
            TIMEOUTS.to_owned(),
            "hint: check that a server listens at the URL's hosts and ports (and whether it expects TLS)",
        ),
        // The CA file does not exist: the message names it.
        (
            format!("tls=true&tlsCAFile={}&{TIMEOUTS}", missing_ca.display()),
            "no-such-ca.pem",
        ),
    ];
    let dir = project_dir();
    for (options, expected) in &cases {
        let url = tls.own.uri(&db, options);
        let run = lbmongo(
            dir.path(),
            &["update", "--changelog-file", "changelog.xml", "--url", &url],
            &[],
        );
        assert_eq!(run.code, 1, "{options}: {run:?}");
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
        assert!(
            run.stderr.contains(expected),
            "{options}: expected `{expected}` in\n{}",
            run.stderr
        );
    }
}
