package liquibase.ext.lbmongo;

import java.io.IOException;
import java.io.InputStream;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import liquibase.Scope;
import liquibase.change.ChangeMetaData;
import liquibase.change.DatabaseChange;
import liquibase.changelog.ChangeLogParameters;
import liquibase.changelog.DatabaseChangeLog;
import liquibase.exception.UnexpectedLiquibaseException;
import liquibase.resource.Resource;
import liquibase.resource.ResourceAccessor;

/**
 * {@code mongoFile}: a mongosh script in a file, with the property names of the Harness
 * liquibase-mongodb native executor ({@code MongoshFileChange}) and Liquibase Pro.
 *
 * <p>Only the reading is Java's, because only Liquibase's resource accessor knows the search
 * path: as core's {@code SQLFileChange.openSqlStream} (4.24–4.33), the path is resolved as a
 * sibling of the changelog with {@code relativeToChangelogFile}, else through the accessor. The
 * bytes are decoded by the engine ({@code Native.decodeScript}) rather than by
 * {@code StreamUtil.readStreamAsString}, which would turn bad bytes into U+FFFD: the engine
 * reads the {@code encoding} charsets by Java's names with {@code StreamUtil}'s byte order mark
 * rules and refuses bad bytes with the line and byte, and one rule in one place gives both tools
 * the same text, checksum and error. The text is then {@code ${}}-expanded with the changelog's
 * parameters, as Harness does. The engine gets the bytes and the expanded text, and builds,
 * checksums (over the bytes, as Harness's checksum reads the file's own stream), describes and
 * runs the change.
 */
@DatabaseChange(name = "mongoFile", description = "Runs a mongosh script file", priority = ChangeMetaData.PRIORITY_DATABASE)
public class MongoFileChange extends AbstractMongoshChange {
    private String path;
    private Boolean relativeToChangelogFile;
    private String encoding;
    private Map<String, Object> file;

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
        this.file = null;
    }

    public Boolean getRelativeToChangelogFile() {
        return relativeToChangelogFile;
    }

    public void setRelativeToChangelogFile(Boolean relativeToChangelogFile) {
        this.relativeToChangelogFile = relativeToChangelogFile;
        this.file = null;
    }

    public String getEncoding() {
        return encoding;
    }

    public void setEncoding(String encoding) {
        this.encoding = encoding;
        this.file = null;
    }

    @Override
    protected Map<String, String> texts() {
        return texts("path", path, "relativeToChangelogFile", text(relativeToChangelogFile),
                "encoding", encoding, "dbms", getDbms(), "endDelimiter", getEndDelimiter(),
                "splitStatements", text(getSplitStatements()), "stripComments", text(getStripComments()));
    }

    @Override
    protected void addToSpec(Map<String, Object> change) {
        if (path != null && !path.trim().isEmpty()) {
            change.put("file", file());
        }
    }

    /** {@code {"bytes", "expanded"}}, read once. */
    private Map<String, Object> file() {
        if (file != null) {
            return file;
        }
        // The engine checks the encoding attribute first and reports a missing file itself, so
        // both come in lbmongo's order and words.
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("relativeToChangelogFile", relativeToChangelogFile);
        request.put("encoding", encoding);
        try {
            Resource resource = resource();
            request.put("path", resource == null ? path : resource.getPath());
            if (resource != null && resource.exists()) {
                try (InputStream in = resource.openInputStream()) {
                    request.put("bytes", Base64.getEncoder().encodeToString(Native.readAll(in)));
                }
            }
        } catch (IOException e) {
            throw new UnexpectedLiquibaseException("mongoFile: cannot read `" + path + "`: " + e.getMessage(), e);
        }
        String raw;
        try {
            raw = (String) Native.call("decodeScript", request).get("text");
        } catch (NativeException e) {
            throw new UnexpectedLiquibaseException(where() + e.getMessage(), e);
        }
        String expanded = raw;
        DatabaseChangeLog changeLog = getChangeSet() == null ? null : getChangeSet().getChangeLog();
        ChangeLogParameters parameters = changeLog == null ? null : changeLog.getChangeLogParameters();
        if (parameters != null) {
            try {
                expanded = parameters.expandExpressions(raw, changeLog);
            } catch (Exception e) {
                throw new UnexpectedLiquibaseException("mongoFile `" + path + "`: " + e.getMessage(), e);
            }
        }
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("bytes", request.get("bytes"));
        f.put("expanded", expanded);
        file = f;
        return f;
    }

    /**
     * {@code <changelog>: changeset `<id>::<author>`: }, the place lbmongo names for the same
     * refusal (Liquibase keeps no line numbers, so the changelog line is lbmongo's alone).
     */
    private String where() {
        if (getChangeSet() == null) {
            return "";
        }
        return getChangeSet().getFilePath() + ": changeset `" + getChangeSet().getId() + "::"
                + getChangeSet().getAuthor() + "`: ";
    }

    private Resource resource() throws IOException {
        ResourceAccessor accessor = Scope.getCurrentScope().getResourceAccessor();
        if (Boolean.TRUE.equals(relativeToChangelogFile)) {
            if (getChangeSet() == null || getChangeSet().getChangeLog() == null) {
                return null;
            }
            Resource changeLog = accessor.get(getChangeSet().getChangeLog().getPhysicalFilePath());
            return changeLog == null ? null : changeLog.resolveSibling(path);
        }
        return accessor.get(path);
    }

    /**
     * The engine's description, which repeats the Harness class's bogus constant properties
     * ({@code mongoFile DBMS_PROPERTY_NAME=dbms, …, path=…}) so both tools write the same row.
     */
    @Override
    public String getDescription() {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("op", "description");
        try {
            request.put("change", spec());
            return (String) Native.call("change", request).get("description");
        } catch (RuntimeException e) {
            return super.getDescription();
        }
    }

    @Override
    public String getConfirmationMessage() {
        return "Mongosh commands in file " + path + " executed";
    }
}
