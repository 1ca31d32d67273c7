# No changeset drops a collection, an index or a database, whatever change type sends the drop.
package lbmongo.no_drops

drops := {"drop", "dropIndexes", "dropDatabase"}

deny contains msg if {
	some change in input.changes
	some command in change.commands
	command.name in drops
	msg := sprintf("%s (a %s change) drops %s", [command.name, change.type, object.get(command.body, command.name, "the database")])
}
