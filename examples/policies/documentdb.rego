# On Amazon DocumentDB, no collation: it is not supported there.
package lbmongo.documentdb

deny contains msg if {
	input.platform.kind == "documentdb"
	some change in input.changes
	some command in change.commands
	has_collation(command.body)
	msg := sprintf("%s sends a collation, which DocumentDB does not support", [input.changeset.id])
}

has_collation(body) if body.collation
has_collation(body) if {
	some index in body.indexes
	index.collation
}
