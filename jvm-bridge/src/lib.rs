//! JNI bridge between the Liquibase extension jar and the lbmongo engine.
//!
//! The bridging layer is not API: each export decodes one JSON request, calls `executor` and
//! encodes one JSON report. No business rule lives here. The exports arrive with the
//! jvm-bridge issue; until then the crate only pins its place and its dependencies.
