package liquibase.ext.lbmongo;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

import liquibase.resource.ResourceAccessor;

/**
 * Formatted mongosh changelogs ({@code // liquibase formatted mongodb}, Liquibase Pro's format)
 * through Liquibase: the Rust engine's formatted reader, the one {@code lbmongo} uses, turns the
 * file into the same node tree its XML, YAML and JSON readers give, one {@code changeSet} node
 * with a {@code mongo} change per {@code // changeset}; Liquibase then loads that tree as it loads
 * a JSON changelog ({@link LbmongoJsonChangeLogParser}). No rule of the format lives in Java.
 *
 * <p>As Pro's parser (and core's {@code AbstractFormattedChangeLogParser.supports}): a {@code .js}
 * or {@code .JS} file whose first line is the header; any other {@code .js} file is left to
 * other parsers.
 */
public class LbmongoFormattedChangeLogParser extends LbmongoJsonChangeLogParser {
    @Override
    public boolean supports(String changeLogFile, ResourceAccessor resourceAccessor) {
        if (changeLogFile == null || !(changeLogFile.endsWith(".js") || changeLogFile.endsWith(".JS"))) {
            return false;
        }
        try {
            String text = read(resourceAccessor, changeLogFile);
            if (text == null) {
                return false;
            }
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("text", text);
            request.put("file", changeLogFile);
            request.put("probe", true);
            return Boolean.TRUE.equals(Native.call("parseFormatted", request).get("formatted"));
        } catch (IOException | NativeException e) {
            return false;
        }
    }

    @Override
    protected Map<String, Object> tree(String text, String file) {
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("text", text);
        request.put("file", file);
        return Native.call("parseFormatted", request);
    }
}
