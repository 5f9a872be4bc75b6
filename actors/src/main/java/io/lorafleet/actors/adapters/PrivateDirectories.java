package io.lorafleet.actors.adapters;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Directories only the node's user can read or enter (0700): the adapter disk cache and the node logs,
 * which must not be shared through a common {@code /tmp}. An existing directory owned by another user is
 * refused; one of ours with wider permissions is narrowed.
 */
public final class PrivateDirectories {
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rwx------");

  private PrivateDirectories() {}

  /**
   * {@code $XDG_CACHE_HOME/lorafleet/<name>} or {@code ~/.cache/lorafleet/<name>}: under the user's home, not
   * a shared {@code /tmp} (made private by {@link #create} when used).
   */
  public static Path defaultDir(String name) {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("lorafleet").resolve(name).toAbsolutePath().normalize();
  }

  /** Creates {@code dir} (and missing parents) if needed and makes it private; returns it. */
  public static Path create(Path dir) throws IOException {
    Files.createDirectories(dir);
    PosixFileAttributeView posix = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
    if (posix == null) {
      return dir; // not a POSIX file system: nothing to narrow
    }
    String owner = posix.getOwner().getName();
    String me = System.getProperty("user.name");
    if (!owner.equals(me)) {
      throw new IOException(dir + " belongs to " + owner + ", not to " + me + "; choose a directory of your own");
    }
    if (!posix.readAttributes().permissions().equals(OWNER_ONLY)) {
      posix.setPermissions(OWNER_ONLY);
    }
    return dir;
  }
}
