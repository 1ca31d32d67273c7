package liquibase.ext.lbmongo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import liquibase.ContextExpression;
import liquibase.Labels;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.exception.ChangeLogParseException;
import liquibase.parser.ChangeLogParser;
import liquibase.parser.core.ParsedNode;
import liquibase.resource.Resource;
import liquibase.resource.ResourceAccessor;

/**
 * JSON changelogs with liquibase-mongodb's {@code $rawJson} support, without Jackson: the Rust
 * engine's JSON reader (the one lbmongo uses) turns the file into a node tree, with each
 * {@code {"$rawJson": …}} already the pretty-printed text Jackson would give.
 *
 * <p>The rest follows core's {@code YamlChangeLogParser} (4.28.0), as liquibase-mongodb's
 * {@code JsonNoSqlChangeLogParser} does: {@code property} entries are registered first, every
 * value is {@code ${}}-expanded, then {@code DatabaseChangeLog.load} reads the tree. Priority
 * {@code PRIORITY_SPECIALIZED} puts it ahead of core's snakeyaml-based JSON parser.
 */
public class LbmongoJsonChangeLogParser implements ChangeLogParser {
    @Override
    public int getPriority() {
        return liquibase.plugin.Plugin.PRIORITY_SPECIALIZED;
    }

    @Override
    public boolean supports(String changeLogFile, ResourceAccessor resourceAccessor) {
        return changeLogFile != null && changeLogFile.toLowerCase(Locale.ROOT).endsWith(".json");
    }

    @Override
    @SuppressWarnings("unchecked")
    public DatabaseChangeLog parse(String physicalChangeLogLocation, ChangeLogParameters changeLogParameters,
            ResourceAccessor resourceAccessor) throws ChangeLogParseException {
        try {
            String text = read(resourceAccessor, physicalChangeLogLocation);
            if (text == null) {
                throw new ChangeLogParseException(physicalChangeLogLocation + " does not exist");
            }
            Map<String, Object> tree;
            try {
                tree = tree(text, physicalChangeLogLocation);
            } catch (NativeException e) {
                throw new ChangeLogParseException("Syntax error in file " + physicalChangeLogLocation + ": "
                        + e.getMessage(), e);
            }
            DatabaseChangeLog changeLog = new DatabaseChangeLog(DatabaseChangeLog.normalizePath(physicalChangeLogLocation));
            for (Object child : (List<Object>) tree.get("children")) {
                Map<String, Object> node = (Map<String, Object>) child;
                if ("property".equals(node.get("name"))) {
                    property(node, changeLogParameters, resourceAccessor, changeLog);
                }
            }
            ParsedNode root = new ParsedNode(null, "databaseChangeLog");
            addChildren(root, tree, changeLogParameters, changeLog);
            changeLog.setChangeLogParameters(changeLogParameters);
            changeLog.load(root, resourceAccessor);
            return changeLog;
        } catch (ChangeLogParseException e) {
            throw e;
        } catch (Exception e) {
            throw new ChangeLogParseException("Error parsing " + physicalChangeLogLocation + " : " + e.getMessage(), e);
        }
    }

    /** The engine's node tree of the file (its JSON reader here). */
    protected Map<String, Object> tree(String text, String file) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("text", text);
        request.put("file", file);
        return Native.call("parseJson", request);
    }

    /** The file's text as UTF-8, or {@code null} when it does not exist. */
    static String read(ResourceAccessor resourceAccessor, String path) throws IOException {
        Resource resource = resourceAccessor.get(path);
        if (resource == null || !resource.exists()) {
            return null;
        }
        try (InputStream in = resource.openInputStream()) {
            return new String(readAll(in), StandardCharsets.UTF_8);
        }
    }

    @SuppressWarnings("unchecked")
    private static void addChildren(ParsedNode parent, Map<String, Object> node, ChangeLogParameters parameters,
            DatabaseChangeLog changeLog) throws Exception {
        for (Object c : (List<Object>) node.get("children")) {
            Map<String, Object> child = (Map<String, Object>) c;
            String value = (String) child.get("value");
            if (value != null) {
                value = parameters.expandExpressions(value, changeLog);
            }
            // ParsedNode.addChild(namespace, name, value) returns the parent, so the child is
            // built first and then attached.
            ParsedNode p = new ParsedNode(null, (String) child.get("name"));
            p.setValue(value);
            addChildren(p, child, parameters, changeLog);
            parent.addChild(p);
        }
    }

    /** A {@code property} entry, as {@code YamlChangeLogParser.parse} registers it. */
    private static void property(Map<String, Object> node, ChangeLogParameters parameters,
            ResourceAccessor resourceAccessor, DatabaseChangeLog changeLog) throws Exception {
        Map<String, String> p = values(node);
        ContextExpression context = new ContextExpression(p.get("context"));
        Labels labels = new Labels(p.get("labels"));
        boolean global = p.get("global") == null || Boolean.parseBoolean(p.get("global"));
        String dbms = p.get("dbms");
        if (p.containsKey("name")) {
            parameters.set(p.get("name"), p.get("value"), context, labels, dbms, global, changeLog);
        } else if (p.containsKey("file")) {
            String file = p.get("file");
            boolean relative = Boolean.parseBoolean(p.get("relativeToChangelogFile"));
            boolean errorIfMissing = p.get("errorIfMissing") == null || Boolean.parseBoolean(p.get("errorIfMissing"));
            Resource resource = relative
                    ? resourceAccessor.get(changeLog.getPhysicalFilePath()).resolveSibling(file)
                    : resourceAccessor.get(file);
            if (!resource.exists()) {
                if (errorIfMissing) {
                    throw new ChangeLogParseException("The file " + file + " was not found");
                }
                return;
            }
            Properties props = new Properties();
            try (InputStream in = resource.openInputStream()) {
                props.load(in);
            }
            for (Map.Entry<Object, Object> e : props.entrySet()) {
                parameters.set(e.getKey().toString(), e.getValue().toString(), context, labels, dbms, global, changeLog);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> values(Map<String, Object> node) {
        Map<String, String> values = new LinkedHashMap<>();
        for (Object c : (List<Object>) node.get("children")) {
            Map<String, Object> child = (Map<String, Object>) c;
            values.put((String) child.get("name"), (String) child.get("value"));
        }
        return values;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
