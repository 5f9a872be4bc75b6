package io.lorafleet.actors.protocol;

import io.lorafleet.actors.adapters.AdapterEntity;
import io.lorafleet.actors.adapters.Tier;
import io.lorafleet.actors.routing.NodeAnnouncement;
import io.lorafleet.actors.routing.WireParams;
import io.lorafleet.actors.routing.WireResult;
import io.lorafleet.actors.routing.WireToken;
import io.lorafleet.actors.adapters.NodeResidency;
import java.lang.reflect.Array;
import java.lang.reflect.RecordComponent;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Random values of every cross-node type, for property-style round trips: each record component drawn by its
 * type (strings with non-ASCII characters, extreme numbers, empty and long arrays), nulls where the domain allows
 * them, and the invariants the domain keeps (parallel arrays, a seed only with {@code hasSeed}). Also a deep
 * equality over records and arrays.
 */
final class RandomMessages {
  /** Components that may be null, as {@code Type.component}. */
  static final Set<String> NULLABLE = Set.of(
      "WireResult.adapterId", "WireResult.promptLogprobs", "WireToken.finishReason", "WireError.message",
      "Generate.adapterId", "Generate.autoSource", "Generate.replyTo", "NodeResidency.store",
      "NodeResidency.lastError", "Resolve.autoSource", "Resolve.store", "Resolution.source", "RegisterResult.source",
      "RegisterResult.conflict", "AdapterStatus.source", "PlacementResult.error", "Decision.subject",
      "Decision.reason", "Drain.reason", "AdapterPlacement.reason", "RegisteredAdapter.owner", "Register.owner",
      "RegisterResult.owner");

  private static final String[] WORDS = {"", "a", "adapter-qv-r8", "file:/adapters/ä", "pekko://lorafleet@10.0.0.7:25520",
      "été ✓ 日本", "\n\n", "x".repeat(300)};

  private final Random random;
  private final ActorRef<?> ref;

  RandomMessages(long seed, ActorRef<?> ref) {
    this.random = new Random(seed);
    this.ref = ref;
  }

  /** A random value of {@code type} (a record or enum). */
  Object of(Class<?> type) {
    if (type.isEnum()) {
      Object[] constants = type.getEnumConstants();
      return constants[random.nextInt(constants.length)];
    }
    RecordComponent[] components = type.getRecordComponents();
    Object[] args = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      String key = type.getSimpleName() + "." + components[i].getName();
      args[i] = NULLABLE.contains(key) && random.nextInt(3) == 0 ? null : value(components[i].getType(), key);
    }
    fixInvariants(type, args);
    try {
      Class<?>[] types = new Class<?>[components.length];
      for (int i = 0; i < components.length; i++) {
        types[i] = components[i].getType();
      }
      return type.getDeclaredConstructor(types).newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(type.getName(), e);
    }
  }

  private void fixInvariants(Class<?> type, Object[] args) {
    if (type == WireParams.class && !(Boolean) args[5]) {
      args[6] = 0L; // no seed: 0
    } else if (type == WireToken.class) {
      args[5] = floats(((int[]) args[4]).length); // parallel top ids and log-probabilities
    } else if (type == WireResult.class) {
      int[][] ids = (int[][]) args[6];
      float[][] lps = new float[ids.length][];
      for (int i = 0; i < ids.length; i++) {
        lps[i] = floats(ids[i].length);
      }
      args[7] = lps;
    } else if (type == NodeAnnouncement.class) {
      args[10] = doubles(((String[]) args[9]).length); // parallel rate adapters and rates
      args[14] = 1 + random.nextInt(2); // a protocol version a node writes
    } else if (type == NodeResidency.class || type == AdapterEntity.AdapterStatus.class) {
      int tierAt = type == NodeResidency.class ? 2 : 4;
      if (args[tierAt] == null) {
        args[tierAt] = Tier.DISK;
      }
    }
  }

  private Object value(Class<?> t, String key) {
    if (t == int.class) {
      return switch (random.nextInt(4)) {
        case 0 -> 0;
        case 1 -> random.nextInt(100);
        case 2 -> -1 - random.nextInt(5);
        default -> random.nextInt();
      };
    }
    if (t == long.class) {
      return random.nextBoolean() ? (long) random.nextInt(1000) : random.nextLong();
    }
    if (t == double.class) {
      return random.nextInt(5) == 0 ? Double.NaN : random.nextGaussian() * 10;
    }
    if (t == float.class) {
      return random.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (float) random.nextGaussian();
    }
    if (t == boolean.class) {
      return random.nextBoolean();
    }
    if (t == String.class) {
      return word();
    }
    if (ActorRef.class.isAssignableFrom(t)) {
      return ref;
    }
    if (t.isEnum()) {
      Object[] constants = t.getEnumConstants();
      return constants[random.nextInt(constants.length)];
    }
    if (t == int[].class) {
      int[] a = new int[length()];
      for (int i = 0; i < a.length; i++) {
        a[i] = random.nextInt(4) == 0 ? random.nextInt() : random.nextInt(32000);
      }
      return a;
    }
    if (t == float[].class) {
      return floats(length());
    }
    if (t == double[].class) {
      return doubles(length());
    }
    if (t.isArray()) {
      Object a = Array.newInstance(t.getComponentType(), length());
      for (int i = 0; i < Array.getLength(a); i++) {
        Array.set(a, i, value(t.getComponentType(), key));
      }
      return a;
    }
    if (t.isRecord()) {
      return of(t);
    }
    throw new IllegalArgumentException("no generator for " + t.getName() + " (" + key + ")");
  }

  private int length() {
    return switch (random.nextInt(4)) {
      case 0 -> 0;
      case 1 -> 1;
      case 2 -> random.nextInt(8);
      default -> random.nextInt(200);
    };
  }

  private String word() {
    if (random.nextInt(4) == 0) {
      StringBuilder sb = new StringBuilder();
      int n = random.nextInt(20);
      for (int i = 0; i < n; i++) {
        sb.appendCodePoint(random.nextInt(3) == 0 ? 0x1F600 + random.nextInt(50) : 32 + random.nextInt(0x3000));
      }
      return sb.toString();
    }
    return WORDS[random.nextInt(WORDS.length)];
  }

  private float[] floats(int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) random.nextGaussian();
    }
    return a;
  }

  private double[] doubles(int n) {
    double[] a = new double[n];
    for (int i = 0; i < n; i++) {
      a[i] = random.nextDouble() * 100;
    }
    return a;
  }

  /** Records by their components, arrays by their elements, actor refs by their path; else equals. */
  static boolean same(Object a, Object b) {
    if (a == null || b == null) {
      return a == b;
    }
    if (a.getClass() != b.getClass() && !(a instanceof ActorRef<?> && b instanceof ActorRef<?>)) {
      return false;
    }
    if (a instanceof ActorRef<?> ra) {
      return ra.path().toString().equals(((ActorRef<?>) b).path().toString());
    }
    if (a.getClass().isArray()) {
      int n = Array.getLength(a);
      if (n != Array.getLength(b)) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        if (!same(Array.get(a, i), Array.get(b, i))) {
          return false;
        }
      }
      return true;
    }
    if (a.getClass().isRecord()) {
      for (RecordComponent c : a.getClass().getRecordComponents()) {
        try {
          if (!same(c.getAccessor().invoke(a), c.getAccessor().invoke(b))) {
            return false;
          }
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      return true;
    }
    return Objects.equals(a, b);
  }

  /** A readable form of a value (records and arrays spelled out) for failure messages. */
  static String show(Object o) {
    if (o == null) {
      return "null";
    }
    if (o.getClass().isArray()) {
      StringBuilder sb = new StringBuilder("[");
      for (int i = 0; i < Array.getLength(o); i++) {
        sb.append(i == 0 ? "" : ", ").append(show(Array.get(o, i)));
      }
      return sb.append(']').toString();
    }
    if (o.getClass().isRecord()) {
      StringBuilder sb = new StringBuilder(o.getClass().getSimpleName()).append('(');
      RecordComponent[] cs = o.getClass().getRecordComponents();
      for (int i = 0; i < cs.length; i++) {
        try {
          sb.append(i == 0 ? "" : ", ").append(cs[i].getName()).append('=').append(show(cs[i].getAccessor().invoke(o)));
        } catch (ReflectiveOperationException e) {
          throw new IllegalStateException(e);
        }
      }
      return sb.append(')').toString();
    }
    return o instanceof ActorRef<?> r ? r.path().toString() : o.toString();
  }
}
