package liquibase.ext.lbmongo;

import java.util.Map;

import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.change.DatabaseChangeProperty;
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
public class MongoChange extends AbstractMongoshChange {
    private String mongo;

    @DatabaseChangeProperty(serializationType = SerializationType.DIRECT_VALUE)
    public String getMongo() {
        return mongo;
    }

    public void setMongo(String mongo) {
        this.mongo = mongo;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("mongo", mongo, "dbms", getDbms(), "endDelimiter", getEndDelimiter(),
                "splitStatements", text(getSplitStatements()), "stripComments", text(getStripComments()));
    }
}
