package io.lorafleet.actors.adapters;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where an adapter's files come from, already checked against a {@link SourcePolicy}.
 *
 * @param kind     local directory or http(s) base URL
 * @param location the real path of the directory, or the normalized base URL (no trailing slash)
 */
public record AdapterSource(Kind kind, String location) {
  /** The kinds of source a node can load from. */
  public enum Kind {
    /** A directory under one of the configured adapter roots. */
    LOCAL,
    /** A base URL on the allow-list; the node downloads {@code adapter_config.json} and the weights. */
    URL
  }

  /** The string stored in the registry: {@code file:<path>} or the URL. */
  public String spec() {
    return kind == Kind.LOCAL ? "file:" + location : location;
  }

  public Path path() {
    return Path.of(location);
  }

  public URI uri() {
    return URI.create(location);
  }

  @Override
  public String toString() {
    return spec();
  }
}
