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
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Downloads an adapter ({@code adapter_config.json} and {@code adapter_model.safetensors}) from an allowed
 * base URL into the node's disk cache. Blocking: runs on the adapter-loading dispatcher only. Redirects are
 * not followed; each file URL is checked against the policy again; sizes are capped while streaming; a
 * partial download never becomes visible (files land in a temporary directory that is moved into place).
 */
public final class AdapterFetcher {
  static final List<String> FILES = List.of(AdapterConfig.FILE, LoraAdapter.WEIGHTS_FILE);

  private final HttpClient client;
  private final SourcePolicy policy;
  private final Path cacheDir;
  private final long maxBytes;
  private final Duration timeout;

  public AdapterFetcher(SourcePolicy policy, Path cacheDir, long maxBytes, Duration timeout) {
    this.policy = policy;
    this.cacheDir = cacheDir;
    this.maxBytes = maxBytes;
    this.timeout = timeout;
    this.client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(timeout).build();
  }

  /** Where the files of adapter {@code id} are cached (a name derived from a hash of the id). */
  public Path dirFor(String id) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
      return cacheDir.resolve(HexFormat.of().formatHex(h, 0, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Whether the files of {@code id} are already in the cache. */
  public boolean cached(String id) {
    Path dir = dirFor(id);
    return FILES.stream().allMatch(f -> Files.isRegularFile(dir.resolve(f)));
  }

  /** Downloads the adapter; returns the directory and its size in bytes. */
  public Fetched fetch(String id, AdapterSource source) {
    Path dir = dirFor(id);
    if (cached(id)) {
      return new Fetched(dir, sizeOf(dir));
    }
    try {
      Files.createDirectories(cacheDir);
      Path tmp = Files.createTempDirectory(cacheDir, "download-");
      try {
        long total = 0;
        for (String file : FILES) {
          URI url = URI.create(source.location() + "/" + file);
          if (!policy.allowsUrl(url)) {
            throw AdapterSourceException.refused(url + " is not on this node's adapter URL allow-list");
          }
          total += download(url, tmp.resolve(file), maxBytes - total);
        }
        deleteTree(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return new Fetched(dir, total);
      } finally {
        deleteTree(tmp);
      }
    } catch (IOException e) {
      throw AdapterSourceException.unavailable("download of adapter " + id + " from " + source.location()
          + " failed: " + e);
    }
  }

  private long download(URI url, Path target, long budget) throws IOException {
    HttpRequest req = HttpRequest.newBuilder(url).timeout(timeout).GET().build();
    HttpResponse<InputStream> resp;
    try {
      resp = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
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
      byte[] buf = new byte[64 * 1024];
      try (OutputStream out = Files.newOutputStream(target)) {
        int r;
        while ((r = in.read(buf)) > 0) {
          n += r;
          if (n > budget) {
            throw AdapterSourceException.refused(url + " exceeds the download limit of " + maxBytes
                + " bytes per adapter");
          }
          out.write(buf, 0, r);
        }
      }
      return n;
    }
  }

  /** Deletes the cached files of {@code id}; returns the bytes freed. */
  public long delete(String id) {
    Path dir = dirFor(id);
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
