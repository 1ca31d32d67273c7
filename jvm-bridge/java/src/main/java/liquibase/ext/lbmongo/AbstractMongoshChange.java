package liquibase.ext.lbmongo;

import liquibase.change.DbmsTargetedChange;

/**
 * What {@code mongo} and {@code mongoFile} share: the Harness native executor's
 * {@code dbms}, {@code endDelimiter}, {@code splitStatements} and {@code stripComments}
 * properties (the last three kept for its changelogs; the engine runs the script as one, as
 * mongosh does). The changeset needs {@code runWith="mongosh"}.
 */
public abstract class AbstractMongoshChange extends AbstractLbmongoChange implements DbmsTargetedChange {
    private String dbms;
    private String endDelimiter;
    private Boolean splitStatements;
    private Boolean stripComments;

    @Override
    public String getDbms() {
        return dbms;
    }

    @Override
    public void setDbms(String dbms) {
        this.dbms = dbms;
    }

    public String getEndDelimiter() {
        return endDelimiter;
    }

    public void setEndDelimiter(String endDelimiter) {
        this.endDelimiter = endDelimiter;
    }

    public Boolean getSplitStatements() {
        return splitStatements;
    }

    public void setSplitStatements(Boolean splitStatements) {
        this.splitStatements = splitStatements;
    }

    public Boolean getStripComments() {
        return stripComments;
    }

    public void setStripComments(Boolean stripComments) {
        this.stripComments = stripComments;
    }

    static String text(Boolean b) {
        return b == null ? null : b.toString();
    }

    @Override
    public String getConfirmationMessage() {
        return "Mongosh commands executed";
    }
}
