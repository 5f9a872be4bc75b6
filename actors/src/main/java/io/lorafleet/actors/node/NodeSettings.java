package io.lorafleet.actors.node;

import com.typesafe.config.Config;
import io.lorafleet.actors.adapters.CachePolicy;
import io.lorafleet.actors.adapters.PrivateDirectories;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code lorafleet} block of the configuration, typed.
 *
 * @param host               HTTP interface
 * @param port               HTTP port (0: any free one)
 * @param maxBodyBytes       request body limit
 * @param adapterWaitTimeout how long a request may wait for its adapter to load
 * @param generationTimeout  how long one generation may run before it is cancelled (504)
 * @param autoRegister       whether a request naming an adapter by its source registers it on first use
 * @param adminTokenFile     file with the admin bearer token, or null (admin API disabled)
 * @param modelDir           model directory, or null for the bundled model
 * @param backend            engine backend name
 * @param adaptersDir        directory whose sub-directories are registered at start, or null
 * @param roots              directories local adapter sources may come from
 * @param allowedUrls        URL prefixes http(s) adapter sources may come from
 * @param maxRank            highest accepted adapter rank (0: none)
 * @param maxPending         requests allowed to wait for adapter loads
 * @param downloadMaxBytes   size limit of one adapter download
 * @param downloadTimeout    connect timeout and whole-download deadline of one adapter download
 * @param downloadMinRate    bytes per second a download must keep up (averaged over 10 s), or it is cut
 * @param cache              per-node cache limits
 * @param diskCacheDir       where downloads are kept
 */
public record NodeSettings(
    String host, int port, long maxBodyBytes, Duration adapterWaitTimeout, Duration generationTimeout,
    boolean autoRegister, Path adminTokenFile, Path modelDir,
    String backend, Path adaptersDir, List<Path> roots, List<String> allowedUrls, int maxRank, int maxPending,
    long downloadMaxBytes, Duration downloadTimeout, long downloadMinRate, CachePolicy cache, Path diskCacheDir) {

  public static NodeSettings from(Config config) {
    Config c = config.getConfig("lorafleet");
    Path adaptersDir = optionalPath(c.getString("adapters.directory"));
    Path modelDir = optionalPath(c.getString("model.dir"));
    List<Path> roots = new ArrayList<>();
    if (adaptersDir != null) {
      roots.add(adaptersDir);
    }
    for (String r : c.getStringList("adapters.roots")) {
      roots.add(Path.of(r));
    }
    Path disk = optionalPath(c.getString("adapters.cache.disk-dir"));
    if (disk == null) {
      disk = PrivateDirectories.defaultDir("adapter-cache");
    }
    return new NodeSettings(
        c.getString("http.host"),
        c.getInt("http.port"),
        c.getBytes("http.max-body-bytes"),
        c.getDuration("http.adapter-wait-timeout"),
        c.getDuration("http.generation-timeout"),
        c.getBoolean("adapters.register-on-first-use"),
        optionalPath(c.getString("admin.token-file")),
        modelDir,
        c.getString("model.backend"),
        adaptersDir,
        List.copyOf(roots),
        List.copyOf(c.getStringList("adapters.allowed-urls")),
        c.getInt("adapters.max-rank"),
        c.getInt("adapters.max-pending"),
        c.getBytes("adapters.download.max-bytes"),
        c.getDuration("adapters.download.timeout"),
        c.getBytes("adapters.download.min-bytes-per-second"),
        new CachePolicy(c.getInt("adapters.cache.device-slots"), c.getBytes("adapters.cache.cpu-bytes"),
            c.getBytes("adapters.cache.disk-bytes"), c.getDuration("adapters.cache.frequency-weight")),
        disk);
  }

  private static Path optionalPath(String s) {
    return s == null || s.isBlank() ? null : Path.of(s).toAbsolutePath().normalize();
  }
}
