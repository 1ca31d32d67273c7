package liquibase.ext.lbmongo;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;
import java.util.Map;

/**
 * The natives of {@code liblbmongo_jvm} and the loader that finds them.
 *
 * <p>Each native takes one UTF-8 JSON request and returns one UTF-8 JSON reply, {@code {"ok": …}}
 * or {@code {"error": {"kind", "message"}}}; {@link #call} turns the latter into a
 * {@link NativeException}. Text crosses as {@code byte[]} from {@code getBytes(UTF_8)}, never as
 * JNI's modified UTF-8, so checksums over non-BMP text stay Liquibase's.
 *
 * <p>Loading order: the path in {@code -Dlbmongo.library} (or {@code LBMONGO_LIBRARY}), then
 * {@code java.library.path}, then the copy bundled under {@code native/<os>-<arch>/}, extracted
 * into a fresh private temporary directory (under {@code -Dlbmongo.tmpdir} or
 * {@code LBMONGO_TMPDIR} if set) with its SHA-256 in the file name, and deleted once loaded or
 * when loading fails. A library whose version is not the jar's is refused.
 *
 * <p>The library is loaded on the first call, not when the class initialises: a failure is then
 * an {@link UnsatisfiedLinkError} with the reason and the setting that fixes it, on that call and
 * on every later one, rather than a bare "Could not initialize class" after the first.
 */
public final class Native {
    private static final String LIBRARY = "lbmongo_jvm";
    /** The jar's version, which the library must report ({@code version.properties}, from the pom). */
    private static final String RESOURCE_VERSION = "/liquibase/ext/lbmongo/version.properties";

    private static final Object LOADING = new Object();
    private static boolean loaded;
    /** Why loading failed, kept so later calls fail the same way without extracting again. */
    private static UnsatisfiedLinkError failure;

    private Native() {
    }

    private static native byte[] connect(byte[] request);

    private static native byte[] close(byte[] request);

    private static native byte[] change(byte[] request);

    private static native byte[] execute(byte[] request);

    private static native byte[] precondition(byte[] request);

    private static native byte[] lock(byte[] request);

    private static native byte[] history(byte[] request);

    private static native byte[] parseJson(byte[] request);

    private static native byte[] dropAll(byte[] request);

    private static native byte[] parseFormatted(byte[] request);

    private static native byte[] decodeScript(byte[] request);

    private static native byte[] version(byte[] request);

    /** Calls one export; returns the report or throws the executor's error. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> call(String export, Map<String, Object> request) {
        ensureLoaded();
        byte[] bytes = Json.write(request).getBytes(StandardCharsets.UTF_8);
        byte[] reply;
        try {
            reply = dispatch(export, bytes);
        } catch (RuntimeException e) {
            // Only a JNI failure itself is thrown by the library (everything else is a reply).
            throw new NativeException("Native", "lbmongo native call `" + export + "` failed: " + e.getMessage(), e);
        }
        if (reply == null) {
            throw new NativeException("Native", "lbmongo native call `" + export + "` returned nothing");
        }
        Map<String, Object> envelope = (Map<String, Object>) Json.read(new String(reply, StandardCharsets.UTF_8));
        if (envelope.containsKey("error")) {
            Map<String, Object> error = (Map<String, Object>) envelope.get("error");
            String message = String.valueOf(error.get("message"));
            Object hint = error.get("hint");
            if (hint != null) {
                message = message + "\nhint: " + hint;
            }
            throw new NativeException(String.valueOf(error.get("kind")), message);
        }
        Object ok = envelope.get("ok");
        return ok instanceof Map ? (Map<String, Object>) ok : new java.util.LinkedHashMap<String, Object>();
    }

    private static byte[] dispatch(String export, byte[] request) {
        switch (export) {
            case "connect": return connect(request);
            case "close": return close(request);
            case "change": return change(request);
            case "execute": return execute(request);
            case "precondition": return precondition(request);
            case "lock": return lock(request);
            case "history": return history(request);
            case "parseJson": return parseJson(request);
            case "dropAll": return dropAll(request);
            case "parseFormatted": return parseFormatted(request);
            case "decodeScript": return decodeScript(request);
            case "version": return version(request);
            default: throw new IllegalArgumentException("no native export " + export);
        }
    }

    /** {@code linux-x86_64}, {@code osx-aarch64}, … for this JVM. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String o = os.contains("linux") ? "linux" : os.contains("mac") ? "osx" : os.contains("win") ? "windows" : os;
        String a = ("amd64".equals(arch) || "x86_64".equals(arch)) ? "x86_64"
                : ("aarch64".equals(arch) || "arm64".equals(arch)) ? "aarch64" : arch;
        return o + "-" + a;
    }

    /** Loads the library once per JVM; a failure is kept and thrown again on every call. */
    static void ensureLoaded() {
        synchronized (LOADING) {
            if (loaded) {
                return;
            }
            if (failure == null) {
                try {
                    load();
                    loaded = true;
                    return;
                } catch (UnsatisfiedLinkError e) {
                    failure = e;
                }
            }
            UnsatisfiedLinkError again = new UnsatisfiedLinkError(failure.getMessage());
            again.initCause(failure.getCause());
            throw again;
        }
    }

    private static void load() {
        String configured = System.getProperty("lbmongo.library", System.getenv("LBMONGO_LIBRARY"));
        if (configured != null && !configured.trim().isEmpty()) {
            String path = new File(configured.trim()).getAbsolutePath();
            System.load(path);
            checkVersion(path + " (-Dlbmongo.library)", "point -Dlbmongo.library at the library of this jar's build");
            return;
        }
        boolean onPath;
        try {
            System.loadLibrary(LIBRARY);
            onPath = true;
        } catch (UnsatisfiedLinkError notOnPath) {
            // Not installed on java.library.path: use the copy in the jar.
            onPath = false;
        }
        if (onPath) {
            checkVersion(onLibraryPath() + " (found first on java.library.path)",
                    "remove it from java.library.path (LD_LIBRARY_PATH, -Djava.library.path) so the jar's own copy "
                            + "is used, or replace it with the library of this jar's build");
            return;
        }
        String platform = platform();
        String resource = "/native/" + platform + "/" + System.mapLibraryName(LIBRARY);
        byte[] bytes;
        try (InputStream in = Native.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError(missing(platform));
            }
            bytes = readAll(in);
        } catch (IOException e) {
            throw linkError("cannot read " + resource + " from the jar", e);
        }
        Path file = extract(bytes);
        try {
            System.load(file.toString());
        } catch (UnsatisfiedLinkError e) {
            // A temporary directory mounted noexec fails here ("failed to map segment from
            // shared object"): nothing of this attempt may stay behind.
            deleteQuietly(file);
            throw linkError("cannot load the lbmongo native library extracted into " + file.getParent()
                    + "; if that file system is mounted noexec, set -Dlbmongo.tmpdir (or LBMONGO_TMPDIR) "
                    + "to a writable directory on one that allows executables", e);
        }
        // POSIX keeps a loaded library mapped after its file is gone; nothing is left behind.
        deleteQuietly(file);
        checkVersion("the copy bundled in this jar", "rebuild the jar with `make jar`");
    }

    /** Deletes the extracted library and its private directory, as far as the file system lets it. */
    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
            Files.deleteIfExists(file.getParent());
        } catch (IOException ignored) {
            // Nothing more can be done here; the directory is private and named lbmongo-*.
        }
    }

    /**
     * Refuses a library whose version is not this jar's: an older build found first on
     * {@code java.library.path} would otherwise run with a newer jar's Java side, silently.
     */
    private static void checkVersion(String where, String fix) {
        String jar = jarVersion();
        String library;
        try {
            byte[] reply = version("{}".getBytes(StandardCharsets.UTF_8));
            Map<?, ?> envelope = (Map<?, ?>) Json.read(new String(reply, StandardCharsets.UTF_8));
            library = "version " + ((Map<?, ?>) envelope.get("ok")).get("version");
        } catch (UnsatisfiedLinkError noVersionExport) {
            library = "a build older than the version check (it has no version export)";
        }
        if (jar != null && !library.equals("version " + jar)) {
            throw new UnsatisfiedLinkError("the lbmongo native library at " + where + " is " + library
                    + ", but this jar (lbmongo-liquibase) is version " + jar + ": " + fix);
        }
    }

    /** The version {@code version.properties} records, or null when the jar has none. */
    static String jarVersion() {
        try (InputStream in = Native.class.getResourceAsStream(RESOURCE_VERSION)) {
            if (in == null) {
                return null;
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            return null;
        }
    }

    /** The first {@code liblbmongo_jvm.so} on {@code java.library.path}, for messages. */
    private static String onLibraryPath() {
        String name = System.mapLibraryName(LIBRARY);
        for (String dir : System.getProperty("java.library.path", "").split(File.pathSeparator)) {
            File candidate = new File(dir.isEmpty() ? "." : dir, name);
            if (candidate.isFile()) {
                return candidate.getAbsolutePath();
            }
        }
        return name;
    }

    /** The message when the jar has no library for {@code platform}. */
    static String missing(String platform) {
        return "lbmongo-liquibase has no native library for platform " + platform
                + " (this jar carries native/linux-x86_64 only); build liblbmongo_jvm for it and pass "
                + "-Dlbmongo.library=/path/to/" + System.mapLibraryName(LIBRARY);
    }

    /** Whether the jar carries a library for {@code platform}. */
    static boolean bundled(String platform) {
        return Native.class.getResource("/native/" + platform + "/" + System.mapLibraryName(LIBRARY)) != null;
    }

    private static Path extract(byte[] bytes) {
        String configured = System.getProperty("lbmongo.tmpdir", System.getenv("LBMONGO_TMPDIR"));
        String base = configured != null && !configured.trim().isEmpty() ? configured.trim()
                : System.getProperty("java.io.tmpdir");
        Path dir = null;
        Path file = null;
        try {
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                dir = Files.createTempDirectory(Paths.get(base), "lbmongo-",
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } else {
                dir = Files.createTempDirectory(Paths.get(base), "lbmongo-");
            }
            file = dir.resolve(System.mapLibraryName(LIBRARY + "-" + sha256(bytes)));
            Files.write(file, bytes);
            return file;
        } catch (IOException e) {
            // A full disk fails the write: a partial file must not stay behind either.
            if (file != null) {
                deleteQuietly(file);
            } else if (dir != null) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // As in deleteQuietly.
                }
            }
            throw linkError("cannot extract the lbmongo native library into " + base + " (set -Dlbmongo.tmpdir "
                    + "or LBMONGO_TMPDIR to a writable directory that allows executables)", e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            StringBuilder hex = new StringBuilder();
            for (byte b : MessageDigest.getInstance("SHA-256").digest(bytes)) {
                hex.append(String.format("%02x", b));
            }
            return hex.toString();
        } catch (NoSuchAlgorithmException e) {
            throw linkError("SHA-256 is not available", e);
        }
    }

    /** Every byte of {@code in}. */
    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        int n;
        while ((n = in.read(buffer)) > 0) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static UnsatisfiedLinkError linkError(String message, Throwable cause) {
        UnsatisfiedLinkError e = new UnsatisfiedLinkError(message + ": " + cause);
        e.initCause(cause);
        return e;
    }
}
