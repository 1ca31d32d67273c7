//! The lenient JSON dialect of the MongoDB Java driver's `JsonReader` (shell mode), which
//! liquibase-mongodb uses for every JSON-ish property.
