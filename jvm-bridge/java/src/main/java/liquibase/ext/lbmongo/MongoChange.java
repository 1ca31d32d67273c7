package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;
import liquibase.change.DbmsTargetedChange;
import liquibase.serializer.LiquibaseSerializable.SerializationType;

/**
 * {@code mongo}: an inline mongosh script, with the property names of the Harness
 * liquibase-mongodb native executor ({@code MongoshChange}) and Liquibase Pro. The engine builds,
 * checksums (core's SQL-change rule) and runs it: natively when the script is inside lbmongo's
 * shell subset, else through mongosh ({@code liquibase.mongodb.mongosh*} settings). The changeset
 * needs {@code runWith="mongosh"}.
 *
 * <p>Unlike Harness, the element text form ({@code <mongodb:mongo>db…</mongodb:mongo>}) sets the
 * script too, as {@code lbmongo} reads it.
 */
@DatabaseChange(name = "mongo", description = "Runs a mongosh script", priority = ChangeMetaData.PRIORITY_DATABASE)
public class MongoChange extends AbstractLbmongoChange implements DbmsTargetedChange {
    private String mongo;
    private String dbms;
    private String endDelimiter;
    private Boolean splitStatements;
    private Boolean stripComments;

    @DatabaseChangeProperty(serializationType = SerializationType.DIRECT_VALUE)
    public String getMongo() {
        return mongo;
    }

    public void setMongo(String mongo) {
        this.mongo = mongo;
    }

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

    @Override
    protected Map<String, String> texts() {
        return texts("mongo", mongo, "dbms", dbms, "endDelimiter", endDelimiter,
                "splitStatements", text(splitStatements), "stripComments", text(stripComments));
    }

    static String text(Boolean b) {
        return b == null ? null : b.toString();
    }

    @Override
    public String getConfirmationMessage() {
        return "Mongosh commands executed";
    }
}
