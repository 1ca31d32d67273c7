package liquibase.ext.lbmongo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import liquibase.Contexts;
import liquibase.LabelExpression;
import liquibase.Liquibase;
import liquibase.Scope;
import liquibase.changelog.ChangeLogHistoryServiceFactory;
import liquibase.changelog.RanChangeSet;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.exception.ValidationErrors;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;
import org.junit.jupiter.api.Test;

/**
 * Embedded use, as Spring Boot and Quarkus run Liquibase: the Java API with this jar's classes on
 * the classpath, against the test server whose URL tests/e2e/jar.rs passes in
 * ({@code -Dlbmongo.test.url}); that test then checks the database.
 */
class EmbeddedLiquibaseTest {
    private static String url() {
        String url = System.getProperty("lbmongo.test.url", "");
        assertFalse(url.isEmpty(), "run through `cargo test -p lbmongo-tests jar` (tests/e2e/jar.rs), which starts "
                + "the test server and passes -Dlbmongo.test.url");
        return url;
    }

    @Test
    @SuppressWarnings("deprecation")
    void updatesThroughTheJavaApiAndReadsItsOwnHistory() throws Exception {
        ResourceAccessor resources = new ClassLoaderResourceAccessor();
        Database database = DatabaseFactory.getInstance().openDatabase(url(), null, null, null, resources);
        try {
            assertTrue(database instanceof LbmongoDatabase, database.getClass().getName());
            Liquibase liquibase = new Liquibase("embedded/changelog.xml", resources, database);
            liquibase.update(new Contexts(), new LabelExpression());
            assertTrue(liquibase.listUnrunChangeSets(new Contexts(), new LabelExpression()).isEmpty());
            // A second start (the next application boot) finds nothing to do.
            liquibase.update(new Contexts(), new LabelExpression());
            List<RanChangeSet> ran = Scope.getCurrentScope().getSingleton(ChangeLogHistoryServiceFactory.class)
                    .getChangeLogService(database).getRanChangeSets();
            assertEquals(2, ran.size());
            assertEquals("EXECUTED", ran.get(1).getExecType().name());
        } finally {
            database.close();
        }
    }

    @Test
    void badJsonIsAValidationErrorWithTheEnginesReason() {
        InsertOneChange change = new InsertOneChange();
        change.setCollectionName("things");
        change.setDocument("{ n: ");
        ValidationErrors errors = change.validate(new LbmongoDatabase());
        assertTrue(errors.hasErrors());
        assertTrue(errors.getErrorMessages().get(0).contains("insertOne `document`"), errors.toString());
    }

    @Test
    void aMissingPlatformIsNamed() {
        assertEquals("linux-x86_64", Native.platform());
        assertFalse(Native.bundled("osx-aarch64"));
        assertTrue(Native.missing("osx-aarch64").contains("platform osx-aarch64"), Native.missing("osx-aarch64"));
    }

    @Test
    void checksumIsLiquibaseMongodbs() {
        // adminCommand { buildInfo: 1 } as a changeset: 9:2a659bf380005d42308e0616959f69c1 with
        // Liquibase 4.33.0 + liquibase-mongodb 4.33.0.1 (notes/liquibase-observed.md §5).
        AdminCommandChange change = new AdminCommandChange();
        change.setCommand("{ buildInfo: 1 }");
        String text = change.generateCheckSum().toString() + ":";
        assertEquals("9:2a659bf380005d42308e0616959f69c1", liquibase.change.CheckSum.compute(text).toString());
    }
}
