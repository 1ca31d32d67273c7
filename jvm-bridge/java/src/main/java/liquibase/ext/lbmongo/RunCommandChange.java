package liquibase.ext.lbmongo;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code runCommand}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "runCommand", description = "Run a command", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class RunCommandChange extends AbstractCommandChange {
    @Override
    public String getConfirmationMessage() {
        return "Command run";
    }
}
