# Every changeset says why it exists.
package lbmongo.comment_required

warn contains msg if {
	not input.changeset.comment
	msg := sprintf("changeset %s has no comment", [input.changeset.identifier])
}
