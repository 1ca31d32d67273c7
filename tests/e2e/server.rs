//! The test-server harness itself: the kinds of server it starts, one database per test, and the
//! switch to an external server through `MONGODB_URI`.

use mongodb::bson::{Document, doc};
use mongodb::{Client, ClientSession, Collection};

use crate::support::{ServerOptions, Topology, block_on, db_name, fresh_db, server, server_with};

async fn hello(client: &Client) -> Document {
    client
        .database("admin")
        .run_command(doc! { "hello": 1 })
        .await
        .unwrap_or_else(|e| panic!("`hello` failed: {e}\n{}", server().log_tail()))
}

/// Starts a transaction on `session` and inserts `{ n }` into `items` inside it.
async fn insert_in_a_new_transaction(
    items: &Collection<Document>,
    session: &mut ClientSession,
    n: i32,
) {
    session
        .start_transaction()
        .await
        .expect("start a transaction");
    items
        .insert_one(doc! { "n": n })
        .session(session)
        .await
        .expect("insert in transaction");
}

#[tokio::test]
async fn replica_set_reports_set_name_and_commits_a_transaction() {
    let (client, db, _) = fresh_db("replica_set_transaction").await;
    let reply = hello(&client).await;
    let set_name = reply
        .get_str("setName")
        .expect("a replica set's `hello` has `setName`");
    if server().is_external() {
        assert!(!set_name.is_empty());
    } else {
        assert_eq!(set_name, "secantus");
    }

    let items = db.collection::<Document>("items");
    let mut session = client.start_session().await.expect("start a session");
    insert_in_a_new_transaction(&items, &mut session, 1).await;
    session.commit_transaction().await.expect("commit");

    // An aborted transaction leaves nothing behind: the commit above was a real transaction.
    insert_in_a_new_transaction(&items, &mut session, 2).await;
    session.abort_transaction().await.expect("abort");

    let found: Vec<i32> = {
        let mut cursor = items.find(doc! {}).await.expect("find");
        let mut found = Vec::new();
        while cursor.advance().await.expect("read the cursor") {
            let document = cursor.deserialize_current().expect("a document");
            found.push(document.get_i32("n").expect("field `n`"));
        }
        found
    };
    assert_eq!(found, [1]);
}

#[tokio::test]
async fn standalone_server_reports_no_set_name() {
    let standalone = server_with(&ServerOptions::standalone());
    assert_eq!(standalone.options().topology, Topology::Standalone);
    let (client, db, url) = standalone.fresh_db("standalone_hello").await;
    let reply = hello(&client).await;
    assert_eq!(reply.get("setName"), None, "hello: {reply}");
    assert_eq!(
        reply.get_bool("isWritablePrimary"),
        Ok(true),
        "hello: {reply}"
    );
    assert!(url.ends_with(&format!("/{}", db.name())), "{url}");
    if !standalone.is_external() && !server().is_external() {
        assert_ne!(
            standalone.uri(),
            server().uri(),
            "each kind runs its own server"
        );
    }
}

#[tokio::test]
async fn each_fresh_db_is_a_different_empty_database() {
    let (_, first, first_url) = fresh_db("same_name").await;
    let (_, second, second_url) = fresh_db("same_name").await;
    assert_ne!(first.name(), second.name());
    assert_ne!(first_url, second_url);

    first
        .collection::<Document>("c")
        .insert_one(doc! { "x": 1 })
        .await
        .expect("insert");
    let in_first = first
        .collection::<Document>("c")
        .count_documents(doc! {})
        .await;
    let in_second = second
        .collection::<Document>("c")
        .count_documents(doc! {})
        .await;
    assert_eq!(in_first.expect("count"), 1);
    assert_eq!(in_second.expect("count"), 0);
}

#[test]
fn synchronous_tests_reach_the_server_through_the_shared_runtime() {
    let name = db_name("sync_runtime");
    let url = server().uri_for(&name);
    // The client is made on the shared runtime and used from a second `block_on`: that only
    // works because every synchronous test shares one runtime.
    let client = block_on(Client::with_uri_str(&url)).expect("connect");
    let collection = client.database(&name).collection::<Document>("c");
    block_on(collection.insert_one(doc! { "k": "v" })).expect("insert");
    let found = block_on(collection.find_one(doc! { "k": "v" })).expect("find");
    assert!(
        found.is_some(),
        "the inserted document is found\n{}",
        server().log_tail()
    );
}

#[test]
fn the_server_is_the_one_named_by_mongodb_uri_when_set() {
    let server = server();
    match std::env::var("MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => {
            assert!(server.is_external());
            assert_eq!(server.uri(), uri.trim());
            assert!(server.log_tail().is_empty());
        }
        _ => {
            assert!(!server.is_external());
            assert!(
                server.uri().starts_with("mongodb://127.0.0.1:"),
                "{}",
                server.uri()
            );
            assert!(
                server.log_tail().contains("listening on"),
                "{}",
                server.log_tail()
            );
        }
    }
}
