# Every changeset says why it exists. (The input writes an absent comment as null, which Rego's
# `not` does not treat as false: compare with null, or check `is_string`.)
package lbmongo.comment_required

warn contains msg if {
	not is_string(input.changeset.comment)
	msg := sprintf("changeset %s has no comment", [input.changeset.identifier])
}
