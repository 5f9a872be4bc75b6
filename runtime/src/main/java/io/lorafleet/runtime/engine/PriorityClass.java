package io.lorafleet.runtime.engine;

import io.lorafleet.runtime.errors.InvalidRequestException;
import java.util.Locale;

/**
 * How urgent a request is, most urgent first: the {@link Scheduler} admits waiting sequences by class first
 * (fair across adapters within a class), and under KV-cache or batch-slot pressure preempts running
 * sequences of the least urgent class first. Aging raises a sequence that waited long enough by one class
 * (see {@link SchedulerConfig#agingNanos()}), so a lower class never starves.
 *
 * <p>The order of the constants is the order of urgency; {@link #ordinal()} is also the integer form vLLM's
 * {@code priority} request field uses (lower is served first): 0 interactive, 1 standard, 2 batch.
 */
public enum PriorityClass {
  /** A person is waiting for the first token (chat, completion in an editor). */
  INTERACTIVE,
  /** The default. */
  STANDARD,
  /** Throughput work nobody watches token by token (offline evaluation, bulk extraction). */
  BATCH;

  private static final PriorityClass[] VALUES = values();

  /** The name used in requests, metrics labels and on the wire: {@code interactive}, {@code standard}, {@code batch}. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The class one step more urgent ({@link #INTERACTIVE} stays). */
  public PriorityClass promoted() {
    return this == INTERACTIVE ? INTERACTIVE : VALUES[ordinal() - 1];
  }

  /** Whether this class is served before {@code other}. */
  public boolean moreUrgentThan(PriorityClass other) {
    return ordinal() < other.ordinal();
  }

  /**
   * A request's class from its field: a name (case-insensitive) or vLLM's integer priority as a string.
   *
   * @throws InvalidRequestException naming the allowed values
   */
  public static PriorityClass parse(String value) {
    if (value != null) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      for (PriorityClass c : VALUES) {
        if (c.wireName().equals(v) || Integer.toString(c.ordinal()).equals(v)) {
          return c;
        }
      }
    }
    throw invalid(value == null ? "null" : "\"" + abbreviate(value) + "\"");
  }

  /**
   * A request's class from vLLM's integer priority: 0 interactive, 1 standard, 2 batch.
   *
   * @throws InvalidRequestException naming the allowed values
   */
  public static PriorityClass ofLevel(long level) {
    if (level < 0 || level >= VALUES.length) {
      throw invalid(Long.toString(level));
    }
    return VALUES[(int) level];
  }

  /**
   * A class as it arrives from another node: its wire name, {@code ""} for {@link #STANDARD}. A name this
   * release does not know (a newer node's class) is read as {@link #STANDARD}, never an error.
   */
  public static PriorityClass fromWire(String name) {
    for (PriorityClass c : VALUES) {
      if (c.wireName().equals(name)) {
        return c;
      }
    }
    return STANDARD;
  }

  /**
   * The class a request runs in when its caller may only lower it: the requested class, but never more
   * urgent than {@code ceiling}; {@code ceiling} itself when nothing was requested (null). For a tenant's
   * default class and a per-request downgrade.
   */
  public static PriorityClass resolve(PriorityClass requested, PriorityClass ceiling) {
    if (requested == null) {
      return ceiling;
    }
    return requested.moreUrgentThan(ceiling) ? ceiling : requested;
  }

  private static InvalidRequestException invalid(String got) {
    return new InvalidRequestException("priority must be one of \"interactive\", \"standard\", \"batch\" (or vLLM's "
        + "integer priority 0, 1, 2: lower is served first), got " + got);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }
}
