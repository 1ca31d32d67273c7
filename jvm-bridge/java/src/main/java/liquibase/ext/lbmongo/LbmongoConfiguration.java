package liquibase.ext.lbmongo;

import liquibase.configuration.AutoloadedConfigurations;
import liquibase.configuration.ConfigurationDefinition;

/**
 * Every {@code liquibase.mongodb.*} setting the jar reads, registered with Liquibase's
 * configuration (as liquibase-mongodb's {@code MongoConfiguration} registers its three), so that
 * {@code LIQUIBASE_MONGODB_*} variables are not reported as invalid and {@code liquibase --help}
 * lists them as {@code --mongodb-…} options. The keys are liquibase-mongodb's and, for the
 * mongosh executor, the Harness extension's; the engine parses the values.
 */
public class LbmongoConfiguration implements AutoloadedConfigurations {
    public static final ConfigurationDefinition<Boolean> ADJUST_TRACKING_TABLES_ON_STARTUP;
    public static final ConfigurationDefinition<Boolean> SUPPORTS_VALIDATOR;
    public static final ConfigurationDefinition<Boolean> RETRY_WRITES;
    public static final ConfigurationDefinition<String> MONGOSH_PATH;
    public static final ConfigurationDefinition<String> MONGOSH_NATIVE;
    public static final ConfigurationDefinition<String> MONGOSH_TIMEOUT_SECONDS;
    public static final ConfigurationDefinition<String> MONGOSH_EXTRA_ARGS;
    public static final ConfigurationDefinition<String> MONGOSH_LOG_FILE;

    static {
        ConfigurationDefinition.Builder builder = new ConfigurationDefinition.Builder("liquibase.mongodb");
        ADJUST_TRACKING_TABLES_ON_STARTUP = builder.define("adjustTrackingTablesOnStartup", Boolean.class)
                .setDescription("Create or update the tracking collections' validators on startup")
                .setDefaultValue(true)
                .build();
        SUPPORTS_VALIDATOR = builder.define("supportsValidator", Boolean.class)
                .setDescription("Create the tracking collections with validators (false for servers without them)")
                .setDefaultValue(true)
                .build();
        RETRY_WRITES = builder.define("retryWrites", Boolean.class)
                .setDescription("Set retryWrites in the connection URL (false for servers without retryable "
                        + "writes, such as Amazon DocumentDB)")
                .setDefaultValue(true)
                .build();
        // Texts without defaults: the engine parses them, names the setting in its error and
        // applies its own defaults (lbmongo's --mongosh-* flags), so none is repeated here.
        MONGOSH_PATH = builder.define("mongoshPath", String.class)
                .setDescription("The mongosh executable for mongo/mongoFile changes (default: mongosh on PATH)")
                .build();
        MONGOSH_NATIVE = builder.define("mongoshNative", String.class)
                .setDescription("auto (default): run scripts inside lbmongo's subset natively, the rest through "
                        + "mongosh; always: never start mongosh; never: always start it")
                .build();
        MONGOSH_TIMEOUT_SECONDS = builder.define("mongoshTimeoutSeconds", String.class)
                .setDescription("Seconds one mongosh run may take, -1 for no limit (default 1800)")
                .build();
        MONGOSH_EXTRA_ARGS = builder.define("mongoshExtraArgs", String.class)
                .setDescription("Arguments passed to mongosh, split on spaces (default: --quiet --norc)")
                .build();
        MONGOSH_LOG_FILE = builder.define("mongoshLogFile", String.class)
                .setDescription("A file that receives mongosh's output")
                .build();
    }
}
