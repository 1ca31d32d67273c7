package liquibase.ext.lbmongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import liquibase.Scope;
import liquibase.change.Change;
import liquibase.change.ChangeFactory;
import liquibase.change.ChangeMetaData;
import liquibase.change.ChangeParameterMetaData;
import liquibase.serializer.LiquibaseSerializable.SerializationType;
import org.junit.jupiter.api.Test;

/**
 * The collection and command changes inherit their bean properties from small base classes; these
 * tests pin what Liquibase finds by introspection (liquibase-mongodb's parameter names, none
 * required by Liquibase, all named fields in the mongodb namespace) and the texts the engine
 * checksums, whose keys and order must not move.
 */
class ChangePropertiesTest {
    /** A change's name, then its properties in liquibase-mongodb's checksum order. */
    private static final String[][] CHANGES = {
        {"createCollection", "collectionName", "options"},
        {"dropCollection", "collectionName"},
        {"createIndex", "collectionName", "keys", "options"},
        {"dropIndex", "collectionName", "keys"},
        {"insertOne", "collectionName", "document", "options"},
        {"insertMany", "collectionName", "documents", "options"},
        {"updateOne", "collectionName", "filter", "update", "options"},
        {"updateMany", "collectionName", "filter", "update", "options"},
        {"deleteOne", "collectionName", "filter", "options"},
        {"deleteMany", "collectionName", "filter", "options"},
        {"runCommand", "command"},
        {"adminCommand", "command"},
    };

    private static List<String> properties(String[] row) {
        return Arrays.asList(row).subList(1, row.length);
    }

    /** A distinct text per property, so a text under the wrong key shows. */
    private static String value(String name, String property) {
        return "{ " + name + "_" + property + ": 1 }";
    }

    @Test
    void liquibaseSeesLiquibaseMongodbsParameters() {
        ChangeFactory factory = Scope.getCurrentScope().getSingleton(ChangeFactory.class);
        LbmongoDatabase database = new LbmongoDatabase();
        for (String[] row : CHANGES) {
            String name = row[0];
            Change change = factory.create(name);
            assertTrue(change instanceof AbstractLbmongoChange, name + " is " + change.getClass().getName());
            ChangeMetaData meta = factory.getChangeMetaData(change);
            assertEquals(new TreeSet<>(properties(row)), new TreeSet<>(meta.getParameters().keySet()), name);
            // Liquibase requires none of them: the engine's validation reports what is missing.
            assertEquals(Collections.emptySet(), meta.getRequiredParameters(database).keySet(), name);
            for (ChangeParameterMetaData parameter : meta.getParameters().values()) {
                String where = name + "." + parameter.getParameterName();
                assertEquals(String.class, parameter.getDataTypeClass(), where);
                assertEquals(SerializationType.NAMED_FIELD, parameter.getSerializationType(), where);
            }
        }
    }

    @Test
    void everyPropertyReachesTheTextsInChecksumOrderAndTheSerializer() {
        ChangeFactory factory = Scope.getCurrentScope().getSingleton(ChangeFactory.class);
        for (String[] row : CHANGES) {
            String name = row[0];
            AbstractLbmongoChange change = (AbstractLbmongoChange) factory.create(name);
            ChangeMetaData meta = factory.getChangeMetaData(change);
            for (String property : properties(row)) {
                meta.getParameters().get(property).setValue(change, value(name, property));
            }
            List<String> expected = new ArrayList<>();
            for (String property : properties(row)) {
                expected.add(property + "=" + value(name, property));
            }
            List<String> texts = new ArrayList<>();
            for (Map.Entry<String, String> e : change.texts().entrySet()) {
                texts.add(e.getKey() + "=" + e.getValue());
            }
            assertEquals(expected, texts, name);
            assertEquals(name, change.getSerializedObjectName());
            for (String property : properties(row)) {
                assertEquals(value(name, property), change.getSerializableFieldValue(property), name + "." + property);
                assertEquals(AbstractLbmongoChange.NAMESPACE, change.getSerializableFieldNamespace(property),
                        name + "." + property);
            }
        }
    }

    @Test
    void anEmptyChangeNamesEveryPropertyButOptionsAsMissing() {
        ChangeFactory factory = Scope.getCurrentScope().getSingleton(ChangeFactory.class);
        for (String[] row : CHANGES) {
            String name = row[0];
            List<String> expected = new ArrayList<>();
            for (String property : properties(row)) {
                if (!property.equals("options")) {
                    expected.add(name + ": missing required attribute `" + property + "`");
                }
            }
            // The engine reports them as one error, joined as it prints them.
            List<String> errors = factory.create(name).validate(new LbmongoDatabase()).getErrorMessages();
            assertEquals(Collections.singletonList(String.join("; ", expected)), errors, name);
        }
    }
}
