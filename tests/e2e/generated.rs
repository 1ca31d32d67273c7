//! Generated tables are checked against their generators, so a table and the program that made
//! it cannot drift apart (issue 12: the generator of every generated table is in the repository).

use crate::support::repo_root;

/// The `JAVA_CHAR_CLASSES` of `executor/src/json/java_char.rs` is exactly what
/// `scripts/gen/JavaCharClasses.java` prints on this JDK (17, Unicode 13, the JDK the table
/// follows).
#[test]
fn java_char_classes_match_their_generator() {
    let root = repo_root();
    let output = std::process::Command::new("java")
        .arg(root.join("scripts/gen/JavaCharClasses.java"))
        .output()
        .expect("java can be started (make test installs a JDK)");
    assert!(
        output.status.success(),
        "the generator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let generated = String::from_utf8(output.stdout).expect("UTF-8 output");
    let source = std::fs::read_to_string(root.join("executor/src/json/java_char.rs"))
        .expect("read java_char.rs");
    let start = source
        .find("const JAVA_CHAR_CLASSES")
        .expect("the table is in java_char.rs");
    let end = start + source[start..].find("\n];\n").expect("the table ends") + 4;
    assert_eq!(
        &source[start..end],
        generated,
        "JAVA_CHAR_CLASSES differs from its generator's output"
    );
}
