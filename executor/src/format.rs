//! Reading changelogs: XML, YAML, JSON and formatted `.js` files into one `ChangeLog`.

pub mod formatted;
pub mod node;
