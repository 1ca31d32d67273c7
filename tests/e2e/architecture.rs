//! `scripts/check-architecture.py`, which `make test` runs over the workspace (one execute path,
//! no module cycles: issue 12), finds what it is there to find.

use crate::support::repo_root;

fn check(root: &std::path::Path) -> (bool, String) {
    let output = std::process::Command::new("python3")
        .arg(repo_root().join("scripts/check-architecture.py"))
        .arg(root)
        .output()
        .expect("python3 can be started");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn the_architecture_check_passes_on_the_workspace() {
    let (ok, out) = check(&repo_root());
    assert!(ok, "{out}");
}

#[test]
fn the_architecture_check_finds_a_module_cycle_and_a_driver_call_outside_the_execute_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "executor/src/lib.rs",
        "mod lock;\nmod history;\nmod execute;\n",
    );
    write(
        "executor/src/lock.rs",
        "use crate::history::Row;\npub struct Lock;\n",
    );
    write(
        "executor/src/history.rs",
        "pub struct Row(crate::lock::Lock);\n",
    );
    write(
        "executor/src/execute.rs",
        "async fn send(db: &Database) { db.run_command(doc! {}).await; }\n",
    );
    write(
        "generator/src/introspect.rs",
        "async fn roles(db: &Database) {\n    // db.run_command(x) in a comment is fine\n    db.run_command(doc! { \"rolesInfo\": 1 }).await;\n}\n",
    );
    write("generator/src/lib.rs", "mod introspect;\n");
    let (ok, out) = check(dir.path());
    assert!(!ok, "{out}");
    assert!(
        out.contains("module cycle in executor: history <-> lock"),
        "{out}"
    );
    assert!(
        out.contains("driver call outside executor/src/execute.rs: generator/src/introspect.rs:3:"),
        "{out}"
    );
    assert_eq!(out.matches("driver call outside").count(), 1, "{out}");
}
