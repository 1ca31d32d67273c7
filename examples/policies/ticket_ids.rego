# Changeset ids name their ticket: PROJ-123 or PROJ-123-something.
package lbmongo.ticket_ids

warn contains msg if {
	not regex.match(`^[A-Z]+-[0-9]+(-.*)?$`, input.changeset.id)
	msg := sprintf("changeset id %q does not start with a ticket key such as DB-42", [input.changeset.id])
}
