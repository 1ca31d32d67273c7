# Every index is named idx_<collection>_<field1>__<field2>: the naming convention of the
# IndexNamingConvention built-in check, written as a policy. It reads the commands each changeset
# lowers to, so it holds for createIndex changes, runCommand {createIndexes: ...} and mongosh's
# db.c.createIndex(...) alike. `indexFields` keeps each key's field order, which Rego's objects
# (sorted by key) would lose.
package lbmongo.index_naming

deny contains msg if {
	some change in input.changes
	some command in change.commands
	command.name == "createIndexes"
	some i, index in command.body.indexes
	expected := sprintf("idx_%s_%s", [command.body.createIndexes, concat("__", command.indexFields[i])])
	index.name != expected
	msg := sprintf("index %s on %s must be named %s", [index.name, command.body.createIndexes, expected])
}
