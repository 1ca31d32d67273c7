//! Arbitrary text into the XML changelog reader: it must return a node or a problem, never panic.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = executor::internals::xml::read(text, "fuzz.xml");
    }
});
