# A changeset changes one collection: several make a failure half-way harder to repair.
package lbmongo.one_collection

collections := {c.collection | some c in input.changes; c.collection != null}

warn contains msg if {
	count(collections) > 1
	msg := sprintf("changeset %s touches %d collections: %s", [input.changeset.id, count(collections), concat(", ", sort(collections))])
}
