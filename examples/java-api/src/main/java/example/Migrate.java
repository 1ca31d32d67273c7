package example;

import java.util.ArrayList;
import java.util.List;

import liquibase.Scope;
import liquibase.command.CommandScope;
import liquibase.database.Database;
import liquibase.database.DatabaseFactory;
import liquibase.resource.ClassLoaderResourceAccessor;
import liquibase.resource.ResourceAccessor;

/**
 * Liquibase's Java API with the lbmongo extension jar on the classpath: each MongoDB URL given
 * is updated from its own thread, as an application serving several tenant databases would at
 * start-up. The changelog is read from the classpath (src/main/resources/db/changelog.xml).
 *
 * <pre>
 *   java -cp target/classes:$(cat classpath.txt) example.Migrate mongodb://localhost:27017/tenant_a \
 *       mongodb://localhost:27017/tenant_b
 * </pre>
 */
public final class Migrate {
    private Migrate() {
    }

    public static void main(String[] urls) throws Exception {
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new ArrayList<>();
        for (String url : urls) {
            Thread thread = new Thread(() -> {
                try {
                    update(url);
                } catch (Exception | LinkageError e) {
                    // LinkageError: the native library could not be loaded (see the README).
                    synchronized (failures) {
                        failures.add(e);
                    }
                }
            }, "migrate " + url);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        for (Throwable failure : failures) {
            failure.printStackTrace();
        }
        if (!failures.isEmpty()) {
            System.exit(1);
        }
    }

    /** {@code liquibase update} on one database, through CommandScope (Liquibase 4.24 and later). */
    static void update(String url) throws Exception {
        ResourceAccessor resources = new ClassLoaderResourceAccessor(Migrate.class.getClassLoader());
        Database database = DatabaseFactory.getInstance().openDatabase(url, null, null, null, resources);
        try {
            Scope.child(Scope.Attr.resourceAccessor.name(), resources, () -> {
                new CommandScope("update")
                        .addArgumentValue("database", database)
                        .addArgumentValue("changelogFile", "db/changelog.xml")
                        .execute();
            });
        } finally {
            database.close();
        }
    }
}
