package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.errors.InvalidRequestException;
import io.lorafleet.runtime.errors.NotFoundException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Which adapter sources this node accepts. Local paths must lie under a configured root, checked twice:
 * on the normalized path (no {@code ..} escape) and on the real path (no symlink escape). URLs must be
 * http(s), without user info, query or encoded dots and slashes, and start with an allowed prefix after
 * normalization (same scheme, host and port; path on a segment boundary); redirects are never followed
 * (see {@link AdapterFetcher}). Hugging Face hub ids are recognized and refused with a clear message,
 * because this node never reaches the hub.
 */
public final class SourcePolicy {
  private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");

  private final List<Path> roots;
  private final List<URI> allowedUrls;

  public SourcePolicy(List<Path> roots, List<String> allowedUrlPrefixes) {
    List<Path> r = new ArrayList<>();
    for (Path root : roots) {
      r.add(root.toAbsolutePath().normalize());
    }
    this.roots = List.copyOf(r);
    List<URI> u = new ArrayList<>();
    for (String prefix : allowedUrlPrefixes) {
      try {
        u.add(normalizeUrl(prefix));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("allowed adapter URL " + prefix + ": " + e.getMessage(), e);
      }
    }
    this.allowedUrls = List.copyOf(u);
  }

  public List<Path> roots() {
    return roots;
  }

  /** Whether {@code text} looks like an adapter source (a path, URL or hub id) rather than a plain name. */
  public static boolean looksLikeSource(String text) {
    return text.contains("/") || text.startsWith("file:") || text.contains("\\");
  }

  /**
   * Checks a source.
   *
   * @param spec a path, {@code file:} path, http(s) URL or hub id
   * @param hint LoRAX's {@code adapter_source} ({@code local}, {@code hub}, ...), or null
   * @throws AdapterSourceException when refused or unreachable
   * @throws NotFoundException when a local directory does not exist
   * @throws InvalidRequestException when {@code spec} is no source at all
   */
  public AdapterSource check(String spec, String hint) {
    if (spec == null || spec.isBlank()) {
      throw new InvalidRequestException("adapter source must be a non-empty string");
    }
    String h = hint == null ? "" : hint.toLowerCase(Locale.ROOT);
    String lower = spec.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://") || lower.startsWith("https://")) {
      return checkUrl(spec);
    }
    if (lower.startsWith("file:")) {
      return checkLocal(fileUriPath(spec));
    }
    if (h.equals("local") || spec.startsWith("/") || spec.startsWith("./") || spec.startsWith("../")) {
      return checkLocal(spec);
    }
    if (!h.isEmpty() && !h.equals("hub")) {
      throw AdapterSourceException.unavailable("adapter_source \"" + hint + "\" is not supported by this node;"
          + " use a local directory under the adapter roots or an allowed http(s) URL");
    }
    if (HUB_ID.matcher(spec).matches()) {
      throw AdapterSourceException.unavailable("\"" + spec + "\" is a Hugging Face hub id, but the hub is not reachable"
          + " from this node; copy the adapter to a directory under the adapter roots (or serve it from an allowed"
          + " URL) and register it with POST /admin/adapters");
    }
    throw new InvalidRequestException("\"" + spec + "\" is not an adapter source (expected a directory path,"
        + " file: path or http(s) URL)");
  }

  private static String fileUriPath(String spec) {
    String rest = spec.substring("file:".length());
    if (rest.startsWith("//")) {
      try {
        URI u = new URI(spec);
        if (u.getHost() != null && !u.getHost().isEmpty() && !u.getHost().equals("localhost")) {
          throw AdapterSourceException.refused(spec + ": file URLs must not name a host");
        }
        return u.getPath();
      } catch (URISyntaxException e) {
        throw new InvalidRequestException(spec + ": not a valid file URL: " + e.getMessage());
      }
    }
    return rest;
  }

  private AdapterSource checkLocal(String pathText) {
    Path p;
    try {
      p = Path.of(pathText);
    } catch (InvalidPathException e) {
      throw new InvalidRequestException(pathText + ": not a valid path");
    }
    if (roots.isEmpty()) {
      throw AdapterSourceException.refused(pathText + ": no adapter roots are configured on this node,"
          + " so local adapter paths are refused");
    }
    Path abs = p.isAbsolute() ? p.normalize() : roots.getFirst().resolve(p).normalize();
    if (roots.stream().noneMatch(abs::startsWith)) {
      throw AdapterSourceException.refused(pathText + " is outside the configured adapter roots");
    }
    Path real;
    try {
      real = abs.toRealPath();
    } catch (IOException e) {
      throw new NotFoundException("adapter directory " + pathText + " not found");
    }
    boolean inside = false;
    for (Path root : roots) {
      try {
        if (real.startsWith(root.toRealPath())) {
          inside = true;
          break;
        }
      } catch (IOException e) {
        // a missing root holds nothing
      }
    }
    if (!inside) {
      throw AdapterSourceException.refused(pathText + " resolves (through a symbolic link) to a place outside"
          + " the configured adapter roots");
    }
    if (!Files.isDirectory(real)) {
      throw new NotFoundException("adapter directory " + pathText + " not found (not a directory)");
    }
    return new AdapterSource(AdapterSource.Kind.LOCAL, real.toString());
  }

  private AdapterSource checkUrl(String spec) {
    URI u;
    try {
      u = normalizeUrl(spec);
    } catch (IllegalArgumentException e) {
      throw AdapterSourceException.refused(spec + ": " + e.getMessage());
    }
    for (URI allowed : allowedUrls) {
      if (allowed.getScheme().equals(u.getScheme()) && allowed.getHost().equals(u.getHost())
          && allowed.getPort() == u.getPort() && underPath(u.getPath(), allowed.getPath())) {
        return new AdapterSource(AdapterSource.Kind.URL, u.toString());
      }
    }
    throw AdapterSourceException.refused(spec + " is not on this node's adapter URL allow-list");
  }

  /** Whether a resolved file URL under an accepted base is still allowed (defense in depth). */
  public boolean allowsUrl(URI url) {
    try {
      checkUrl(url.toString());
      return true;
    } catch (AdapterSourceException e) {
      return false;
    }
  }

  private static boolean underPath(String path, String prefix) {
    if (prefix.isEmpty() || prefix.equals("/")) {
      return true;
    }
    String p = prefix.endsWith("/") ? prefix.substring(0, prefix.length() - 1) : prefix;
    return path.equals(p) || path.startsWith(p + "/");
  }

  /** Scheme and host lower-case, explicit port, dot segments removed, no trailing slash; refuses tricks. */
  static URI normalizeUrl(String text) {
    URI u;
    try {
      u = new URI(text.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: " + e.getMessage());
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("only http and https URLs are accepted");
    }
    if (u.getRawUserInfo() != null) {
      throw new IllegalArgumentException("URLs with user info are refused");
    }
    if (u.getHost() == null || u.getHost().isEmpty()) {
      throw new IllegalArgumentException("the URL has no host");
    }
    if (u.getRawQuery() != null || u.getRawFragment() != null) {
      throw new IllegalArgumentException("URLs with a query or fragment are refused");
    }
    String rawPath = u.getRawPath() == null ? "" : u.getRawPath();
    String lowerPath = rawPath.toLowerCase(Locale.ROOT);
    if (lowerPath.contains("%2e") || lowerPath.contains("%2f") || lowerPath.contains("%5c") || rawPath.contains("\\")) {
      throw new IllegalArgumentException("encoded dots or slashes in the URL path are refused");
    }
    String path = URI.create("http://h" + (rawPath.isEmpty() ? "/" : rawPath)).normalize().getPath();
    if (path.startsWith("/..") || path.contains("/../")) {
      throw new IllegalArgumentException("the URL path escapes its root");
    }
    while (path.endsWith("/") && path.length() > 0) {
      path = path.substring(0, path.length() - 1);
    }
    int port = u.getPort() >= 0 ? u.getPort() : scheme.equals("https") ? 443 : 80;
    try {
      return new URI(scheme, null, u.getHost().toLowerCase(Locale.ROOT), port, path, null, null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a valid URL: " + e.getMessage());
    }
  }
}
