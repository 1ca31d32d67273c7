//! Fuzzes the mongosh subset parser and its lowering: any text either parses into statements
//! that lower to one well-formed command each, or is refused with a position inside the text;
//! it never panics.
#![no_main]

use executor::internals::subset;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match subset::parse(text) {
        Ok(statements) => {
            let steps = subset::lower(&statements, "fuzz");
            assert_eq!(steps.len(), statements.len());
            for step in &steps {
                // Every command has a name, and previews of it render.
                assert!(step.body.keys().next().is_some_and(|k| !k.is_empty()));
                assert!(!step.database.is_empty());
                assert!(step.line >= 1 && step.line <= text.matches('\n').count() + 1);
                let _ = step.to_js("fuzz");
                let _ = step.to_command("fuzz");
            }
        }
        Err(refusal) => {
            assert!(!refusal.message.is_empty());
            assert!(refusal.line >= 1 && refusal.column >= 1);
            // The position lies inside the text (or just after its end).
            assert!(refusal.line <= text.matches('\n').count() + 1);
        }
    }
});
