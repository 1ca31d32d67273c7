# Authors are lowercase user names, never a placeholder.
package lbmongo.authors

placeholders := {"unknown", "todo", "changeme", "liquibase"}

deny contains msg if {
	lower(input.changeset.author) != input.changeset.author
	msg := sprintf("author %s of %s must be lowercase", [input.changeset.author, input.changeset.id])
}

deny contains msg if {
	lower(trim_space(input.changeset.author)) in placeholders
	msg := sprintf("author of %s is a placeholder: %s", [input.changeset.id, input.changeset.author])
}

warn contains msg if {
	contains(input.changeset.author, " ")
	msg := sprintf("author %q contains a space", [input.changeset.author])
}
