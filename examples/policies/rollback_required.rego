# A changeset that cannot be rolled back says so in review.
package lbmongo.rollback_required

warn contains msg if {
	input.rollback.kind == "none"
	msg := sprintf("changeset %s has no rollback: %s", [input.changeset.identifier, input.rollback.problem])
}
