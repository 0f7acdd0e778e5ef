package org.caretrail.deploy.infra;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * What CareTrail writes under its data directory holds patient data (Kafka segments keep NHS
 * numbers in clear, the stream processor's state holds timelines), so it is readable by its owner
 * only: directories 0700, files 0600. The child servers are started under {@code umask 077} (see
 * {@link ChildProcess}) and the {@code caretrail} script sets the same umask for the platform itself;
 * this class sets the modes of what CareTrail creates explicitly, whatever the umask.
 */
public final class PrivateFiles {

    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private PrivateFiles() {
    }

    /** Creates {@code dir} (and missing parents) if needed and makes it 0700. */
    public static Path directory(Path dir) throws IOException {
        Files.createDirectories(dir);
        if (POSIX) {
            Files.setPosixFilePermissions(dir, DIRECTORY);
        }
        return dir;
    }

    /** Makes an existing file 0600. */
    public static Path file(Path file) throws IOException {
        if (POSIX) {
            Files.setPosixFilePermissions(file, FILE);
        }
        return file;
    }

    /** Writes {@code text} to {@code file}, readable by the owner only. */
    public static Path write(Path file, String text) throws IOException {
        directory(file.getParent());
        if (POSIX && !Files.exists(file)) {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
        }
        Files.writeString(file, text);
        return file(file);
    }
}
