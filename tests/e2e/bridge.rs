//! The JNI bridge's handlers (`lbmongo_jvm::handle`) called in-process against the test server,
//! through the same bytes-in, bytes-out `dispatch` every `Native` export goes through, without a
//! JVM: what the jar's calls leave behind on the server.

use std::time::{Duration, Instant};

use lbmongo_jvm::handle::{self, dispatch};
use mongodb::Database;
use mongodb::bson::{Document, doc};
use serde_json::{Value, json};

use crate::support::{block_on, server};

/// How long the server may take to notice sockets the client closed: a bound on waiting, not
/// a measured time (closed sockets are gone in milliseconds; a dropped client's stay ten
/// minutes, see the test).
const SERVER_NOTICES: Duration = Duration::from_secs(30);

/// One handler call as `Native.call` makes it, given as `dispatch(&request(…), handler)`: the
/// JSON reply, `{"ok": …}` or `{"error": …}`.
fn reply(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("replies are JSON")
}

fn request(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("a JSON request")
}

fn tracking() -> Value {
    json!({ "changelogCollection": "DATABASECHANGELOG", "lockCollection": "DATABASECHANGELOGLOCK" })
}

/// The ids of the server connections whose client announced `app` in its handshake, from
/// `currentOp` with `$all` (idle connections too). The test server is shared by parallel
/// tests, so its `serverStatus().connections.current` would count theirs as well.
fn connections_of(db: &Database, app: &str) -> Vec<i64> {
    let reply = block_on(
        db.client()
            .database("admin")
            .run_command(doc! { "currentOp": 1, "$all": true }),
    )
    .expect("currentOp");
    let ops = reply.get_array("inprog").expect("currentOp's `inprog`");
    ops.iter()
        .filter_map(|op| op.as_document())
        .filter(|op| {
            op.get_document("clientMetadata")
                .and_then(|m| m.get_document("application"))
                .and_then(|a| a.get_str("name"))
                == Ok(app)
        })
        .filter_map(|op: &Document| {
            op.get_i64("connectionId")
                .ok()
                .or_else(|| op.get_i32("connectionId").ok().map(i64::from))
        })
        .collect()
}

/// Liquibase's `DatabaseConnection.close()` (`Native.close`) shuts the client down as lbmongo's
/// CLI does before it exits: the server's connections from that client go away, the id is
/// forgotten (a later call gets the bridge's unknown-handle error) and a second close is no
/// error.
#[test]
fn closing_a_connection_shuts_its_client_down_and_forgets_its_id() {
    let (_, db, url) = block_on(server().fresh_db("bridge_close"));
    // The handshake's application name tells this client's connections from other tests'.
    let app = format!("lbmongo-bridge-close-{}", std::process::id());
    // With a ten-minute heartbeat the server holds the monitor's awaitable `hello` (and its
    // connection) that long: a client that is only dropped keeps a connection open far past
    // the wait below, one that is shut down closes it at once.
    let url = format!(
        "{url}{}heartbeatFrequencyMS=600000",
        if url.contains('?') { '&' } else { '?' }
    );
    let connected = reply(&dispatch(
        &request(&json!({ "url": url, "appName": app })),
        handle::connect,
    ));
    let id = connected["ok"]["handle"]
        .as_u64()
        .unwrap_or_else(|| panic!("connect failed: {connected}"));
    let read = json!({ "handle": id, "op": "read", "tracking": tracking() });
    let rows = reply(&dispatch(&request(&read), handle::history));
    assert_eq!(rows["ok"]["rows"], json!([]), "{rows}");
    assert!(
        !connections_of(&db, &app).is_empty(),
        "the server lists no connection of `{app}` while it is open"
    );

    let closed = reply(&dispatch(&request(&json!({ "handle": id })), handle::close));
    assert_eq!(closed, json!({ "ok": {} }));
    let after = reply(&dispatch(&request(&read), handle::history));
    assert_eq!(after["error"]["kind"], "Handle", "{after}");
    assert_eq!(
        after["error"]["message"],
        format!("no open connection with id {id}"),
        "{after}"
    );
    assert_eq!(
        reply(&dispatch(&request(&json!({ "handle": id })), handle::close)),
        json!({ "ok": {} })
    );

    let deadline = Instant::now() + SERVER_NOTICES;
    let mut open = connections_of(&db, &app);
    while !open.is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        open = connections_of(&db, &app);
    }
    assert_eq!(
        open,
        [] as [i64; 0],
        "connections of `{app}` still open after close"
    );
}
