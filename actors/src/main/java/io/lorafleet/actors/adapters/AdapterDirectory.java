package io.lorafleet.actors.adapters;

import io.lorafleet.runtime.errors.LoraFleetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An adapters directory ({@code --adapters}) registered at start: every sub-directory becomes an adapter
 * named after it, through its {@link AdapterEntity}, asked again when its record does not answer (a message
 * to a shard being handed off to another node may be dropped).
 */
public final class AdapterDirectory {
  private static final Logger log = LoggerFactory.getLogger(AdapterDirectory.class);
  /** Registrations of one adapter tried at most. */
  static final int ATTEMPTS = 4;
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(10);

  private AdapterDirectory() {}

  /**
   * Registers every sub-directory of {@code dir} the source policy accepts; completes with how many were
   * tried (0 when {@code dir} is null), or fails when the directory cannot be listed.
   */
  public static CompletionStage<Integer> register(ActorSystem<?> system, Path dir, SourcePolicy sources) {
    return register(system, dir, sources, java.util.Map.of());
  }

  /**
   * As {@link #register(ActorSystem, Path, SourcePolicy)}, each adapter owned by the tenant {@code owners}
   * names for its id ({@code lorafleet.tenants.adapter-owners}); the others are public.
   */
  public static CompletionStage<Integer> register(ActorSystem<?> system, Path dir, SourcePolicy sources,
      java.util.Map<String, String> owners) {
    if (dir == null) {
      return CompletableFuture.completedFuture(0);
    }
    List<Path> subdirs;
    try (Stream<Path> s = Files.list(dir)) {
      subdirs = s.filter(Files::isDirectory).sorted().toList();
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new IllegalArgumentException("adapters directory " + dir + ": " + e));
    }
    ClusterSharding sharding = ClusterSharding.get(system);
    List<CompletableFuture<Void>> all = new ArrayList<>();
    for (Path sub : subdirs) {
      String id = sub.getFileName().toString();
      String spec;
      try {
        spec = sources.check(sub.toString(), "local").spec();
      } catch (LoraFleetException e) {
        log.warn("adapter directory {} skipped: {}", sub, e.getMessage());
        continue;
      }
      all.add(register(sharding, id, spec, owners.get(id), ATTEMPTS).thenAccept(r -> {
        if (r == null) {
          log.warn("adapter directory {}: the adapter's record did not answer; it registers on first use", sub);
        } else if (r.conflict() != null) {
          log.warn("adapter directory {} not registered: {}", sub, r.conflict());
        }
      }).toCompletableFuture());
    }
    return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(x -> all.size());
  }

  /** Registers one adapter, asking again when its record does not answer; null when no attempt got an answer. */
  private static CompletionStage<AdapterEntity.RegisterResult> register(ClusterSharding sharding, String id,
      String spec, String owner, int attempts) {
    CompletionStage<AdapterEntity.RegisterResult> f = sharding.entityRefFor(AdapterEntity.TYPE_KEY, id)
        .ask(replyTo -> new AdapterEntity.Register(spec, owner, false, replyTo), ANSWER_TIMEOUT);
    return f.handle((r, err) -> err == null ? CompletableFuture.completedFuture(r)
            : attempts > 1 ? register(sharding, id, spec, owner, attempts - 1).toCompletableFuture()
            : CompletableFuture.<AdapterEntity.RegisterResult>completedFuture(null))
        .thenCompose(x -> x);
  }
}
