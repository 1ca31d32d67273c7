package liquibase.ext.lbmongo;

import liquibase.database.Database;
import liquibase.exception.DatabaseException;
import liquibase.snapshot.DatabaseSnapshot;
import liquibase.snapshot.InvalidExampleException;
import liquibase.snapshot.SnapshotGenerator;
import liquibase.snapshot.SnapshotGeneratorChain;
import liquibase.structure.DatabaseObject;

/**
 * Keeps core's JDBC snapshot generators away from MongoDB: snapshots, diffs and
 * generate-changelog are not supported through Liquibase (use {@code lbmongo generate-changelog}).
 */
public class LbmongoSnapshotGenerator implements SnapshotGenerator {
    @Override
    public int getPriority(Class<? extends DatabaseObject> objectType, Database database) {
        return database instanceof LbmongoDatabase ? PRIORITY_DATABASE : PRIORITY_NONE;
    }

    @Override
    public <T extends DatabaseObject> T snapshot(T example, DatabaseSnapshot snapshot, SnapshotGeneratorChain chain)
            throws DatabaseException, InvalidExampleException {
        throw new DatabaseException("lbmongo's Liquibase extension does not support db-doc, diff*, "
                + "generate-changelog, and snapshot* commands; use `lbmongo generate-changelog` for a baseline");
    }

    @Override
    public Class<? extends DatabaseObject>[] addsTo() {
        return null;
    }

    @Override
    public Class<? extends SnapshotGenerator>[] replaces() {
        return null;
    }
}
