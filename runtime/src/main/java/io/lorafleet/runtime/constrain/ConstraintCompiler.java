package io.lorafleet.runtime.constrain;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dk.brics.automaton.Automaton;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compiles {@link OutputConstraint}s into {@link ByteDfa}s: schema or pattern -> {@link RegexNode} ->
 * minimal byte DFA, within {@link ConstraintLimits}, and keeps the results (and the refusals) in a bounded
 * least-recently-used cache, so a schema sent with every request is compiled once. Thread-safe; compilation
 * runs on the caller's thread and never under the cache's lock.
 */
public final class ConstraintCompiler {
  private static final Logger log = LoggerFactory.getLogger(ConstraintCompiler.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Heap the shared cache may hold in compiled tables. */
  static final long SHARED_CACHE_BYTES = 64L << 20;
  private static final ConstraintCompiler SHARED = new ConstraintCompiler(ConstraintLimits.DEFAULTS,
      SHARED_CACHE_BYTES);

  private final ConstraintLimits limits;
  private final long maxCacheBytes;
  private final LinkedHashMap<OutputConstraint, Object> cache = new LinkedHashMap<>(16, 0.75f, true);
  private long cacheBytes;

  public ConstraintCompiler(ConstraintLimits limits, long maxCacheBytes) {
    this.limits = limits;
    this.maxCacheBytes = maxCacheBytes;
  }

  /** The process-wide compiler with the default limits. */
  public static ConstraintCompiler shared() {
    return SHARED;
  }

  public ConstraintLimits limits() {
    return limits;
  }

  /**
   * The DFA of {@code constraint}, compiled now or taken from the cache.
   *
   * @throws ConstraintException when it cannot be honoured (the message says why)
   */
  public ByteDfa compile(OutputConstraint constraint) {
    Object cached;
    synchronized (cache) {
      cached = cache.get(constraint);
    }
    if (cached instanceof ByteDfa d) {
      return d;
    }
    if (cached instanceof ConstraintException e) {
      throw new ConstraintException(e.getMessage());
    }
    Object result;
    long t0 = System.nanoTime();
    try {
      result = build(constraint);
    } catch (ConstraintException e) {
      result = e;
    } catch (StackOverflowError e) {
      result = new ConstraintException(constraint.describe() + " is nested too deeply to compile");
    }
    long weight = result instanceof ByteDfa d ? d.bytes() : 256 + 2L * constraint.source().length();
    synchronized (cache) {
      if (!cache.containsKey(constraint)) {
        cache.put(constraint, result);
        cacheBytes += weight + 2L * constraint.source().length();
        evict();
      }
    }
    if (result instanceof ByteDfa d) {
      log.debug("compiled {} in {} ms: {}", constraint, (System.nanoTime() - t0) / 1_000_000, d);
      return d;
    }
    throw (ConstraintException) result;
  }

  private void evict() {
    Iterator<Map.Entry<OutputConstraint, Object>> it = cache.entrySet().iterator();
    while (cacheBytes > maxCacheBytes && cache.size() > 1 && it.hasNext()) {
      Map.Entry<OutputConstraint, Object> e = it.next();
      cacheBytes -= (e.getValue() instanceof ByteDfa d ? d.bytes() : 256 + 2L * e.getKey().source().length())
          + 2L * e.getKey().source().length();
      it.remove();
    }
  }

  /** Number of compiled constraints (and refusals) in the cache. */
  public int cachedCount() {
    synchronized (cache) {
      return cache.size();
    }
  }

  private ByteDfa build(OutputConstraint c) {
    if (c.source().length() > limits.maxSourceChars()) {
      throw new ConstraintException("the " + c.describe() + " is " + c.source().length()
          + " characters long; at most " + limits.maxSourceChars() + " are accepted");
    }
    RegexNode node = switch (c.kind()) {
      case JSON_OBJECT -> JsonSchemaRegex.anyObject(limits);
      case JSON_SCHEMA -> JsonSchemaRegex.of(parse(c.source()), limits);
      case REGEX -> RegexParser.parse(c.source(), "regex");
    };
    Automaton a = new AutomatonBuilder(limits, "the " + c.describe()).build(node);
    ByteDfa dfa = ByteDfa.of(a, c.toString());
    if (!dfa.hasTransitions(0)) {
      throw new ConstraintException("the " + c.describe() + (dfa.isAccepting(0) ? " allows only the empty string"
          : " allows no output at all"));
    }
    return dfa;
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new ConstraintException("the JSON Schema is not valid JSON: " + e.getOriginalMessage());
    }
  }
}
