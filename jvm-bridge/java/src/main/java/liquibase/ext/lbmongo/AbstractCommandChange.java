package liquibase.ext.lbmongo;

import java.util.Map;

/** {@code runCommand} and {@code adminCommand}: one {@code command} document. */
public abstract class AbstractCommandChange extends AbstractLbmongoChange {
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
}
