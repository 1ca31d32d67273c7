# A TTL index keeps documents for at least an hour.
package lbmongo.ttl_minimum

deny contains msg if {
	some change in input.changes
	some command in change.commands
	command.name == "createIndexes"
	some index in command.body.indexes
	index.expireAfterSeconds < 3600
	msg := sprintf("TTL index %s on %s expires documents after %d seconds, less than an hour", [index.name, command.body.createIndexes, index.expireAfterSeconds])
}
