# Commands on the admin database need an operator, except harmless ones.
package lbmongo.admin_commands

harmless := {"ping", "buildInfo", "hello"}

deny contains msg if {
	some change in input.changes
	some command in change.commands
	command.database == "admin"
	not command.name in harmless
	msg := sprintf("%s runs %s on the admin database", [input.changeset.id, command.name])
}
