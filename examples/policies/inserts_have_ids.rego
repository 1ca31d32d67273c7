# Seed data carries its own _id, so a rollback can delete exactly what was inserted.
package lbmongo.inserts_have_ids

deny contains msg if {
	some change in input.changes
	some command in change.commands
	command.name == "insert"
	not all_have_ids(command.body.documents)
	msg := sprintf("an insert into %s has documents without _id", [command.body.insert])
}

all_have_ids(docs) if {
	every d in docs {
		object.get(d, "_id", null) != null
	}
}
