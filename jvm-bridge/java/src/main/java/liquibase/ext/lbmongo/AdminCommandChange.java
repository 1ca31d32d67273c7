package liquibase.ext.lbmongo;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code adminCommand}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "adminCommand", description = "Run an admin command", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class AdminCommandChange extends AbstractCommandChange {
    @Override
    public String getConfirmationMessage() {
        return "Admin Command run";
    }
}
