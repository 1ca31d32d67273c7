package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;

/** {@code adminCommand}: same name, namespace and properties as liquibase-mongodb's, checksum from the engine. */
@DatabaseChange(name = "adminCommand", description = "Run an admin command", priority = ChangeMetaData.PRIORITY_DATABASE,
        appliesTo = "collection")
public class AdminCommandChange extends AbstractLbmongoChange {
    private String command;

    public String getCommand() {
        return command;
    }

    public void setCommand(String command) {
        this.command = command;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("command", command);
    }

    @Override
    public String getConfirmationMessage() {
        return "Admin Command run";
    }
}
