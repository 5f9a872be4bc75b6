package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.format.AdapterConfig;
import io.lorafleet.runtime.model.LoraAdapter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Downloads an adapter ({@code adapter_config.json} and {@code adapter_model.safetensors}) from an allowed
 * base URL into the node's disk cache. Blocking: runs on the adapter-loading dispatcher only. Redirects are
 * not followed; each file URL is checked against the policy again; sizes are capped while streaming; a
 * partial download never becomes visible (files land in a temporary directory that is moved into place).
 * A whole download has a deadline (a server that sends its headers and then drips is cut there) and a
 * minimum rate. The cache directory is private to the node's user (0700).
 */
public final class AdapterFetcher {
  static final List<String> FILES = List.of(AdapterConfig.FILE, LoraAdapter.WEIGHTS_FILE);
  /** The window over which a download's rate is measured. */
  static final Duration RATE_WINDOW = Duration.ofSeconds(10);
  /** Interrupts downloads that pass their deadline while blocked in a read. */
  private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "adapter-download-watchdog");
    t.setDaemon(true);
    return t;
  });

  private final HttpClient client;
  private final SourcePolicy policy;
  private final Path cacheDir;
  private final long maxBytes;
  private final Duration timeout;
  private final long minBytesPerSecond;
  private final Duration rateWindow;

  public AdapterFetcher(SourcePolicy policy, Path cacheDir, long maxBytes, Duration timeout) {
    this(policy, cacheDir, maxBytes, timeout, 0);
  }

  /**
   * @param timeout           connect timeout, and deadline of a whole download (both files, headers and bodies)
   * @param minBytesPerSecond a download slower than this over a {@link #RATE_WINDOW} is cut (0: no minimum)
   */
  public AdapterFetcher(SourcePolicy policy, Path cacheDir, long maxBytes, Duration timeout, long minBytesPerSecond) {
    this(policy, cacheDir, maxBytes, timeout, minBytesPerSecond, RATE_WINDOW);
  }

  /** As above, with the window over which the rate is measured ({@link #RATE_WINDOW} for a node). */
  public AdapterFetcher(SourcePolicy policy, Path cacheDir, long maxBytes, Duration timeout, long minBytesPerSecond,
      Duration rateWindow) {
    this.rateWindow = rateWindow;
    this.policy = policy;
    this.cacheDir = cacheDir;
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.minBytesPerSecond = minBytesPerSecond;
    this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
  }

  /**
   * Where the files of adapter {@code id} from {@code source} are cached: a name derived from a hash of both,
   * so an id registered again with another source never finds the old source's files.
   */
  public Path dirFor(String id, AdapterSource source) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((id + "\n" + source.spec()).getBytes(StandardCharsets.UTF_8));
      return cacheDir.resolve(HexFormat.of().formatHex(h, 0, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether the files of {@code id} from {@code source} are already in the cache. */
  public boolean cached(String id, AdapterSource source) {
    Path dir = dirFor(id, source);
    return FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f), LinkOption.NOFOLLOW_LINKS));
  }

  /** Downloads the adapter; returns the directory and its size in bytes. */
  public Fetched fetch(String id, AdapterSource source) {
    Path dir = dirFor(id, source);
    if (cached(id, source)) {
      return new Fetched(dir, sizeOf(dir));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    Thread self = Thread.currentThread();
    Object lock = new Object();
    boolean[] running = {true};
    ScheduledFuture<?> watchdog = WATCHDOG.schedule(() -> {
      synchronized (lock) {
        if (running[0]) {
          self.interrupt();
        }
      }
    }, timeout.toMillis(), TimeUnit.MILLISECONDS);
    try {
      PrivateDirectories.create(cacheDir);
      Path tmp = Files.createTempDirectory(cacheDir, "download-");
      try {
        long total = 0;
        for (String file : FILES) {
          URI url = URI.create(source.location() + "/" + file);
          if (!policy.allowsUrl(url)) {
            throw AdapterSourceException.refused(url + " is not on this node's adapter URL allow-list");
          }
          total += download(url, tmp.resolve(file), maxBytes - total, deadline);
        }
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return new Fetched(dir, total);
      } finally {
        deleteTree(tmp);
      }
    } catch (IOException e) {
      if (System.nanoTime() - deadline >= 0) {
        throw AdapterSourceException.unavailable("download of adapter " + id + " from " + source.location()
            + " did not finish within " + timeout.toSeconds() + " s (lorafleet.adapters.download.timeout)");
      }
      throw AdapterSourceException.unavailable("download of adapter " + id + " from " + source.location()
          + " failed: " + e.getClass().getSimpleName());
    } finally {
      synchronized (lock) {
        running[0] = false;
      }
      watchdog.cancel(false);
      Thread.interrupted(); // the watchdog's interrupt must not reach the thread's next task
    }
  }

  private long download(URI url, Path target, long budget, long deadline) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) {
      throw new IOException("deadline passed");
    }
    HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofNanos(left)).GET().build();
    HttpResponse<InputStream> resp;
    try {
      resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      throw new IOException("interrupted", e);
    }
    try (InputStream in = resp.body()) {
      if (resp.statusCode() != 200) {
        throw AdapterSourceException.unavailable("download of " + url + " failed: HTTP " + resp.statusCode());
      }
      long declared = resp.headers().firstValueAsLong("content-length").orElse(-1);
      if (declared > budget) {
        throw AdapterSourceException.refused(url + " is " + declared + " bytes, above the download limit of "
            + maxBytes + " bytes per adapter");
      }
      long n = 0;
      long start = System.nanoTime();
      long windowStart = start;
      long windowBytes = 0;
      byte[] buf = new byte[64 * 1024];
      try (OutputStream out = Files.newOutputStream(target)) {
        int r;
        while ((r = in.read(buf)) > 0) {
          n += r;
          windowBytes += r;
          if (n > budget) {
            throw AdapterSourceException.refused(url + " exceeds the download limit of " + maxBytes
                + " bytes per adapter");
          }
          out.write(buf, 0, r);
          long now = System.nanoTime();
          if (now - deadline >= 0) {
            throw new IOException("deadline passed");
          }
          if (now - windowStart >= rateWindow.toNanos()) {
            double rate = windowBytes / ((now - windowStart) / 1e9);
            if (rate < minBytesPerSecond) {
              throw AdapterSourceException.unavailable("download of " + url + " is too slow ("
                  + Math.round(rate) + " bytes/s, below the minimum of " + minBytesPerSecond + ")");
            }
            windowStart = now;
            windowBytes = 0;
          }
        }
      }
      return n;
    }
  }

  /** Deletes the cached files in {@code dir} (a directory of this cache); returns the bytes freed. */
  public long delete(Path dir) {
    if (!dir.normalize().startsWith(cacheDir.normalize()) || dir.normalize().equals(cacheDir.normalize())) {
      throw new IllegalArgumentException(dir + " is not a directory of the adapter cache");
    }
    long size = Files.isDirectory(dir) ? sizeOf(dir) : 0;
    deleteTree(dir);
    return size;
  }

  static long sizeOf(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0;
        }
      }).sum();
    } catch (IOException e) {
      return 0;
    }
  }

  static void deleteTree(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A downloaded adapter directory and its size. */
  public record Fetched(Path dir, long bytes) {}
}
