# Every changeset carries at least one label, and no label outside the team's list.
package lbmongo.labels

allowed := {"app", "seed", "catalog", "orders", "customers"}

deny contains msg if {
	count(input.changeset.labels) == 0
	msg := sprintf("changeset %s has no labels", [input.changeset.identifier])
}

warn contains msg if {
	unknown := {l | some l in input.changeset.labels} - allowed
	count(unknown) > 0
	msg := sprintf("changeset %s has labels outside the list: %s", [input.changeset.id, concat(", ", sort(unknown))])
}
